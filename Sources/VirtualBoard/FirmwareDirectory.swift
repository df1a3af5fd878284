// `lib/firmware/` on the board is a real directory on the host. Tests and rprocd stage firmware
// there through the mount (passthrough), and the kernel model reads it through `FirmwareSource`
// with the errors `kernel_read_file` gives.

import Glibc
import KernelSim
import RprocFirmware

/// The host directory behind the board's `/lib/firmware`, and the model's view of it.
public final class FirmwareDirectory: FirmwareSource, @unchecked Sendable {
    /// The host directory (absolute or relative to the working directory at mount time).
    public let root: String

    private let monitor = Monitor()
    /// Files open for writing through the mount, by (device, inode): `deny_write_access` fails on them.
    private var writers: [FileIdentity: Int] = [:]

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// The host path of a board path below `lib/firmware` (`"lib/firmware/a.elf"` → `root/a.elf`).
    func hostPath(ofBoardPath path: String) -> String {
        root + path.dropFirst(FirmwareDirectory.boardPath.count)
    }

    /// The board path of this directory, as the adapter names it (no leading slash).
    static let boardPath = "lib/firmware"

    static func contains(_ path: String) -> Bool {
        path == boardPath || path.hasPrefix(boardPath + "/")
    }

    // MARK: FirmwareSource

    /// Reads a firmware file as `kernel_read_file` does. `/lib/firmware/…` is this directory;
    /// any other absolute path (a `firmware_class.path` directory) is the host path itself.
    public func readFirmware(at path: String) -> Result<[UInt8], KernelErrno> {
        let host: String
        if path == "/" + FirmwareDirectory.boardPath || path.hasPrefix("/" + FirmwareDirectory.boardPath + "/") {
            host = hostPath(ofBoardPath: String(path.dropFirst()))
        } else {
            host = path
        }
        let fd = open(host, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(KernelErrno(rawValue: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(KernelErrno(rawValue: errno)) }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return .failure(.EINVAL) }
        if isOpenForWriting(FileIdentity(info)) { return .failure(.ETXTBSY) }
        guard info.st_size <= Int(Int32.max) else { return .failure(.EFBIG) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(KernelErrno(rawValue: errno))
            }
            if count == 0 { break }
            done += count
        }
        return .success(Array(bytes[0..<done]))
    }

    // MARK: Writers through the mount

    func beginWriting(_ identity: FileIdentity) {
        monitor.withLock { writers[identity, default: 0] += 1 }
    }

    func endWriting(_ identity: FileIdentity) {
        monitor.withLock {
            let count = (writers[identity] ?? 1) - 1
            writers[identity] = count > 0 ? count : nil
        }
    }

    func isOpenForWriting(_ identity: FileIdentity) -> Bool {
        monitor.withLock { writers[identity] != nil }
    }
}

/// A host file's identity: device and inode number.
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64
    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
