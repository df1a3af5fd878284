// End to end: the crash watchdog wired into the built rprocd on the mounted lab board. A crash is
// injected through debugfs `crash` as on a board; rprocd owns recovery (the kernel's is disabled),
// recovers under `Restart=on-crash`, keeps the dump, and hands recovery back on SIGTERM.

import Foundation
import Glibc
import RprocBus
import RprocTestSupport
import Testing
@testable import RprocDaemon

@Suite(.serialized, .enabled(if: MountedBoard.available && DaemonProcess.binary != nil))
struct CrashWiringBoardTests {
    static let m4Policy = """
        [Match]
        Name=m4
        [Recovery]
        Owner=rprocd
        Restart=on-crash
        RestartSec=0
        StartLimitBurst=3
        StartLimitIntervalSec=1min
        [Coredump]
        Mode=on

        """

    func sysfs(_ e2e: BoardDaemon, _ attribute: String) -> String {
        ((try? String(contentsOfFile: e2e.board.path("sys/class/remoteproc/remoteproc0/" + attribute), encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .newlines)
    }

    /// Polls `body` every 5 ms for at most `seconds`.
    func eventually(seconds: Double = 10, _ body: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try body() { return true }
            usleep(5_000)
        }
        return try body()
    }

    func property(_ client: BusClient, _ name: String) throws -> BusValue {
        try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: name)
    }

    func crash(_ e2e: BoardDaemon) throws {
        try "1".write(toFile: e2e.board.path("sys/kernel/debug/remoteproc/remoteproc0/crash"), atomically: false, encoding: .utf8)
    }

    @Test func aCrashIsRecoveredByRprocdDumpedAndRecoveryHandedBackAtExit() throws {
        let e2e = try BoardDaemon(processorFiles: ["m4.rproc": Self.m4Policy])
        // Adoption takes recovery over and sets the coredump mode.
        #expect(eventually { sysfs(e2e, "recovery") == "disabled" && sysfs(e2e, "coredump") == "enabled" },
                "recovery \(sysfs(e2e, "recovery")), coredump \(sysfs(e2e, "coredump")); \(e2e.daemon.log)")
        #expect(e2e.call("remoteproc0", "Start", [.string("")]) == "ok")
        let client = try e2e.client()
        let recovered = Box<[UInt32]>([])
        let crashed = Box<[String]>([])
        let subscriptions = [
            try client.subscribe(member: "Recovered") { recovered.value.append($0.arguments.first?.uint32 ?? 0) },
            try client.subscribe(member: "Crashed") { crashed.value.append($0.arguments.first?.string ?? "") },
        ]
        _ = subscriptions
        try e2e.awaitConnected(client)
        try crash(e2e)
        let seen = try client.run(until: { !recovered.value.isEmpty }, timeoutMicroseconds: 10_000_000)
        #expect(seen, "no Recovered; \(e2e.daemon.log); kernel: \(e2e.kernelLog())")
        #expect(crashed.value.first == "watchdog")
        #expect(recovered.value == [1])
        #expect(eventually { sysfs(e2e, "state") == "running" })
        #expect(try property(client, "RestartCount") == .uint32(1))
        #expect(try property(client, "CrashCount") == .uint32(1))
        #expect(try property(client, "LastCrashType") == .string("watchdog"))
        // rprocd, not the kernel, recovered it: recovery stayed disabled throughout.
        #expect(sysfs(e2e, "recovery") == "disabled")
        // The dump was collected and stored with its metadata.
        var entries: [BusValue] = []
        _ = try eventually {
            let reply = try client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "ListCoredumps",
                                        arguments: [.string("m4")])
            if case .array(_, let items)? = reply.first { entries = items }
            return !entries.isEmpty
        }
        #expect(entries.count == 1, "\(e2e.daemon.log)")
        if case .structure(let fields)? = entries.first, case .string(let id)? = fields.first {
            let json = try client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "DescribeCoredump",
                                       arguments: [.string(id)]).first?.string ?? ""
            #expect(json.contains("\"crashType\"") || json.contains("watchdog"), "\(json)")
            #expect(json.contains("m4"))
            let files = (try? FileManager.default.contentsOfDirectory(atPath: e2e.work + "/state/coredumps/m4")) ?? []
            #expect(files.contains { $0.hasSuffix(".core") }, "\(files)")
            // rprocctl lists it too (the binary built next to rprocd).
            if let rprocd = DaemonProcess.binary {
                let rprocctl = URL(fileURLWithPath: rprocd).deletingLastPathComponent().appendingPathComponent("rprocctl").path
                let (status, output) = try BusHarness.run([rprocctl, "--socket", e2e.socket, "coredump", "list", "m4", "--no-legend"])
                #expect(status == 0, "\(output)")
                #expect(output.contains(id) && output.contains("watchdog"), "\(output)")
                let (infoStatus, info) = try BusHarness.run([rprocctl, "--socket", e2e.socket, "coredump", "info", id])
                #expect(infoStatus == 0 && info.contains("watchdog"), "\(info)")
                let copy = e2e.work + "/copy.core"
                let (dumpStatus, dumped) = try BusHarness.run([rprocctl, "--socket", e2e.socket, "coredump", "dump", id, "-o", copy])
                #expect(dumpStatus == 0, "\(dumped)")
                let bytes = (try? Data(contentsOf: URL(fileURLWithPath: copy))) ?? Data()
                #expect(bytes.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]), "\(bytes.count) bytes")
                // The remote's trace line, read by the poll, through GetLog and `rprocctl logs`.
                var logs = ""
                let logged = try eventually {
                    logs = try BusHarness.run([rprocctl, "--socket", e2e.socket, "logs", "m4", "-n", "5"]).1
                    return logs.contains("hello from the simulated remote")
                }
                #expect(logged, "\(logs)")
                let (unknownStatus, unknown) = try BusHarness.run([rprocctl, "--socket", e2e.socket, "logs", "nosuch"])
                #expect(unknownStatus != 0 && unknown.contains("nosuch"), "\(unknown)")
            }
        } else {
            Issue.record("ListCoredumps: \(entries)")
        }
        // SIGTERM hands recovery back to the kernel.
        e2e.daemon.signal(SIGTERM)
        #expect(e2e.daemon.waitForExit(seconds: 20) == 0)
        #expect(sysfs(e2e, "recovery") == "enabled", "\(e2e.daemon.log)")
        #expect(sysfs(e2e, "state") == "running")
    }

    @Test func aCrashLoopEndsInFailedAndResetFailedClearsIt() throws {
        let e2e = try BoardDaemon(processorFiles: ["m4.rproc": Self.m4Policy])
        #expect(eventually { sysfs(e2e, "recovery") == "disabled" })
        #expect(e2e.call("remoteproc0", "Start", [.string("")]) == "ok")
        let client = try e2e.client()
        let recovered = Box<Int>(0)
        let failed = Box<[String]>([])
        let subscriptions = [
            try client.subscribe(member: "Recovered") { _ in recovered.value += 1 },
            try client.subscribe(member: "Failed") { failed.value.append($0.arguments.first?.string ?? "") },
        ]
        _ = subscriptions
        try e2e.awaitConnected(client)
        // StartLimitBurst=3 counts starts: the user's start and two restarts; the third crash hits the limit.
        for round in 1...2 {
            try crash(e2e)
            let seen = try client.run(until: { recovered.value == round }, timeoutMicroseconds: 10_000_000)
            #expect(seen, "round \(round): \(e2e.daemon.log)")
            #expect(eventually { sysfs(e2e, "state") == "running" })
        }
        try crash(e2e)
        let gaveUp = try client.run(until: { !failed.value.isEmpty }, timeoutMicroseconds: 10_000_000)
        #expect(gaveUp, "\(e2e.daemon.log)")
        #expect(recovered.value == 2)
        #expect(try property(client, "Job") == .string("failed"))
        #expect(try property(client, "Result") == .string("start-limit-hit"))
        #expect(sysfs(e2e, "state") == "crashed")
        // While failed, a user start is refused with Failed.
        #expect(e2e.call("remoteproc0", "Start", [.string("")], client: client).hasSuffix("Error.Failed"))
        #expect(e2e.call("remoteproc0", "ResetFailed", client: client) == "ok")
        #expect(try property(client, "Job") == .string("idle"))
        #expect(try property(client, "RestartCount") == .uint32(0))
    }

    @Test func ownerKernelLeavesRecoveryToTheKernelAndCountsItsRecoveries() throws {
        let config = "[Match]\nName=m4\n[Recovery]\nOwner=kernel\nRestart=on-crash\n"
        let e2e = try BoardDaemon(beforeStart: { board in
            try "disabled".write(toFile: board.path("sys/class/remoteproc/remoteproc0/recovery"), atomically: false, encoding: .utf8)
        })
        // Restart with the configuration: Owner=kernel takes recovery back to enabled at adoption.
        e2e.daemon.signal(SIGTERM)
        #expect(e2e.daemon.waitForExit() == 0)
        try config.write(toFile: e2e.work + "/etc/processors.d/m4.rproc", atomically: true, encoding: .utf8)
        let daemon = try BoardDaemon.start(board: e2e.board, work: e2e.work)
        #expect(eventually { sysfs(e2e, "recovery") == "enabled" }, "\(daemon.log)")
        #expect(e2e.call("remoteproc0", "Start", [.string("")]) == "ok")
        let client = try e2e.client()
        let recovered = Box<Int>(0)
        let subscription = try client.subscribe(member: "Recovered") { _ in recovered.value += 1 }
        _ = subscription
        try e2e.awaitConnected(client)
        try crash(e2e)
        #expect(try client.run(until: { recovered.value == 1 }, timeoutMicroseconds: 10_000_000), "\(daemon.log)")
        #expect(try eventually { try property(client, "CrashCount") == .uint32(1) })
        // The kernel recovered it, not a policy job of rprocd.
        #expect(try property(client, "RestartCount") == .uint32(0))
        #expect(!daemon.log.contains("recover 'm4'"), "\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(sysfs(e2e, "recovery") == "enabled")
    }
}
