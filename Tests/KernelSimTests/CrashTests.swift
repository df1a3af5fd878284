import RprocFirmware
import Testing

@testable import KernelSim

/// Crash reporting, crash work and recovery (§3).
@Suite struct CrashTests {
    @Test(arguments: allFlavours)
    func bootRecoveryPassesOfflineAndComesBackRunning(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        s.write("\(Sim.rproc0)/state", "start")
        s.write(".sim/remoteproc0/stop_delay_ms", "5")
        s.write(".sim/remoteproc0/start_delay_ms", "5")
        #expect(s.exists("\(Sim.rproc0)/rproc-virtio.0.auto/virtio0/virtio0.rpmsg_ctrl.0.0"))
        #expect(s.write("\(Sim.debug0)/crash", "0x1\n") == .success(4))
        // The crash work runs at once; recovery's rproc_stop removes the virtio devices before
        // ops->stop, whose delay keeps the state at crashed.
        #expect(s.state == "crashed\n")
        #expect(!s.exists("\(Sim.rproc0)/rproc-virtio.0.auto/virtio0"))
        s.advance(ms: 5)
        #expect(s.state == "offline\n")
        #expect(!s.exists("\(Sim.rproc0)/rproc-virtio.0.auto/virtio0"))
        #expect(s.exists("\(Sim.rproc0)/rproc-virtio.0.auto"))
        #expect(s.exists("\(Sim.debug0)/trace0"))
        s.advance(ms: 5)
        #expect(s.state == "running\n")
        #expect(s.power == 1)
        let log = s.log
        let expected = [
            "crash detected in m4: type watchdog", "handling crash #1 in m4", "recovering m4",
            "stopped remote processor m4", "remote processor m4 is now up",
        ]
        var at = 0
        for line in log where at < expected.count && line.hasSuffix(expected[at]) { at += 1 }
        #expect(at == expected.count)
    }

    @Test func crashTypesAreNamedAndLoggedEvenWhenOffline() {
        let s = Sim()
        for (v, name) in [("0", "mmufault"), ("1", "watchdog"), ("2", "fatal error"), ("3", "unknown"), ("4294967295", "unknown")] {
            #expect(s.write("\(Sim.debug0)/crash", v) == .success(v.utf8.count))
            #expect(s.logged("remoteproc remoteproc0: crash detected in m4: type \(name)"))
        }
        s.settle()
        #expect(s.state == "offline\n")
        #expect(!s.log.contains { $0.contains("handling crash") })
    }

    @Test func debugfsCrashParsesKstrtouint() {
        let s = Sim()
        #expect(s.write("\(Sim.debug0)/crash", "02") == .success(2))
        #expect(s.write("\(Sim.debug0)/crash", "+1\n") == .success(3))
        #expect(s.write("\(Sim.debug0)/crash", "4294967296").errno == .ERANGE)
        #expect(s.write("\(Sim.debug0)/crash", "1 ").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/crash", "").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/crash", "0x").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/crash", "08").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/crash", "1\n\n").errno == .EINVAL)
    }

    @Test func crashReportsAreCoalescedWhileTheWorkIsQueued() {
        let s = Sim()
        s.write("\(Sim.rproc0)/recovery", "disabled")
        s.write("\(Sim.rproc0)/state", "start")
        s.write("\(Sim.debug0)/crash", "1")
        s.write("\(Sim.debug0)/crash", "2")
        s.settle()
        #expect(s.log.filter { $0.contains("crash detected") }.count == 2)
        #expect(s.log.filter { $0.contains("handling crash") }.count == 1)
        #expect(s.kernel.processors[0].crashCount == 1)
    }

    @Test func recoveryDisabledStaysCrashedWithRpmsgDevicesPresent() {
        let s = Sim()
        s.startAndCrash(type: 1, recovery: false)
        #expect(s.state == "crashed\n")
        #expect(s.exists("sys/bus/rpmsg/devices/virtio0.rpmsg_ns.53.53"))
        #expect(s.write("\(Sim.rproc0)/firmware", "x").errno == .EBUSY)
        #expect(s.write("\(Sim.rproc0)/coredump", "enabled").errno == .EBUSY)
        #expect(s.write("\(Sim.rproc0)/recovery", "recover") == .success(7))
        #expect(s.state == "running\n")
        #expect(s.read("\(Sim.rproc0)/recovery") == "disabled\n")
    }

    @Test func recoveryEnabledWriteRecoversSynchronously() {
        let s = Sim()
        s.startAndCrash(type: 1, recovery: false)
        s.write(".sim/remoteproc0/start_delay_ms", "50")
        guard case .pending(let t) = s.submit("\(Sim.rproc0)/recovery", "enabled\n") else {
            Issue.record("recovery must block its writer")
            return
        }
        #expect(s.read("\(Sim.rproc0)/recovery") == "enabled\n")
        #expect(s.state == "offline\n")
        #expect(s.wait(t) == .success(8))
        #expect(s.state == "running\n")
    }

    @Test func watchdogKnobCrashesAfterEachStart() {
        let s = Sim()
        s.write(".sim/remoteproc0/crash_after_ms", "100")
        s.write("\(Sim.rproc0)/state", "start")
        s.advance(ms: 99)
        #expect(s.state == "running\n")
        s.advance(ms: 1)
        #expect(s.logged("crash detected in m4: type watchdog"))
        s.settle(ms: 1)
        #expect(s.state == "running\n")
        #expect(s.kernel.processors[0].crashCount == 1)
        s.advance(ms: 100)
        s.settle(ms: 1)
        #expect(s.kernel.processors[0].crashCount == 2)
        s.write(".sim/remoteproc0/crash_after_ms", "0")
        s.write("\(Sim.rproc0)/state", "stop")
        s.settle(ms: 500)
        #expect(s.kernel.processors[0].crashCount == 2)
    }

    @Test func stoppedProcessorCancelsItsWatchdog() {
        let s = Sim()
        s.write(".sim/remoteproc0/crash_after_ms", "100")
        s.write("\(Sim.rproc0)/state", "start")
        s.write("\(Sim.rproc0)/state", "stop")
        s.settle(ms: 200)
        #expect(!s.logged("crash detected in m4: type watchdog"))
    }

    @Test(arguments: [KernelFlavour.new, .newPlus])
    func attachRecoveryPassesDetachedAndEndsAttached(_ f: KernelFlavour) {
        let s = Sim(flavour: f, processors: [standardProcessor { $0.initialState = .detached; $0.attachOnRecovery = true }])
        s.write("\(Sim.rproc0)/coredump", "enabled")
        s.write("\(Sim.rproc0)/state", "start")
        s.write(".sim/remoteproc0/stop_delay_ms", "5")
        s.write("\(Sim.debug0)/crash", "2")
        s.advance(ms: 0)
        #expect(s.state == "crashed\n")
        s.advance(ms: 5)
        #expect(s.state == "attached\n")
        #expect(s.logged("detached remote processor m4"))
        #expect(s.logged("remote processor m4 is now attached"))
        #expect(s.list("sys/class/devcoredump") == ["disabled"])
        #expect(s.power == 1)
    }

    @Test func failedAttachRecoveryLeavesDetachedWithPowerOne() {
        let s = Sim(processors: [standardProcessor { $0.initialState = .detached; $0.attachOnRecovery = true }])
        s.write("\(Sim.rproc0)/state", "start")
        s.write(".sim/remoteproc0/fail_next_start", "1")
        s.write("\(Sim.debug0)/crash", "2")
        s.settle()
        #expect(s.state == "detached\n")
        #expect(s.power == 1)
        #expect(s.logged("can't attach to rproc m4: -5"))
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.state == "detached\n")
    }
}
