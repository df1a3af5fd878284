// The pieces of a running virtual board put together: the kernel model of a board file, its
// firmware directory, the FUSE filesystem and the mount; plus the readiness signals.

import CSystemd
import Glibc
import KernelSim

/// A board described by a board file, mounted.
public final class Simulator: @unchecked Sendable {
    public let kernel: Kernel
    public let firmware: FirmwareDirectory
    public let filesystem: BoardFilesystem
    public let mount: BoardMount

    /// Builds the model (the processors probe now; auto-boot is scheduled) and mounts it.
    ///
    /// - Parameters:
    ///   - board: what the board file describes.
    ///   - firmwareDirectory: the host directory behind `lib/firmware` (must exist).
    ///   - mountPoint: an empty directory.
    public init(board: BoardDescription, firmwareDirectory: String, mountPoint: String) throws(MountError) {
        firmware = FirmwareDirectory(root: firmwareDirectory)
        kernel = Kernel(board: board, firmware: firmware, now: .zero)
        filesystem = BoardFilesystem(kernel: kernel, firmware: firmware)
        mount = try BoardMount(filesystem: filesystem, at: mountPoint)
    }
}

/// Writes `path` (the mount point and a newline) once the board is mounted, for scripts that wait
/// for it; returns the errno on failure.
public func writeReadyFile(_ path: String, mountPoint: String) -> Int32? {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return errno }
    defer { close(fd) }
    let text = Array((mountPoint + "\n").utf8)
    let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    return written == text.count ? nil : errno
}

/// Tells systemd the service is ready (`sd_notify(0, "READY=1")`); a no-op outside a unit.
public func notifyReady() {
    _ = sd_notify(0, "READY=1")
}

/// Creates `path` and its missing parents (mode 0755); returns the errno on failure.
public func makeDirectories(_ path: String) -> Int32? {
    var partial = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        partial += "/" + component
        if mkdir(partial, 0o755) != 0 && errno != EEXIST { return errno }
    }
    return nil
}

/// A new private directory for firmware when neither the command line nor the board names one.
public func makeTemporaryFirmwareDirectory() -> String? {
    var template = Array("/tmp/rproc-sim-firmware.XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer in
        mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
    }
}
