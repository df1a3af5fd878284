import Glibc
import SystemPackage

/// An open file descriptor together with the path it was opened from, so that every error names the file.
public struct OpenFile: Sendable, Hashable {
    public let descriptor: FileDescriptor
    public let path: String

    public init(descriptor: FileDescriptor, path: String) {
        self.descriptor = descriptor
        self.path = path
    }
}

/// What `stat(2)` says about a path, reduced to what RprocSystem needs.
public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, symbolicLink, characterDevice, blockDevice, fifo, socket, unknown
    }

    public var kind: Kind
    /// Permission bits (`st_mode & 07777`).
    public var permissions: UInt32
    /// `st_size`. Meaningless for sysfs attributes (always 4096, kernel-contract.md §1.2).
    public var size: Int64

    public init(kind: Kind, permissions: UInt32, size: Int64) {
        self.kind = kind
        self.permissions = permissions
        self.size = size
    }

    /// Whether any write bit is set. sysfs refuses an open for writing of a file without one with EACCES,
    /// even for root (kernel-contract.md §1.2, `KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK`).
    public var hasWriteBit: Bool { permissions & 0o222 != 0 }
}

/// The file operations RprocSystem uses to touch kernel files, as a protocol so that tests can record the
/// calls and fail a chosen one with a chosen errno (`RecordingFileOperations`). `SystemFileOperations` is the
/// real one. All paths are absolute (the root directory is already joined in). Every requirement throws
/// `SystemError`.
public protocol FileOperations: Sendable {
    /// Opens `path`. The corresponding C function is `open`; `O_CLOEXEC` is always added.
    func open(
        _ path: String, _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions
    ) throws -> OpenFile
    /// Closes `file`. The corresponding C function is `close`.
    func close(_ file: OpenFile) throws
    /// One `read(2)` at the current offset.
    func read(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// One `pread(2)` at `offset`.
    func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
    /// One `write(2)` of exactly `bytes`, never split and never buffered.
    func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws -> Int
    /// `stat(2)` (or `lstat(2)` when `followingSymlinks` is false).
    func status(of path: String, followingSymlinks: Bool) throws -> FileStatus
    /// The names in a directory, without `.` and `..`, sorted. The corresponding C function is `readdir`.
    func directoryEntries(_ path: String) throws -> [String]
    /// The canonical absolute path, all symbolic links resolved. The corresponding C function is `realpath`.
    func realPath(_ path: String) throws -> String
    /// The target of a symbolic link, as stored. The corresponding C function is `readlink`.
    func readLink(_ path: String) throws -> String
}

extension FileOperations {
    /// Reads a file whole with `pread` from offset 0 in chunks of `chunkSize` until it returns 0, or until
    /// `limit` bytes were read. Works for sysfs attributes (whose show function runs at offset 0), binary
    /// sysfs files such as devcoredump `data` (at most a page per read) and plain files alike.
    ///
    /// With `stopAtShortRead`, a read that returns less than asked ends it: right for sysfs text attributes,
    /// whose show function prints everything at offset 0 (one `pread` instead of two), wrong for devcoredump
    /// `data`, whose reads can stop short inside the header.
    public func readWhole(
        _ file: OpenFile, chunkSize: Int = 4096, limit: Int = Int.max, stopAtShortRead: Bool = false
    ) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while result.count < limit {
            let want = min(chunkSize, limit - result.count)
            let offset = Int64(result.count)
            let count = try chunk.withUnsafeMutableBytes { (raw) throws -> Int in
                try pread(file, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), at: offset)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            if stopAtShortRead && count < want { break }
        }
        return result
    }

    /// Opens `path` read-only, reads it whole (see `readWhole(_:chunkSize:limit:)`) and closes it.
    public func readWhole(
        _ path: String, chunkSize: Int = 4096, limit: Int = Int.max, stopAtShortRead: Bool = false
    ) throws -> [UInt8] {
        let file = try open(path, .readOnly, options: [])
        defer { try? close(file) }
        return try readWhole(file, chunkSize: chunkSize, limit: limit, stopAtShortRead: stopAtShortRead)
    }

    /// Opens `path` write-only, issues one `write(2)` of exactly `bytes`, closes it, and returns the count
    /// the kernel returned. A failing `open` throws with operation `open`, a failing write with `write`.
    public func writeOnce(_ path: String, _ bytes: [UInt8]) throws -> Int {
        let file = try open(path, .writeOnly, options: [])
        let written: Int
        do {
            written = try bytes.withUnsafeBytes { (raw) throws -> Int in try write(file, raw) }
        } catch {
            try? close(file)
            throw error
        }
        try close(file)
        return written
    }

    /// Whether `path` exists (following symbolic links).
    public func exists(_ path: String) -> Bool {
        (try? status(of: path, followingSymlinks: true)) != nil
    }
}

/// The real file operations, through the syscalls funnel.
public struct SystemFileOperations: FileOperations {
    public init() {}

    public func open(
        _ path: String, _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions
    ) throws -> OpenFile {
        let flags = access.rawValue | options.rawValue | O_CLOEXEC
        let fd = try syscall("open", path: path) { system_open(path, flags, 0) }
        return OpenFile(descriptor: FileDescriptor(rawValue: fd), path: path)
    }

    public func close(_ file: OpenFile) throws {
        // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
        _ = try syscall("close", path: file.path, retryOnInterrupt: false) { system_close(file.descriptor.rawValue) }
    }

    public func read(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try syscall("read", path: file.path) { system_read(file.descriptor.rawValue, buffer.baseAddress, buffer.count) }
    }

    public func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try syscall("read", path: file.path) {
            system_pread(file.descriptor.rawValue, buffer.baseAddress, buffer.count, off_t(offset))
        }
    }

    public func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws -> Int {
        try syscall("write", path: file.path) { system_write(file.descriptor.rawValue, bytes.baseAddress, bytes.count) }
    }

    public func status(of path: String, followingSymlinks: Bool) throws -> FileStatus {
        var buffer = stat()
        if followingSymlinks {
            _ = try syscall("stat", path: path) { system_stat(path, &buffer) }
        } else {
            _ = try syscall("lstat", path: path) { system_lstat(path, &buffer) }
        }
        return FileStatus(buffer)
    }

    public func directoryEntries(_ path: String) throws -> [String] {
        let dir = try syscallPointer("open directory", path: path) { system_opendir(path) }
        defer { _ = system_closedir(dir) }
        var names: [String] = []
        while let entry = system_readdir(dir) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func realPath(_ path: String) throws -> String {
        let resolved = try syscallPointer("resolve", path: path) { system_realpath(path) }
        defer { system_free(resolved) }
        return String(cString: resolved)
    }

    public func readLink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = try syscall("read link", path: path) { system_readlink(path, &buffer, buffer.count - 1) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension FileStatus {
    init(_ buffer: stat) {
        let kind: Kind
        switch buffer.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .unknown
        }
        self.init(kind: kind, permissions: UInt32(buffer.st_mode & 0o7777), size: Int64(buffer.st_size))
    }
}
