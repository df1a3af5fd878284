import Glibc
import RprocEventLoop

/// A named D-Bus error with a message a user can act on: what a method call fails with, what the
/// client throws.
///
/// `name` is a D-Bus error name (`org.daybreak.RemoteProc1.Error.Busy`); `message` one sentence.
public struct BusError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { "\(name): \(message)" }

    /// Standard error names of the D-Bus specification (and the ones sd-bus uses).
    public enum Name {
        public static let failed = "org.freedesktop.DBus.Error.Failed"
        public static let noMemory = "org.freedesktop.DBus.Error.NoMemory"
        public static let noServer = "org.freedesktop.DBus.Error.NoServer"
        public static let noReply = "org.freedesktop.DBus.Error.NoReply"
        public static let timeout = "org.freedesktop.DBus.Error.Timeout"
        public static let disconnected = "org.freedesktop.DBus.Error.Disconnected"
        public static let accessDenied = "org.freedesktop.DBus.Error.AccessDenied"
        public static let invalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
        public static let unknownObject = "org.freedesktop.DBus.Error.UnknownObject"
        public static let unknownInterface = "org.freedesktop.DBus.Error.UnknownInterface"
        public static let unknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"
        public static let unknownProperty = "org.freedesktop.DBus.Error.UnknownProperty"
        public static let propertyReadOnly = "org.freedesktop.DBus.Error.PropertyReadOnly"
        public static let nameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
        public static let limitsExceeded = "org.freedesktop.DBus.Error.LimitsExceeded"
        public static let notSupported = "org.freedesktop.DBus.Error.NotSupported"
    }

    public static func failed(_ message: String) -> BusError { BusError(name: Name.failed, message: message) }
    public static func invalidArgs(_ message: String) -> BusError { BusError(name: Name.invalidArgs, message: message) }
    public static func accessDenied(_ message: String) -> BusError { BusError(name: Name.accessDenied, message: message) }

    /// An error from a libsystemd return value (`-errno`) where no named error came with it.
    package static func errno(_ negativeErrno: Int32, _ operation: String) -> BusError {
        let e = negativeErrno < 0 ? -negativeErrno : negativeErrno
        return BusError(name: Name.failed, message: "\(operation) failed: \(String(cString: strerror(e))).")
    }
}



extension BusError {
    /// `org.freedesktop.DBus.Error.Failed` with the system error's description.
    public init(_ error: SyscallError) {
        self.init(name: Name.failed, message: "\(error.description).")
    }
}
