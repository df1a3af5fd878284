// End to end, the evidence of a crash through the built rprocd and rprocctl on the mounted lab
// board: dumps released (`inline` too) and stored with their metadata, pruned by MaxFiles=,
// MaxUse= and KeepFree=; the remote's trace lines followed by `rprocctl logs -f` across
// recoveries and a stop, and `-n N`.

import Foundation
import Glibc
import RprocBus
import RprocTestSupport
import Testing
@testable import RprocDaemon

/// A child process whose standard output is collected as it comes (`rprocctl logs -f`).
final class FollowedProcess: @unchecked Sendable {
    let process = Process()
    private let pipe = Pipe()
    private let lock = NSLock()
    private var collected = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.collected.append(data)
            self.lock.unlock()
        }
        try process.run()
    }

    deinit {
        pipe.fileHandleForReading.readabilityHandler = nil
        if process.isRunning {
            // SIGKILL: the child inherits the test runner's signal mask, which blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

@Suite(.serialized, .enabled(if: MountedBoard.available && DaemonProcess.binary != nil))
struct CrashCoredumpE2ETests {
    static let restart = "[Recovery]\nRestart=on-crash\nRestartSec=0\nStartLimitBurst=0\n"
    static let hello = "m4: hello from the simulated remote"

    /// `[Coredump]` lines and how many dumps the retention keeps of three.
    struct Retention: Sendable, CustomTestStringConvertible {
        var mode: String
        var lines: String
        var kept: Int
        var testDescription: String { "Mode=\(mode) \(lines)" }
    }

    static let retentions = [
        Retention(mode: "inline", lines: "MaxFiles=2", kept: 2),
        Retention(mode: "on", lines: "MaxUse=1", kept: 1),
        // More free space than any test machine has: every older dump goes.
        Retention(mode: "on", lines: "KeepFree=1E", kept: 1),
        Retention(mode: "on", lines: "MaxFiles=5", kept: 3),
    ]

    func list(_ d: CrashDaemon) throws -> [String] {
        let reply = try d.client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "ListCoredumps",
                                      arguments: [.string("m4")])
        return (reply.first?.elements ?? []).compactMap { $0.members?.first?.string }
    }

    @Test(arguments: retentions)
    func dumpsAreReleasedStoredDescribedAndPruned(retention: Retention) throws {
        let d = try CrashDaemon(Self.restart + "[Coredump]\nMode=\(retention.mode)\n\(retention.lines)")
        #expect(d.sysfs("coredump") == (retention.mode == "on" ? "enabled" : "inline"))
        // The trace line is kept first, so the dumps' metadata carries it.
        #expect(try d.eventually { try d.rprocctl("logs", "m4").output.contains(Self.hello) }, "\(d.log)")
        var stored: [String] = []
        for crash in 1...3 {
            // An unreleased `inline` dump would hold the recovery (and the next crash) for 5 min.
            #expect(try d.crashAndAwaitRecovery(), "crash \(crash): \(d.log)")
            var ids: [String] = []
            #expect(try d.eventually {
                ids = try list(d)
                return ids.last != nil && ids.last != stored.last
            }, "crash \(crash): \(ids); \(d.log)")
            stored.append(ids.last ?? "")
        }
        // Released: no devcoredump left on the board.
        let devcoredumps = d.e2e.board.path("sys/class/devcoredump")
        #expect(d.eventually { ((try? FileManager.default.contentsOfDirectory(atPath: devcoredumps)) ?? []).allSatisfy { !$0.hasPrefix("devcd") } })
        // Pruned, oldest first; the files on disk agree (each dump and its metadata, nothing half-written).
        var kept: [String] = []
        #expect(try d.eventually {
            kept = try list(d)
            return kept == Array(stored.suffix(retention.kept))
        }, "\(kept) of \(stored)")
        let files = try FileManager.default.contentsOfDirectory(atPath: d.e2e.work + "/state/coredumps/m4").sorted()
        #expect(files == stored.suffix(retention.kept).flatMap { id in
            let stem = id.split(separator: "/").last.map(String.init) ?? ""
            return [stem + ".core", stem + ".json"]
        }.sorted(), "\(files)")
        // The metadata of the newest.
        let newest = try #require(stored.last)
        let text = try d.client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "DescribeCoredump",
                                     arguments: [.string(newest)]).first?.string ?? ""
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        #expect(json["processor"] as? String == "m4")
        #expect(json["device"] as? String == "remoteproc0")
        #expect(json["firmware"] as? String == "m4.elf")
        let (_, sum) = try BusHarness.run(["sha256sum", d.e2e.board.firmwareDirectory + "/m4.elf"])
        #expect(json["firmwareSHA256"] as? String == String(sum.prefix(64)), "\(sum)")
        #expect(json["crashType"] as? String == "watchdog")
        #expect(json["crashCount"] as? Int == 3)
        let kernelLog = json["kernelLog"] as? [String] ?? []
        #expect(kernelLog.contains { $0.contains("crash detected in m4: type watchdog") }, "\(kernelLog)")
        #expect((json["trace"] as? [String] ?? []).contains(Self.hello), "\(text)")
        let core = try Data(contentsOf: URL(fileURLWithPath: d.e2e.work + "/state/coredumps/" + newest + ".core"))
        #expect(json["size"] as? Int == core.count)
        #expect(core.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]) && core.count > 52 && core[16] == 4, "\(core.prefix(20) as NSData)")  // ET_CORE
        // rprocctl shows the same.
        let info = try d.rprocctl("coredump", "info", newest).output
        #expect(info.contains(String(sum.prefix(64))) && info.contains("watchdog"), "\(info)")
    }

    @Test func logsFollowsTheTraceAcrossRecoveriesAndAStop() throws {
        let d = try CrashDaemon(Self.restart)
        #expect(try d.eventually { try d.rprocctl("logs", "m4", "-n", "0").output.split(separator: "\n") == [Substring(Self.hello)] },
                "\(d.log)")
        let follower = try FollowedProcess([CrashDaemon.rprocctlPath, "--socket", d.e2e.socket, "logs", "m4", "-f", "-n", "0"])
        // It prints the kept line after subscribing: from then on it sees every new one.
        #expect(d.eventually { follower.lines == [Self.hello] }, "\(follower.lines)")
        // Each recovery boots the remote again, which writes its line again, in the same place of
        // a buffer that reads as before.
        for boot in 2...3 {
            #expect(try d.crashAndAwaitRecovery(), "\(d.log)")
            #expect(d.eventually { follower.lines.count == boot }, "boot \(boot): \(follower.lines); \(d.log)")
        }
        // A stop makes the buffer vanish; the next start fills a new one.
        #expect(try d.rprocctl("stop", "m4").status == 0)
        #expect(try d.rprocctl("start", "m4").status == 0)
        #expect(d.eventually { follower.lines.count == 4 }, "\(follower.lines); \(d.log)")
        #expect(follower.lines == Array(repeating: Self.hello, count: 4))
        #expect(follower.process.isRunning)
        // -n N: the last N kept; 0 all.
        #expect(try d.rprocctl("logs", "m4", "-n", "2").output.split(separator: "\n").count == 2)
        #expect(try d.rprocctl("logs", "m4", "-n", "0").output.split(separator: "\n").count == 4)
        #expect(try d.rprocctl("status", "m4", "-n", "3").output.components(separatedBy: Self.hello).count == 4)
    }
}
