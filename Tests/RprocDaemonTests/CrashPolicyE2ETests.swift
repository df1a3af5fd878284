// End to end, the restart policy of the crash watchdog through the built rprocd and rprocctl on
// the mounted lab board (both kernel flavours): FailureAction= after the start limit,
// FallbackFirmware=, the backoff schedule (RestartSec=, RestartSteps=, RestartMaxDelaySec=) as
// NextRestartUSec, and the signals and properties a client sees. Crashes are injected through
// debugfs `crash` exactly as on a board.

import Foundation
import Glibc
import RprocBus
import RprocModel
import RprocTestSupport
import Testing
@testable import RprocDaemon

/// rprocd on the lab board with one `m4.rproc`, a client subscribed to m4's crash signals, and
/// what those signals carried.
final class CrashDaemon: @unchecked Sendable {
    let e2e: BoardDaemon
    let client: BusClient
    let crashed = Box<[(type: String, count: UInt32)]>([])
    let recovered = Box<[UInt32]>([])
    let failed = Box<[String]>([])
    private var subscriptions: [BusClient.Subscription] = []

    /// The lab board file with `Flavour=` set (a temporary copy for CLASSIC).
    static func boardFile(_ flavour: KernelFlavour) throws -> String {
        guard flavour == .classic else { return MountedBoard.boardFile("lab") }
        let text = try String(contentsOfFile: MountedBoard.boardFile("lab"), encoding: .utf8)
        let file = NSTemporaryDirectory() + "lab-classic-\(UUID().uuidString).conf"
        try text.replacingOccurrences(of: "Flavour=NEW", with: "Flavour=CLASSIC").write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// - Parameter policy: the `[Recovery]`/`[Coredump]` lines of m4 (`[Match] Name=m4` is added).
    init(_ policy: String, flavour: KernelFlavour = .new, start: Bool = true) throws {
        let image = ElfBuilder.minimalRemoteproc().build()
        let board = try Self.boardFile(flavour)
        defer { if flavour == .classic { try? FileManager.default.removeItem(atPath: board) } }
        e2e = try BoardDaemon(
            firmware: ["m4.elf": image, "safe.elf": image], processorFiles: ["m4.rproc": "[Match]\nName=m4\n" + policy + "\n"], board: board)
        client = try e2e.client()
        let crashed = self.crashed, recovered = self.recovered, failed = self.failed
        let path = BoardDaemon.path("remoteproc0")
        subscriptions = [
            try client.subscribe(path: path, member: "Crashed") {
                crashed.value.append(($0.arguments.first?.string ?? "?", $0.arguments.dropFirst().first?.uint32 ?? 0))
            },
            try client.subscribe(path: path, member: "Recovered") { recovered.value.append($0.arguments.first?.uint32 ?? 0) },
            try client.subscribe(path: path, member: "Failed") { failed.value.append($0.arguments.first?.string ?? "") },
        ]
        try e2e.awaitConnected(client)
        // Adoption takes recovery over (Owner=rprocd is the default).
        guard eventually({ sysfs("recovery") == "disabled" }) else { throw BusError.failed("recovery not taken: \(e2e.daemon.log)") }
        if start {
            guard e2e.call("remoteproc0", "Start", [.string("")], client: client) == "ok" else {
                throw BusError.failed("m4 did not start: \(e2e.daemon.log)")
            }
        }
    }

    func sysfs(_ attribute: String) -> String {
        ((try? String(contentsOfFile: e2e.board.path("sys/class/remoteproc/remoteproc0/" + attribute), encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .newlines)
    }

    func crash() throws {
        try "1".write(toFile: e2e.board.path("sys/kernel/debug/remoteproc/remoteproc0/crash"), atomically: false, encoding: .utf8)
    }

    func property(_ name: String) throws -> BusValue {
        try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: name)
    }

    /// Dispatches signals until `condition` holds (at most `seconds`), reading rprocd's
    /// sd_notify messages and output meanwhile as a service manager would: a full queue or pipe
    /// would block its loop.
    func run(seconds: Double = 15, until condition: () -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            e2e.daemon.notify.drain()
            e2e.daemon.collect()
            if try client.run(until: condition, timeoutMicroseconds: 20_000) { return true }
        } while Date() < deadline
        return false
    }

    /// Polls `body` every 5 ms for at most `seconds` (waiting for the board, not measuring time).
    func eventually(seconds: Double = 15, _ body: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try body() { return true }
            e2e.daemon.notify.drain()
            e2e.daemon.collect()
            usleep(5_000)
        }
        return try body()
    }

    /// The built `rprocctl` (next to rprocd) on this daemon's socket.
    static var rprocctlPath: String {
        URL(fileURLWithPath: DaemonProcess.binary ?? "/").deletingLastPathComponent().appendingPathComponent("rprocctl").path
    }

    func rprocctl(_ arguments: String...) throws -> (status: Int32, output: String) {
        try BusHarness.run([Self.rprocctlPath, "--socket", e2e.socket] + arguments)
    }

    /// Crashes m4 and waits for the `Recovered` signal number `recovered.count + 1`.
    func crashAndAwaitRecovery() throws -> Bool {
        let before = recovered.value.count
        try crash()
        return try run { recovered.value.count > before }
    }

    var log: String { e2e.daemon.log }
}

@Suite(.serialized, .enabled(if: MountedBoard.available && DaemonProcess.binary != nil))
struct CrashPolicyE2ETests {
    static let limit = "[Recovery]\nRestart=on-crash\nRestartSec=0\nStartLimitBurst=2\nStartLimitIntervalSec=1min\n"

    @Test(arguments: [FailureAction.stop, .leave], [KernelFlavour.new, .classic])
    func theStartLimitMakesItFailedAndFailureActionSaysWhatHappensToIt(action: FailureAction, flavour: KernelFlavour) throws {
        let d = try CrashDaemon(Self.limit + "FailureAction=\(action.sysfsValue)", flavour: flavour)
        // StartLimitBurst=2: the user's start and one restart; the second crash hits the limit.
        #expect(try d.crashAndAwaitRecovery(), "\(d.log)")
        #expect(try d.eventually { d.sysfs("state") == "running" })
        try d.crash()
        #expect(try d.run { !d.failed.value.isEmpty }, "\(d.log)")
        // A crash seen in `state` before its kernel log line is announced without a type (learned after).
        #expect(d.crashed.value.allSatisfy { $0.type == "watchdog" || $0.type.isEmpty }, "\(d.crashed.value)")
        #expect(d.crashed.value.map(\.count) == [1, 2])
        #expect(d.recovered.value == [1])
        #expect(d.failed.value.first?.contains("start limit") == true && d.failed.value.first?.contains("StartLimitBurst=") == true,
                "\(d.failed.value)")
        let expected = action == .stop ? "offline" : "crashed"
        #expect(try d.eventually { try d.sysfs("state") == expected && d.property("State") == .string(expected) },
                "state \(d.sysfs("state")); \(d.log)")
        #expect(try d.property("Job") == .string("failed"))
        #expect(try d.property("Result") == .string("start-limit-hit"))
        #expect(try d.property("RestartCount") == .uint32(1))
        #expect(try d.property("CrashCount") == .uint32(2))
        // The stop was the only thing done: no restart after the limit (Recovered stays [1]).
        #expect(d.recovered.value == [1])
        let (statusCode, status) = try d.rprocctl("status", "m4", "-n", "0")
        #expect(statusCode == 3, "\(status)")  // LSB: not running
        for line in ["Job: failed", "Result: start-limit-hit", "Restarts: 1", "Crashes: 2 (last: watchdog"] {
            #expect(status.contains(line), "\(line) in \(status)")
        }
        // Failed until reset-failed: a start is refused, through the bus and rprocctl.
        #expect(d.e2e.call("remoteproc0", "Start", [.string("")], client: d.client).hasSuffix("Error.Failed"))
        let (refusedCode, refused) = try d.rprocctl("start", "m4")
        #expect(refusedCode != 0 && refused.contains("reset-failed"), "\(refused)")
        #expect(try d.rprocctl("reset-failed", "m4").status == 0)
        #expect(try d.property("Job") == .string("idle"))
        #expect(try d.property("Result") == .string("success"))
        #expect(try d.property("RestartCount") == .uint32(0))
        // And it can run again: a stopped one is started, one left crashed is recovered.
        #expect(try d.rprocctl(action == .stop ? "start" : "recover", "m4").status == 0, "\(d.log)")
        #expect(try d.eventually { d.sysfs("state") == "running" })
        // The policy is back: the next crash is recovered again.
        #expect(try d.crashAndAwaitRecovery(), "\(d.log)")
    }

    @Test(arguments: [KernelFlavour.new, .classic])
    func theFallbackFirmwareIsBootedOnceAtTheStartLimitAndRecorded(flavour: KernelFlavour) throws {
        let d = try CrashDaemon(Self.limit + "[Firmware]\nFallbackFirmware=safe.elf\n[Coredump]\nMode=on", flavour: flavour)
        #expect(try d.crashAndAwaitRecovery(), "\(d.log)")
        #expect(d.sysfs("firmware") == "m4.elf")
        // The second crash hits the limit with m4.elf: the fallback is booted, once. On CLASSIC the
        // crashed processor cannot be stopped (EINVAL), so it is recovered first, then stopped.
        #expect(try d.crashAndAwaitRecovery(), "\(d.log)")
        #expect(try d.eventually { d.sysfs("state") == "running" && d.sysfs("firmware") == "safe.elf" },
                "\(d.sysfs("state")) \(d.sysfs("firmware")); \(d.log)")
        #expect(d.failed.value.isEmpty)
        #expect(d.recovered.value == [1, 2])
        #expect(try d.property("Result") == .string("fallback"))
        #expect(try d.property("Firmware") == .string("safe.elf"))
        #expect(try d.property("RestartCount") == .uint32(2))
        #expect(try d.property("Job") == .string("idle"))
        let status = try d.rprocctl("status", "m4", "-n", "0").output
        #expect(status.contains("Result: fallback") && status.contains("Firmware: safe.elf"), "\(status)")
        // The dumps name the firmware that crashed. The crash that hit the limit has one only on
        // CLASSIC, where the switch goes through a recovery: NEW stops a crashed processor, and a
        // stop makes no dump (contract §3.5).
        var dumps: [String] = []
        #expect(try d.eventually {
            dumps = try d.rprocctl("coredump", "list", "m4", "--no-legend").output.split(separator: "\n").map(String.init)
            return dumps.count == (flavour == .classic ? 2 : 1)
        }, "\(dumps)")
        #expect(dumps.allSatisfy { $0.contains("m4.elf") }, "\(dumps)")
        // The fallback gets a fresh window; when it hits the limit too, the processor is failed for good.
        #expect(try d.crashAndAwaitRecovery(), "\(d.log)")
        #expect(d.sysfs("firmware") == "safe.elf")
        try d.crash()
        #expect(try d.run { !d.failed.value.isEmpty }, "\(d.log)")
        #expect(d.failed.value.first?.contains("fallback") == true, "\(d.failed.value)")
        #expect(try d.property("Result") == .string("start-limit-hit"))
        #expect(d.recovered.value == [1, 2, 3])
        #expect(d.sysfs("firmware") == "safe.elf")
        // The journal says it happened (rprocd's log, read after it exits).
        d.e2e.daemon.signal(SIGTERM)
        #expect(d.e2e.daemon.waitForExit(seconds: 20) == 0)
        let log = d.log
        #expect(log.contains("booting the fallback firmware 'safe.elf' once"), "\(log)")
        #expect(log.components(separatedBy: "booting the fallback firmware").count == 2, "\(log)")
    }

    @Test func theBackoffScheduleIsNextRestartUSecOnTheBusAndInStatus() throws {
        // Delays 500 ms, 1 s (500 ms · 4^(1/2)), then RestartMaxDelaySec= 2 s from step 3 on.
        let d = try CrashDaemon("[Recovery]\nRestart=on-crash\nRestartSec=500ms\nRestartSteps=2\nRestartMaxDelaySec=2s\nStartLimitBurst=0")
        let expected: [UInt64] = [500_000, 1_000_000, 2_000_000, 2_000_000]
        for (index, delay) in expected.enumerated() {
            let (next, range) = try Self.crashAndReadSchedule(d)
            #expect(range.contains(delay), "crash \(index + 1): delay in \(range), expected \(delay)")
            #expect(try d.property("RestartCount") == .uint32(UInt32(index)))
            if index == 2 {
                // rprocctl shows the same time (2 s is long enough for it to run meanwhile).
                let (_, json) = try d.rprocctl("--json", "short", "status", "m4", "-n", "0")
                #expect(json.contains("\"nextRestartUSec\":\(next)"), "\(json)")
                let text = try d.rprocctl("status", "m4", "-n", "0").output
                #expect(text.contains("Next restart: ") && text.contains("; in "), "\(text)")
                #expect(text.contains("Restarts: 2"), "\(text)")
            }
            #expect(try d.run { d.recovered.value.count == index + 1 }, "crash \(index + 1): \(d.log)")
            #expect(try d.property("NextRestartUSec") == .uint64(0))
        }
        #expect(d.recovered.value == [1, 2, 3, 4])
        #expect(!(try d.rprocctl("status", "m4", "-n", "0").output.contains("Next restart")))
        // A user stop during a scheduled restart drops it.
        try d.crash()
        #expect(try d.eventually { try d.property("NextRestartUSec").uint64 ?? 0 != 0 })
        #expect(try d.rprocctl("stop", "m4").status == 0, "\(d.log)")
        #expect(try d.property("NextRestartUSec") == .uint64(0))
        #expect(try d.eventually { d.sysfs("state") == "offline" })
        // A user start begins the schedule again at RestartSec=.
        #expect(try d.rprocctl("start", "m4").status == 0)
        #expect(try d.property("RestartCount") == .uint32(0))
        #expect(try Self.crashAndReadSchedule(d).delay.contains(500_000))
    }

    /// Crashes m4 and reads `NextRestartUSec` until a restart is scheduled: the value, and the
    /// delay it means. rprocd schedules at (its detection time) + delay and detected the crash
    /// between the write and the read, so the delay lies in `next - after ... next - before`
    /// (no tolerance needed).
    static func crashAndReadSchedule(_ d: CrashDaemon) throws -> (next: UInt64, delay: ClosedRange<UInt64>) {
        let before = UInt64((Date().timeIntervalSince1970 * 1e6).rounded(.down))
        try d.crash()
        var next: UInt64 = 0
        var after: UInt64 = 0
        _ = try d.eventually {
            next = try d.property("NextRestartUSec").uint64 ?? 0
            after = UInt64((Date().timeIntervalSince1970 * 1e6).rounded(.up))
            return next != 0
        }
        guard next >= before else { return (next, 0...0) }
        return (next, (next > after ? next - after : 0)...(next - before))
    }
}
