// Running the built `rprocctl` binary, as swift-argument-parser's `AssertExecuteCommand` does.

import Foundation
import Testing

/// What a run of `rprocctl` printed and returned.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum Rprocctl {
    /// The package root, from this file's path (Tests/RprocCtlTests/Support/RunCommand.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `rprocctl` binary under test.
    ///
    /// `swift test` and `swift build --build-tests` build every product, so the binary sits next to
    /// the test bundle (same configuration, same build path). Failing that, `.build/debug/rprocctl`
    /// under the package root. Tests need `swift build --build-tests` (or a plain `swift test`)
    /// to have run; `swift test --skip-build` after only building tests of one target is not enough.
    static let binary: URL? = {
        var candidates: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("rprocctl"))
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/rprocctl"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs `rprocctl arguments…` in `directory` with stdin from /dev/null, and waits for it.
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        guard let binary else {
            Issue.record("rprocctl is not built: run `swift build --build-tests` (or `swift test`) first")
            throw CancellationError()
        }
        return try run(executable: binary, arguments, in: directory, environment: environment)
    }

    /// Runs `executable arguments…` in `directory` with stdin from /dev/null, and waits for it.
    static func run(executable: URL, _ arguments: [String], in directory: URL?, environment: [String: String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    static func run(_ arguments: String..., in directory: URL? = nil) throws -> CommandResult {
        try run(arguments, in: directory)
    }
}

/// Snapshot files under Tests/RprocCtlTests/Snapshots/.
enum Snapshot {
    static let directory = Rprocctl.packageRoot.appendingPathComponent("Tests/RprocCtlTests/Snapshots")

    /// Compares `text` with the snapshot `name`. With `RPROCCTL_UPDATE_SNAPSHOTS=1` in the
    /// environment, writes the snapshot instead (and the test still reports that it did).
    static func assertMatches(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["RPROCCTL_UPDATE_SNAPSHOTS"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            Issue.record("wrote snapshot \(name)", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("snapshot \(name) is missing; run with RPROCCTL_UPDATE_SNAPSHOTS=1 to write it", sourceLocation: sourceLocation)
            return
        }
        #expect(text == expected, "output differs from Snapshots/\(name)", sourceLocation: sourceLocation)
    }
}

/// A temporary directory, removed when the value is deinitialised.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rprocctl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` in this directory and returns its URL.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

extension Rprocctl {
    /// Runs `rprocctl arguments…` with standard output on a pseudo-terminal, through util-linux
    /// `script` (essential on Debian), and returns its exit status and what it wrote there, with the
    /// terminal's "\r\n" turned back into "\n".
    static func runOnTerminal(_ arguments: [String], in directory: URL? = nil, environment: [String: String]) throws -> CommandResult {
        guard let binary else {
            Issue.record("rprocctl is not built: run `swift build --build-tests` (or `swift test`) first")
            throw CancellationError()
        }
        let quoted = ([binary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let result = try run(
            executable: URL(fileURLWithPath: "/usr/bin/script"), ["-qec", quoted.joined(separator: " "), "/dev/null"],
            in: directory, environment: environment)
        return CommandResult(
            status: result.status, stdout: result.stdout.replacingOccurrences(of: "\r\n", with: "\n"), stderr: result.stderr)
    }
}
