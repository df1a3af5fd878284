import Glibc
import SystemPackage

/// Files replaced atomically: a temporary file in the same directory, written, `fsync`ed, renamed over the
/// target, then the directory `fsync`ed, so that after a crash the file is either the old or the new content.
/// Used for rprocd's state files, stored coredumps and staged firmware (a firmware file still open for writing
/// can make the kernel's load fail with ETXTBSY, kernel-contract.md §9 item 10).
public enum AtomicFile {
    /// Replaces (or creates) `path` with `bytes`.
    ///
    /// - Parameters:
    ///   - permissions: The new file's mode (umask does not apply).
    /// - Throws: `SystemError`; the temporary file is removed on failure.
    public static func write(_ bytes: some Collection<UInt8>, to path: String, permissions: UInt32 = 0o644) throws {
        let directory = parentDirectory(of: path)
        let temporary = directory + "/." + lastComponent(path) + ".tmp-"
            + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let fd = try syscall("create", path: temporary) {
            system_open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions))
        }
        do {
            let content = Array(bytes)
            var offset = 0
            while offset < content.count {
                let written = try content.withUnsafeBytes { raw in
                    try syscall("write", path: temporary) {
                        system_write(fd, raw.baseAddress! + offset, raw.count - offset)
                    }
                }
                offset += written
            }
            _ = try syscall("change mode of", path: temporary) { system_fchmod(fd, mode_t(permissions)) }
            _ = try syscall("sync", path: temporary) { system_fsync(fd) }
        } catch {
            _ = system_close(fd)
            _ = system_unlink(temporary)
            throw error
        }
        do {
            _ = try syscall("close", path: temporary, retryOnInterrupt: false) { system_close(fd) }
            _ = try syscall("rename", path: temporary) { system_rename(temporary, path) }
        } catch {
            _ = system_unlink(temporary)
            throw error
        }
        let directoryFD = try syscall("open", path: directory) {
            system_open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        }
        defer { _ = system_close(directoryFD) }
        _ = try syscall("sync", path: directory) { system_fsync(directoryFD) }
    }

    /// The directory part of `path` (`.` for a bare name).
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}
