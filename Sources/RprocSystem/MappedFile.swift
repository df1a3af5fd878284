import Glibc
import SystemPackage

/// A regular file mapped read-only into memory (`mmap(PROT_READ, MAP_PRIVATE)`), for validating a firmware
/// image without copying it. Unmapped when the last reference goes.
public final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and never changes after init.
    public let path: String
    public let count: Int
    private let address: UnsafeMutableRawPointer?

    /// Maps the whole of `path`. An empty file gives an empty mapping.
    public init(_ path: String) throws {
        self.path = path
        let fd = try syscall("open", path: path) { system_open(path, O_RDONLY | O_CLOEXEC, 0) }
        defer { _ = system_close(fd) }
        var buffer = stat()
        _ = try syscall("stat", path: path) { system_fstat(fd, &buffer) }
        guard buffer.st_mode & S_IFMT == S_IFREG else {
            throw SystemError(operation: "map", path: path, errno: .invalidArgument)
        }
        count = Int(buffer.st_size)
        if count == 0 {
            address = nil
            return
        }
        let mapped = system_mmap(count, PROT_READ, MAP_PRIVATE, fd, 0)
        if mapped == MAP_FAILED || mapped == nil {
            throw SystemError(operation: "map", path: path, errno: Errno(rawValue: system_errno()))
        }
        address = mapped
    }

    /// Calls `body` with the mapped bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: address, count: count))
    }

    /// A copy of the bytes.
    public var bytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }

    deinit {
        if let address { _ = system_munmap(address, count) }
    }
}

extension KernelFiles {
    /// Reads a resolved firmware file whole (`lookUpFirmware(_:)` gives its `absolutePath`).
    public func readFirmware(_ candidate: FirmwareCandidate) throws -> [UInt8] {
        try operations.readWhole(candidate.absolutePath, chunkSize: 1 << 16)
    }

    /// Maps a resolved firmware file read-only, for validation without a copy.
    public func mapFirmware(_ candidate: FirmwareCandidate) throws -> MappedFile {
        try MappedFile(candidate.absolutePath)
    }
}
