// Runs the built `rprocd` as a child process, with a NOTIFY_SOCKET the test reads, as systemd
// would run it.

import Foundation
import Glibc

/// The service manager's side of sd_notify: a datagram socket the child writes `READY=1` etc. to.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private(set) var received: [String] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(raw.count))) }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Waits up to `seconds` for a message containing `line` (one of its `KEY=value` lines).
    func wait(for line: String, seconds: Double = 10) -> Bool {
        if received.contains(where: { $0.split(separator: "\n").contains(Substring(line)) }) { return true }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, remaining) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let message = String(decoding: buffer[0..<count], as: UTF8.self)
            received.append(message)
            if message.split(separator: "\n").contains(Substring(line)) { return true }
        }
        return false
    }

    /// Reads every message queued now, as a service manager keeps doing: a full queue would block
    /// the daemon in sd_notify.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)), count > 0 {
            received.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
    }

    /// Every `STATUS=` sent so far.
    var statuses: [String] {
        received.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) }
    }
}

/// A running `rprocd`.
final class DaemonProcess: @unchecked Sendable {
    /// The binary next to this package's build products, or nil when it was not built.
    static var binary: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for configuration in ["debug", "release"] {
            let path = root.appendingPathComponent(".build/\(configuration)/rprocd").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    let process = Process()
    let notify: NotifySocket
    let output = Pipe()
    private var collected = Data()

    init(arguments: [String], notifyPath: String, environment extra: [String: String] = [:], executable: [String]? = nil) throws {
        guard let binary = Self.binary else { throw POSIXError(.ENOENT) }
        notify = try NotifySocket(path: notifyPath)
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notifyPath
        environment.removeValue(forKey: "INVOCATION_ID")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        environment.removeValue(forKey: "LISTEN_FDS")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        if let executable {
            process.executableURL = URL(fileURLWithPath: executable[0])
            process.arguments = Array(executable.dropFirst()) + [binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the exit (up to `seconds`); nil when it did not exit.
    func waitForExit(seconds: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Everything written to stdout and stderr so far (never blocks: `availableData` would wait
    /// for more while the daemon runs).
    var log: String {
        collect()
        return String(decoding: collected, as: UTF8.self)
    }

    /// Reads what the daemon wrote so far into `log` (a full pipe would block its logging).
    func collect() {
        let fd = output.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = read(fd, &buffer, buffer.count), count > 0 { collected.append(contentsOf: buffer[0..<count]) }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
