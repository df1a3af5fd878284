import SystemPackage

/// A failed system call: which call, on which path, and the errno it returned.
///
/// `description` reads like systemd's messages: `Failed to open '/sys/class/remoteproc/remoteproc0/state':
/// No such file or directory`.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libc call that failed (`open`, `pread`, `write`, `rename`…).
    public var operation: String
    /// The path the call was about, when there is one.
    public var path: String?
    /// The errno the call returned.
    public var errno: Errno

    public init(operation: String, path: String?, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        if let path { return "Failed to \(operation) '\(path)': \(errno.description)" }
        return "Failed to \(operation): \(errno.description)"
    }
}
