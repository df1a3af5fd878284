// Mounting a virtual board for tests: runs the built `rproc-sim` on a temporary mount point with a
// ready file, waits until it is mounted, and stops it (SIGTERM, then SIGKILL and a lazy unmount if
// it does not go) when the test is done. Used by the VirtualBoard tests and the daemon's
// end-to-end tests.

import Foundation
import Glibc

/// A board mounted by a running `rproc-sim` process.
public final class MountedBoard: @unchecked Sendable {
    /// Why boards cannot be mounted here (nil when they can): no /dev/fuse, or no binary.
    public static let unavailableReason: String? = {
        if access("/dev/fuse", F_OK) != 0 { return "/dev/fuse is missing (Debian: modprobe fuse; apt-get install fuse3)" }
        let fd = open("/dev/fuse", O_RDWR)
        if fd < 0 { return "/dev/fuse cannot be opened: \(String(cString: strerror(errno)))" }
        close(fd)
        if access(simulatorPath, X_OK) != 0 { return "'\(simulatorPath)' is not built (swift build --product rproc-sim)" }
        return nil
    }()

    /// Whether boards can be mounted; prints the reason once when not (for `.enabled(if:)`).
    public static let available: Bool = {
        if let reason = unavailableReason { print("Skipping virtual-board tests: \(reason)") }
        return unavailableReason == nil
    }()

    /// The package root (this file is Tests/RprocTestSupport/BoardMount.swift).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `rproc-sim` binary: `$RPROC_SIM`, else the debug build of this package.
    public static let simulatorPath: String =
        ProcessInfo.processInfo.environment["RPROC_SIM"] ?? packageRoot + "/.build/debug/rproc-sim"

    /// A board file in Resources/boards (`"lab"` → …/lab.conf).
    public static func boardFile(_ name: String) -> String { packageRoot + "/Resources/boards/\(name).conf" }

    public let mountPoint: String
    public let firmwareDirectory: String
    public let readyFile: String
    public let process: Process
    private let stderrPipe = Pipe()
    private var stopped = false

    /// Mounts `board` (a path, or a name in Resources/boards).
    ///
    /// - Parameters:
    ///   - firmware: files to put into the firmware directory before mounting (name → bytes).
    ///   - environment: variables added to the simulator's environment (e.g. `NOTIFY_SOCKET`).
    ///   - timeout: how long to wait for the ready file.
    public init(
        board: String, firmware: [String: [UInt8]] = [:], environment: [String: String] = [:], timeout: Double = 20
    ) throws {
        let file = board.contains("/") ? board : Self.boardFile(board)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)")
        mountPoint = base.appendingPathComponent("mnt").path
        firmwareDirectory = base.appendingPathComponent("firmware").path
        readyFile = base.appendingPathComponent("ready").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: firmwareDirectory, withIntermediateDirectories: true)
        for (name, bytes) in firmware {
            try Data(bytes).write(to: URL(fileURLWithPath: firmwareDirectory + "/" + name))
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.simulatorPath)
        process.arguments = [file, mountPoint, "--firmware-dir", firmwareDirectory, "--ready-file", readyFile]
        process.standardError = stderrPipe
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: readyFile) {
            if !process.isRunning {
                throw MountedBoardError.exited(status: process.terminationStatus, stderr: stderrText())
            }
            if Date() > deadline {
                stop()
                throw MountedBoardError.timedOut(stderr: stderrText())
            }
            usleep(5_000)
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: mountPoint).deletingLastPathComponent().path)
    }

    /// A path inside the board (`"sys/class/remoteproc/remoteproc0/state"`).
    public func path(_ relative: String) -> String { mountPoint + "/" + relative }

    /// Whether the board is still mounted (listed in /proc/mounts).
    public var isMounted: Bool {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first.map(String.init) == mountPoint }
    }

    /// Sends SIGTERM and waits for the process (SIGKILL and a lazy unmount after 10 s).
    /// Returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if !stopped {
            stopped = true
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                let deadline = Date().addingTimeInterval(10)
                while process.isRunning && Date() < deadline { usleep(5_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            process.waitUntilExit()
            if isMounted { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
        }
        return process.terminationStatus
    }

    /// What the simulator wrote on stderr so far (warnings, errors), once it has exited.
    public func stderrText() -> String {
        if process.isRunning { return "" }
        return String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

public enum MountedBoardError: Error, CustomStringConvertible {
    case exited(status: Int32, stderr: String)
    case timedOut(stderr: String)

    public var description: String {
        switch self {
        case .exited(let status, let stderr): "rproc-sim exited with status \(status): \(stderr)"
        case .timedOut(let stderr): "rproc-sim did not become ready: \(stderr)"
        }
    }
}
