// The errors rprocd answers with: a D-Bus error name from docs/dbus-api.md and one sentence the
// user can act on. Everything the manager refuses or the kernel refuses ends up here, once.

import RprocModel
import RprocSystem
import SystemPackage

/// A refusal or failure as clients see it.
public struct DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The D-Bus error name without the prefix: `NoSuchProcessor`, or a standard
    /// `org.freedesktop.DBus.Error.*` name in full.
    public var name: Name
    /// One sentence a user can act on.
    public var message: String

    public init(_ name: Name, _ message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { message }

    /// The named errors of docs/dbus-api.md.
    public enum Name: String, Sendable, CaseIterable {
        case noSuchProcessor = "org.daybreak.RemoteProc1.Error.NoSuchProcessor"
        case invalidTransition = "org.daybreak.RemoteProc1.Error.InvalidTransition"
        case notRunning = "org.daybreak.RemoteProc1.Error.NotRunning"
        case notConfigured = "org.daybreak.RemoteProc1.Error.NotConfigured"
        case busy = "org.daybreak.RemoteProc1.Error.Busy"
        case failed = "org.daybreak.RemoteProc1.Error.Failed"
        case firmwareNotFound = "org.daybreak.RemoteProc1.Error.FirmwareNotFound"
        case firmwareInvalid = "org.daybreak.RemoteProc1.Error.FirmwareInvalid"
        case kernelRefused = "org.daybreak.RemoteProc1.Error.KernelRefused"
        case readOnly = "org.daybreak.RemoteProc1.Error.ReadOnly"
        case timeout = "org.daybreak.RemoteProc1.Error.Timeout"
        /// An update did not come up and the previous image runs again (`Result=rolled-back`).
        case rolledBack = "org.daybreak.RemoteProc1.Error.RolledBack"
        case noSuchCoredump = "org.daybreak.RemoteProc1.Error.NoSuchCoredump"
        case accessDenied = "org.freedesktop.DBus.Error.AccessDenied"
        case invalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
        case notSupported = "org.freedesktop.DBus.Error.NotSupported"
        case internalFailure = "org.freedesktop.DBus.Error.Failed"
    }
}

extension DaemonError {
    /// A refusal of the planner, for processor `name`.
    init(_ refusal: TransitionRefusal, processor name: String) {
        let error = Name(rawValue: "org.daybreak.RemoteProc1.Error." + refusal.errorName) ?? .invalidTransition
        self.init(error, "'\(name)': \(refusal.description)")
    }

    /// The error for a failed kernel access during an operation on `processor` (its name, for
    /// the message).
    static func kernel(_ error: any Error, processor: String) -> DaemonError {
        switch error {
        case let error as KernelWriteError:
            let after = error.stateAfter.map { " and is '\($0.sysfsValue)' now" } ?? ""
            return DaemonError(
                .kernelRefused,
                "The kernel refused '\(error.value)' on '\(error.attribute)' of '\(processor)' with \(errnoName(error.errno)) "
                    + "(it was '\(error.stateBefore.sysfsValue)'\(after)); see 'journalctl -k' for the reason.")
        case let error as ReadOnlyAttributeError:
            return DaemonError(
                .readOnly,
                "The driver of '\(processor)' made '\(error.attribute)' read-only, so rprocd cannot write '\(error.value)' to it.")
        case let error as InvalidKernelWriteError:
            return DaemonError(.invalidArgs, "Cannot write '\(error.write.value)' to '\(error.write.attribute)': \(error.problem).")
        case let error as SystemError:
            return DaemonError(.kernelRefused, "Failed to access '\(processor)': \(error).")
        default:
            return DaemonError(.internalFailure, "Failed to access '\(processor)': \(error).")
        }
    }

    /// `EINVAL (Invalid argument)`.
    static func errnoName(_ errno: Errno) -> String {
        let names: [Errno: String] = [
            .invalidArgument: "EINVAL", .resourceBusy: "EBUSY", .noSuchFileOrDirectory: "ENOENT",
            .operationNotSupportedByDevice: "ENODEV", .permissionDenied: "EACCES", .interrupted: "EINTR",
            .notPermitted: "EPERM", .textFileBusy: "ETXTBSY", .noMemory: "ENOMEM", .ioError: "EIO",
            .timedOut: "ETIMEDOUT",
        ]
        let symbol = names[errno] ?? "errno \(errno.rawValue)"
        return "\(symbol) (\(errno.description))"
    }
}
