// The built rprocd on the virtual lab board (Resources/boards/lab.conf, mounted by rproc-sim), for
// the tests of the daemon verbs: each test gets its own board, state directory and socket.

import Foundation
import Glibc
import RprocTestSupport
import Testing

/// rprocd running with `--root` on a freshly mounted lab board.
final class LabDaemon: @unchecked Sendable {
    /// Why the tests cannot run here (nil when they can).
    static let unavailableReason: String? = {
        if let reason = MountedBoard.unavailableReason { return reason }
        if rprocdPath == nil { return "rprocd is not built (swift build --build-tests)" }
        return nil
    }()

    /// Whether they can; prints the reason once when not (for `.enabled(if:)`).
    static let available: Bool = {
        if let reason = unavailableReason { print("Skipping rprocctl tests on the lab board: \(reason)") }
        return unavailableReason == nil
    }()

    /// The rprocd binary next to rprocctl.
    static let rprocdPath: String? = Rprocctl.binary.map { $0.deletingLastPathComponent().appendingPathComponent("rprocd").path }
        .flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }

    let board: MountedBoard
    let directory: TemporaryDirectory
    let process = Process()
    var socket: String { directory.url.appendingPathComponent("control").path }

    /// Mounts the lab board with the sample firmware as every image it names but `auto.elf`
    /// (so nothing boots by itself), starts rprocd on it and waits until it answers.
    init(extraArguments: [String] = []) throws {
        let sample = Images.sample
        board = try MountedBoard(board: "lab", firmware: ["m4.elf": sample, "r5f.elf": sample, "slow.elf": sample, "broken.elf": sample])
        directory = try TemporaryDirectory()
        // Reachable by another user for the access-denied test: the socket is 0666 below.
        chmod(directory.url.path, 0o755)
        for name in ["state", "config"] {
            try FileManager.default.createDirectory(at: directory.url.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        process.executableURL = URL(fileURLWithPath: Self.rprocdPath!)
        process.arguments = [
            "--root", board.mountPoint, "--socket", socket, "--socket-mode", "0666",
            "--state-dir", directory.url.appendingPathComponent("state").path,
            "--config-dir", directory.url.appendingPathComponent("config").path, "--system-bus", "no",
        ] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "INVOCATION_ID", "JOURNAL_STREAM"] { environment[name] = nil }
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // Ready once `list` answers: rprocd listens only after discovery.
        for _ in 0..<400 {
            if try run("list", "-q").status == 0 { return }
            guard process.isRunning else { break }
            usleep(25_000)
        }
        throw CancellationError()
    }

    deinit {
        // SIGTERM, then SIGKILL after 5 s: the board unmounts after this, and must not find rprocd on it.
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<200 where process.isRunning { usleep(25_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs `rprocctl --socket SOCKET arguments…`.
    func run(_ arguments: String...) throws -> CommandResult { try run(arguments) }

    func run(_ arguments: [String], environment: [String: String] = ["TZ": "UTC"]) throws -> CommandResult {
        try Rprocctl.run(["--socket", socket] + arguments, environment: environment)
    }

    /// A file of the board's debugfs for `remoteprocN`.
    func debugfs(_ index: Int, _ file: String) -> String { board.path("sys/kernel/debug/remoteproc/remoteproc\(index)/\(file)") }

    /// A sysfs attribute of `remoteprocN`.
    func sysfs(_ index: Int, _ attribute: String) -> String { board.path("sys/class/remoteproc/remoteproc\(index)/\(attribute)") }

    /// Writes `text` to a kernel file in one write(2), as `printf` would (no newline).
    func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        if written < 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Polls `rprocctl is-running NAME` until the state is `state` (at most 10 s).
    func waitForState(_ name: String, _ state: String) throws -> Bool {
        for _ in 0..<400 {
            if try run("is-running", name).stdout == state + "\n" { return true }
            usleep(25_000)
        }
        return false
    }
}

/// Output with the times made stable: "Tue 2026-12-01 08:17:32 UTC; 5min ago" and
/// "2026-12-01 08:17:32.123" become "<TIME>".
func normalizingTimes(_ text: String) -> String {
    var text = text.replacing(
        /[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+; (in )?[0-9a-z ]+( ago)?/, with: "<TIME>")
    text = text.replacing(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/, with: "<TIME>")
    return text
}

/// A running `rprocctl monitor` whose standard output is read line by line.
final class MonitorProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private var buffer = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = Rprocctl.binary!
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        process.environment = environment
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Reads standard error until the "Monitoring" line: the subscriptions are in place then.
    func waitUntilListening() -> Bool {
        var text = ""
        while !text.contains("\n") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { return false }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return text.hasPrefix("Monitoring rprocd")
    }

    /// Reads lines until one satisfies `done` (at most `seconds`); returns every line read.
    func lines(until done: (String) -> Bool, seconds: Double = 10) -> [String] {
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        let fd = output.fileHandleForReading.fileDescriptor
        while Date() < deadline {
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                lines.append(line)
                if done(line) { return lines }
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        return lines
    }

    /// Sends SIGINT and returns the exit status.
    func interrupt() -> Int32 {
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
