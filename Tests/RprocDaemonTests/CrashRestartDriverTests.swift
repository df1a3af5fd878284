import RprocModel
import Testing
@testable import RprocDaemon

/// A timer the test fires by hand.
final class FakeRestartTimer: RestartTimer {
    var armedAt: UInt64?
    var armings: [UInt64] = []
    func arm(at: UInt64) {
        armedAt = at
        armings.append(at)
    }
    func disarm() { armedAt = nil }
}

/// Records what the driver asks the manager for and answers as the test says.
final class FakeRestartManager: RestartDriverDelegate {
    var state: ProcessorState = .crashed
    var requests: [RestartRequest] = []
    var signals: [CrashSignal] = []
    /// The outcome of the next request; nil: keep the completion for later.
    var outcome: ((RestartRequest) -> RestartOutcome)? = { _ in .succeeded(state: .running) }
    var heldCompletion: ((RestartOutcome) -> Void)?

    func restartDriverState(_ driver: RestartDriver) -> ProcessorState { state }
    func restartDriver(_ driver: RestartDriver, perform request: RestartRequest, completion: @escaping (RestartOutcome) -> Void) {
        requests.append(request)
        if let outcome {
            let result = outcome(request)
            if case .succeeded(let s) = result { state = s }
            completion(result)
        } else {
            heldCompletion = completion
        }
    }
    func restartDriver(_ driver: RestartDriver, announce signal: CrashSignal) { signals.append(signal) }
    func restartDriverChanged(_ driver: RestartDriver) {}
}

/// The restart policy driver with an injected clock and timer: every policy key.
@Suite struct CrashRestartDriverTests {
    final class Harness {
        var now: UInt64 = 1_000_000_000
        let timer = FakeRestartTimer()
        let manager = FakeRestartManager()
        var driver: RestartDriver!
        var crashes: UInt32 = 0

        init(owner: RecoveryOwner = .rprocd, _ configure: (inout RestartSettings) -> Void = { _ in }) {
            var settings = RestartSettings()
            configure(&settings)
            driver = RestartDriver(device: "remoteproc0", owner: owner, settings: settings, timer: timer, clock: { [unowned self] in self.now })
            driver.delegate = manager
        }

        /// A crash at the current time, seen by the detector.
        func crash(_ type: CrashType? = .watchdog) {
            crashes += 1
            manager.state = .crashed
            driver.crashed(CrashEvent(device: "remoteproc0", type: type, count: crashes, at: now, evidence: .kernelLog, missed: 0))
        }

        /// `count` crashes, each recovered as soon as the timer fires.
        func crashAndRecover(_ count: Int) {
            for _ in 0..<count {
                crash()
                fire()
            }
        }

        /// Moves the clock to the armed time and fires.
        func fire() {
            guard let at = timer.armedAt else { return }
            now = max(now, at)
            timer.armedAt = nil
            driver.timerFired()
        }
    }

    @Test func onCrashRecoversAfterRestartSecThroughRecovery() {
        let h = Harness()
        h.crash()
        #expect(h.timer.armedAt == h.now + 100_000)  // systemd's default RestartSec=100ms
        #expect(h.driver.nextRestartUSec == h.now + 100_000)
        #expect(h.driver.result == .crash)
        #expect(h.driver.lastCrashTypeString == "watchdog")
        h.fire()
        #expect(h.manager.requests == [RestartRequest(operation: .recover, firmware: nil, reason: .policy(attempt: 1))])
        #expect(h.driver.restartCount == 1)
        #expect(h.driver.nextRestartUSec == 0)
        #expect(h.manager.signals == [.crashed(type: "watchdog", count: 1), .recovered(restarts: 1)])
    }

    @Test func restartNoLeavesItCrashed() {
        let h = Harness { $0.restart = .no }
        h.crash(nil)
        #expect(h.timer.armings.isEmpty)
        #expect(h.manager.requests.isEmpty)
        #expect(h.manager.signals == [.crashed(type: "", count: 1)])
        #expect(h.driver.result == .crash)
    }

    @Test func aDownProcessorIsStartedNotRecovered() {
        let h = Harness()
        h.crash()
        h.manager.state = .offline  // e.g. NEW kernels: someone stopped it meanwhile
        h.fire()
        #expect(h.manager.requests.map(\.operation) == [.start])
    }

    @Test func aFailedRecoveryIsRetriedOnlyWithRestartAlways() {
        for (mode, retried) in [(RestartMode.onCrash, false), (.always, true)] {
            let h = Harness { $0.restart = mode }
            h.manager.outcome = { _ in .failed(error: "The kernel refused 'recover'.", state: .offline) }
            h.crash()
            h.fire()
            #expect(h.manager.requests.count == 1)
            #expect((h.timer.armedAt != nil) == retried, "Restart=\(mode)")
        }
    }

    @Test func backoffFollowsRestartStepsToRestartMaxDelaySec() {
        let h = Harness {
            $0.restartSec = .seconds(1)
            $0.restartSteps = 3
            $0.restartMaxDelaySec = .seconds(8)
            $0.startLimitBurst = 0  // no start limit
        }
        var delays: [UInt64] = []
        for _ in 0..<6 {
            h.crash()
            let crashedAt = h.now
            delays.append((h.timer.armedAt ?? 0) - crashedAt)
            h.fire()
            h.now += 1
        }
        #expect(delays == [1_000_000, 2_000_000, 4_000_000, 8_000_000, 8_000_000, 8_000_000])
        #expect(h.driver.restartCount == 6)
        // A user start begins the schedule again.
        h.driver.userStarted()
        #expect(h.driver.restartCount == 0)
        h.crash()
        #expect((h.timer.armedAt ?? 0) - h.now == 1_000_000)
    }

    @Test func theStartLimitMakesItFailedUntilResetFailed() {
        let h = Harness {
            $0.startLimitBurst = 3
            $0.startLimitIntervalSec = .seconds(10)
        }
        h.crashAndRecover(3)
        #expect(h.manager.requests.count == 3)
        h.crash()
        #expect(h.driver.isFailed)
        #expect(h.driver.result == .startLimitHit)
        #expect(h.timer.armedAt == nil)
        #expect(h.manager.requests.count == 3)  // FailureAction=leave
        guard case .failed(let reason)? = h.manager.signals.last else {
            Issue.record("no Failed signal: \(h.manager.signals)")
            return
        }
        #expect(reason.contains("more than 3 starts within 10s"))
        // Still failed: a crash meanwhile is counted but not acted on.
        h.crash()
        #expect(h.timer.armedAt == nil)
        h.driver.resetFailed()
        #expect(!h.driver.isFailed)
        #expect(h.driver.result == .success)
        #expect(h.driver.restartCount == 0)
        h.crash()
        h.fire()
        #expect(h.manager.requests.count == 4)
    }

    @Test func failureActionStopStopsIt() {
        let h = Harness {
            $0.startLimitBurst = 1
            $0.failureAction = .stop
        }
        h.crashAndRecover(1)
        // The kernel log reports the crash before `state` reads `crashed`: the stop waits for it
        // (planned for a running processor, it would be refused when the state changes under it).
        h.crash()
        h.manager.state = .running
        #expect(h.driver.isFailed)
        #expect(h.manager.requests.count == 1)
        h.fire()
        #expect(h.manager.requests.count == 1)
        #expect(h.driver.nextRestartUSec == 0)  // a stop is no restart
        // `state` reads crashed: the stop is due now, not at the next look.
        h.timer.armedAt = nil
        h.manager.state = .crashed
        h.driver.stateChanged(to: .crashed)
        #expect(h.timer.armedAt == h.now)
        h.fire()
        #expect(h.manager.requests.last == RestartRequest(operation: .stop, firmware: nil, reason: .failureAction(.stop)))
        #expect(h.manager.requests.count == 2)
        // The stop's success is not a recovery.
        #expect(h.manager.signals.filter { if case .recovered = $0 { true } else { false } }.count == 1)
    }

    @Test func crashesSpreadBeyondTheIntervalNeverHitTheLimit() {
        let h = Harness {
            $0.startLimitBurst = 2
            $0.startLimitIntervalSec = .seconds(10)
        }
        for _ in 0..<10 {
            h.crash()
            h.fire()
            h.now += 11_000_000
        }
        #expect(!h.driver.isFailed)
        #expect(h.manager.requests.count == 10)
    }

    @Test func theFallbackFirmwareIsBootedOnceThenTheProcessorFails() {
        let h = Harness {
            $0.startLimitBurst = 2
            $0.fallbackFirmware = "safe.elf"
        }
        h.crashAndRecover(2)
        h.crash()
        #expect(!h.driver.isFailed)
        #expect(h.timer.armedAt != nil)
        // Reported by the kernel log while `state` still reads running: the fallback waits for `crashed`.
        h.manager.state = .running
        h.fire()
        #expect(h.manager.requests.count == 2)
        #expect(h.driver.result == .crash)
        h.manager.state = .crashed
        h.fire()
        #expect(h.manager.requests.last == RestartRequest(operation: .restart, firmware: "safe.elf", reason: .fallback))
        #expect(h.driver.result == .fallback)
        #expect(h.driver.fallbackBooted == "safe.elf")
        #expect(h.driver.history.fallbackUsed)
        // The fallback gets a fresh window of its own (it counts as the first start in it) …
        h.crash()
        h.fire()
        #expect(h.manager.requests.count == 4)
        // … and when it hits the limit too, the processor fails: no second fallback.
        h.crash()
        #expect(h.driver.isFailed)
        #expect(h.manager.requests.count == 4)
        h.driver.resetFailed()
        #expect(h.driver.fallbackBooted == nil)
        #expect(!h.driver.history.fallbackUsed)
    }

    @Test func kernelOwnedRecoveryIsCountedAndLeftToTheKernel() {
        let h = Harness(owner: .kernel)
        h.crash(.mmuFault)
        #expect(h.timer.armings.isEmpty)
        h.driver.handle(.recovered(device: "remoteproc0", byKernel: true))
        #expect(h.manager.requests.isEmpty)
        #expect(h.manager.signals == [.crashed(type: "mmufault", count: 1), .recovered(restarts: 0)])
        #expect(h.driver.lastCrashType == .mmuFault)
    }

    @Test func aUserStopDropsTheScheduledRestart() {
        let h = Harness { $0.restartSec = .seconds(5) }
        h.crash()
        #expect(h.driver.nextRestartUSec != 0)
        h.driver.userStopped()
        #expect(h.driver.nextRestartUSec == 0)
        #expect(h.timer.armedAt == nil)
        h.driver.timerFired()  // a late firing does nothing
        #expect(h.manager.requests.isEmpty)
    }

    @Test func aCrashDuringTheRecoveryIsDecidedWhenTheRecoveryReturns() {
        let h = Harness()
        h.manager.outcome = nil
        h.crash()
        h.fire()
        // The recovered firmware crashes before the write returned: the detector's report comes first.
        h.crash()
        #expect(h.timer.armedAt == nil)
        h.manager.heldCompletion?(.succeeded(state: .crashed))
        #expect(h.timer.armedAt != nil)
        #expect(h.driver.restartCount == 1)
    }

    @Test func userStartsCountAgainstTheStartLimit() {
        let h = Harness {
            $0.startLimitBurst = 2
            $0.startLimitIntervalSec = .seconds(10)
        }
        #expect(h.driver.admitUserStart())
        #expect(h.driver.admitUserStart())
        #expect(!h.driver.admitUserStart())
        #expect(h.driver.isFailed)
        h.now += 11_000_000
        h.driver.resetFailed()
        #expect(h.driver.admitUserStart())
    }

    @Test func theMirrorsEventsDriveItWithoutASecondCrashedSignal() {
        let h = Harness()
        h.driver.handle(MirrorEvent.crashed(type: nil, count: 4))
        #expect(h.timer.armedAt != nil)
        #expect(h.manager.signals.isEmpty)
        h.driver.handle(MirrorEvent.crashTypeLearned(.watchdog))
        #expect(h.driver.lastCrashType == .watchdog)
        h.driver.handle(MirrorEvent.recoveredByKernel)
        h.fire()
        #expect(h.manager.requests.map(\.operation) == [.recover])
        #expect(h.manager.signals == [.recovered(restarts: 1)])
    }

    @Test func ownershipSetsRecoveryAndCoredumpAndHandsRecoveryBack() {
        let start = CrashSettings.startSteps(owner: .rprocd, coredump: .enabled, current: ("enabled", "disabled"), state: .running)
        #expect(start.map(\.write) == [.recovery(.disable), .coredump(.enabled)])
        // While crashed, coredump is EBUSY: left out.
        let crashed = CrashSettings.startSteps(owner: .rprocd, coredump: .inline, current: ("enabled", "disabled"), state: .crashed)
        #expect(crashed.map(\.write) == [.recovery(.disable)])
        // Already so: nothing to write.
        #expect(CrashSettings.startSteps(owner: .rprocd, coredump: nil, current: ("disabled", "enabled"), state: .running).isEmpty)
        #expect(CrashSettings.startSteps(owner: .kernel, coredump: nil, current: ("disabled", "disabled"), state: .offline).map(\.write)
            == [.recovery(.enable)])
        let exit = CrashSettings.exitSteps(owner: .rprocd, currentRecovery: "disabled", state: .crashed)
        #expect(exit.map(\.write) == [.recovery(.enable)])
        #expect(exit.first?.job == .recovering)  // enabling recovers the crashed processor now
        #expect(CrashSettings.exitSteps(owner: .kernel, currentRecovery: "enabled", state: .running).isEmpty)
    }
}
