import SystemPackage

/// The kernel's files of one board, under a root directory: `/` on a board, the virtual board's mount point
/// in tests and in the demo. Every path RprocSystem touches is `root + "sys/class/remoteproc/…"`.
///
/// All I/O goes through `operations`, so tests can record and fail calls (`RecordingFileOperations`).
public struct KernelFiles: Sendable {
    /// The root directory, always ending in `/`.
    public let root: String
    /// The file operations every read and write goes through.
    public let operations: any FileOperations

    /// - Parameters:
    ///   - root: The directory that stands for `/` (a trailing slash is added when missing).
    ///   - operations: The file operations to use; the real ones by default.
    public init(root: String = "/", operations: any FileOperations = SystemFileOperations()) {
        self.root = root.hasSuffix("/") ? root : root + "/"
        self.operations = operations
    }

    /// Whether the root is the host's own `/` (udev and uname only make sense then).
    public var isHostRoot: Bool { root == "/" }

    /// The absolute path of `relative` (a path as on the board, with or without its leading `/`) under the root.
    public func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? root + relative.dropFirst() : root + relative
    }

    /// `absolute` as the board sees it: the root prefix replaced by `/`. Paths outside the root are returned as is.
    public func boardPath(_ absolute: String) -> String {
        if isHostRoot { return absolute }
        let bare = String(root.dropLast())
        if absolute == bare { return "/" }
        if absolute.hasPrefix(root) { return "/" + absolute.dropFirst(root.count) }
        return absolute
    }

    /// The entries of a directory that may not exist (a class or bus the kernel does not have, a device
    /// directory removed meanwhile): an absent directory has none.
    func entriesIfPresent(_ directory: String) throws -> [String] {
        do {
            return try operations.directoryEntries(directory)
        } catch let error as SystemError where error.errno == .noSuchFileOrDirectory {
            return []
        }
    }

    /// Reads a small text file whole (one pread from offset 0 when it fits a page) and returns it without its one trailing newline,
    /// the way sysfs show functions print (`"%s\n"`).
    public func readText(_ absolutePath: String) throws -> String {
        String(decoding: try operations.readWhole(absolutePath, limit: 1 << 20, stopAtShortRead: true), as: UTF8.self)
            .droppingOneNewline
    }
}

extension String {
    /// The string without one trailing `\n` (sysfs values end in exactly one).
    var droppingOneNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}

/// A file kept open for repeated reads, each a `pread` from offset 0: a second plain `read()` on a sysfs fd
/// returns EOF (kernel-contract.md §1.2). Closed when the last reference goes.
public final class KeptFile: Sendable {
    public let file: OpenFile
    private let operations: any FileOperations

    public init(_ path: String, operations: any FileOperations = SystemFileOperations()) throws {
        self.operations = operations
        self.file = try operations.open(path, .readOnly, options: [])
    }

    /// The whole content, read afresh from offset 0.
    public func read() throws -> [UInt8] { try operations.readWhole(file, limit: 1 << 20, stopAtShortRead: true) }

    /// The whole content as text without its one trailing newline.
    public func readText() throws -> String { String(decoding: try read(), as: UTF8.self).droppingOneNewline }

    deinit { try? operations.close(file) }
}
