import Glibc

/// A failed system or libsystemd call: which operation, on which path (if any), and the errno.
///
/// libsystemd returns `-errno`; both kinds end up here with a positive `errno`.
public struct SyscallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `"sd_event_add_io"` or `"bind"`.
    public var operation: String
    /// The file or socket path involved, if any.
    public var path: String?
    /// The positive errno value.
    public var errno: Int32

    public init(operation: String, path: String? = nil, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// `strerror(errno)`.
    public var errnoDescription: String { String(cString: strerror(errno)) }

    public var description: String {
        if let path { return "\(operation) '\(path)': \(errnoDescription)" }
        return "\(operation): \(errnoDescription)"
    }
}

/// Turns a libsystemd return value (`-errno` on failure) into a thrown `SyscallError`.
@inline(__always)
package func check(_ r: Int32, _ operation: @autoclosure () -> String, path: String? = nil) throws(SyscallError) -> Int32 {
    if r < 0 { throw SyscallError(operation: operation(), path: path, errno: -r) }
    return r
}
