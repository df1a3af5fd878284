// Reading a firmware image: one open, one fstat, one mmap.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import RprocFirmware

/// Why a file could not be read. The message names the path and the errno, systemd style.
struct FileReadError: Error, CustomStringConvertible {
    /// The C function that failed.
    let operation: String
    let path: String
    /// The errno, or nil when the file was readable but is not a regular file.
    let errno: Int32?
    let detail: String?

    var description: String {
        if let errno {
            let reason = String(cString: strerror(errno))
            return "Failed to \(operation) '\(path)': \(reason) (\(KernelErrno(rawValue: errno).name))"
        }
        return "Failed to read '\(path)': \(detail ?? "not a regular file")"
    }
}

/// A file's contents mapped read-only into memory.
///
/// The image is parsed straight from the mapping, so the kernel pages in only what the parser
/// touches (the headers and the resource table): a 64 MiB image costs what a small one does.
final class MappedFile {
    let path: String
    /// The file's size in bytes.
    let size: Int
    private let base: UnsafeMutableRawPointer?

    /// Maps `path` read-only.
    ///
    /// - Throws: ``FileReadError`` naming the failed call and its errno.
    ///   The corresponding C functions are `open`, `fstat` and `mmap`.
    init(path: String) throws(FileReadError) {
        self.path = path
        var fd: Int32
        // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then refuses it).
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw FileReadError(operation: "open", path: path, errno: errno, detail: nil) }
        defer { close(fd) }

        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw FileReadError(operation: "stat", path: path, errno: errno, detail: nil)
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw FileReadError(operation: "read", path: path, errno: EISDIR, detail: nil)
        default: throw FileReadError(operation: "read", path: path, errno: nil, detail: "not a regular file")
        }
        size = Int(status.st_size)
        guard size > 0 else {  // mmap refuses length 0; an empty file is an empty buffer
            base = nil
            return
        }
        let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw FileReadError(operation: "map", path: path, errno: errno, detail: nil)
        }
        base = mapping
    }

    /// The contents, valid for the duration of `body`.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : size))
    }

    deinit {
        if let base { munmap(base, size) }
    }
}
