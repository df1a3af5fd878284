import Testing
@testable import RprocModel

@Suite struct ConditionDetectorTests {
    @Test func startThatLeavesOfflineIsStuck() {
        #expect(ConditionDetector.afterWrite(.state(.start), before: .offline, after: .offline) == .stuckAfterFailedRecovery)
        #expect(ConditionDetector.afterWrite(.state(.start), before: .detached, after: .detached) == .stuckAfterFailedRecovery)
        #expect(ConditionDetector.afterWrite(.state(.start), before: .offline, after: .running) == nil)
        #expect(ConditionDetector.afterWrite(.state(.start), before: .offline, after: .crashed) == nil)
    }

    @Test func stopThatLeavesItRunningIsHeld() {
        for state in [ProcessorState.running, .attached, .crashed] {
            #expect(ConditionDetector.afterWrite(.state(.stop), before: state, after: state) == .heldByOtherUser)
            #expect(ConditionDetector.afterWrite(.state(.stop), before: state, after: .offline) == nil)
        }
        #expect(ConditionDetector.afterWrite(.state(.detach), before: .attached, after: .attached) == .heldByOtherUser)
        #expect(ConditionDetector.afterWrite(.state(.detach), before: .attached, after: .detached) == nil)
    }

    @Test func recoveryThatEndsOfflineIsStuck() {
        #expect(ConditionDetector.afterWrite(.recovery(.recover), before: .crashed, after: .offline) == .stuckAfterFailedRecovery)
        #expect(ConditionDetector.afterWrite(.recovery(.enable), before: .crashed, after: .detached) == .stuckAfterFailedRecovery)
        #expect(ConditionDetector.afterWrite(.recovery(.recover), before: .crashed, after: .running) == nil)
        #expect(ConditionDetector.afterWrite(.recovery(.recover), before: .offline, after: .offline) == nil)
        #expect(ConditionDetector.afterWrite(.recovery(.disable), before: .crashed, after: .crashed) == nil)
        #expect(ConditionDetector.afterWrite(.firmware("x"), before: .offline, after: .offline) == nil)
    }

    @Test func crashThatStaysDownPastTheGraceIsStuck() {
        #expect(ConditionDetector.afterCrash(state: .offline, crashSeenAt: 1_000, now: 5_999, grace: 5_000) == nil)
        #expect(ConditionDetector.afterCrash(state: .offline, crashSeenAt: 1_000, now: 6_000, grace: 5_000) == .stuckAfterFailedRecovery)
        #expect(ConditionDetector.afterCrash(state: .detached, crashSeenAt: 1_000, now: 9_000, grace: 5_000) == .stuckAfterFailedRecovery)
        #expect(ConditionDetector.afterCrash(state: .running, crashSeenAt: 1_000, now: 9_000, grace: 5_000) == nil)
        #expect(ConditionDetector.afterCrash(state: .offline, crashSeenAt: nil, now: 9_000, grace: 5_000) == nil)
    }

    @Test func conditionsClear() {
        #expect(ConditionDetector.clears(.stuckAfterFailedRecovery, in: .running))
        #expect(!ConditionDetector.clears(.stuckAfterFailedRecovery, in: .offline))
        #expect(ConditionDetector.clears(.heldByOtherUser, in: .offline))
        #expect(!ConditionDetector.clears(.heldByOtherUser, in: .running))
    }
}

@Suite struct MirrorTests {
    @Test func crashSeenThenKernelRecovery() {
        var m = ProcessorMirror(state: .running, at: 100)
        #expect(m.observe(state: .crashed, at: 200) == [
            .stateChanged(from: .running, to: .crashed, reason: .crash), .crashed(type: nil, count: 1),
        ])
        // The kernel log names the type afterwards: not a second crash.
        #expect(m.noteCrash(type: .watchdog, at: 201) == [.crashTypeLearned(.watchdog)])
        #expect(m.observe(state: .offline, at: 300) == [.stateChanged(from: .crashed, to: .offline, reason: .recovery)])
        #expect(m.observe(state: .running, at: 400) == [
            .stateChanged(from: .offline, to: .running, reason: .recovery), .recoveredByKernel, .booted(count: 1),
        ])
        #expect(m.crashCount == 1)
        #expect(m.bootCount == 1)
        #expect(m.lastCrashUSec == 200)
        #expect(m.lastCrashType == .watchdog)
        #expect(m.stateChangeUSec == 400)
        #expect(m.result == .crash)
        #expect(m.crashPendingSince == nil)
        #expect(m.condition == nil)
    }

    @Test func theKernelsCrashNumberTellsASecondCrashFromTheFirstsLines() {
        var m = ProcessorMirror(state: .running, at: 0)
        #expect(m.noteCrash(type: .watchdog, at: 10) == [.crashed(type: .watchdog, count: 1)])
        // The first crash's own number: the same crash.
        #expect(m.noteHandlingCrash(number: 7, at: 11) == [])
        #expect(m.observe(state: .crashed, at: 12) == [.stateChanged(from: .running, to: .crashed, reason: .crash)])
        // rprocd's recovery job runs; it crashes again before rprocd sees it up. Its "crash detected"
        // reads as the first crash's, its number does not.
        _ = m.beginJob(.recover, job: .recovering, byPolicy: true)
        #expect(m.noteCrash(type: .watchdog, at: 20) == [])
        #expect(m.noteHandlingCrash(number: 8, at: 21) == [])
        #expect(m.noteHandlingCrash(number: 8, at: 22) == [])
        // The job's reading after its write: still `crashed`, which is the second crash.
        #expect(m.observe(state: .crashed, at: 23) == [.crashed(type: .watchdog, count: 2)])
        #expect(m.observe(state: .crashed, at: 24) == [])
        #expect(m.crashCount == 2)
        #expect(m.lastCrashUSec == 23)
    }

    @Test func aCrashDuringAJobWhoseReadingPredatesItIsCountedOnce() {
        var m = ProcessorMirror(state: .running, at: 0)
        #expect(m.noteCrash(type: .watchdog, at: 10) == [.crashed(type: .watchdog, count: 1)])
        #expect(m.noteHandlingCrash(number: 1, at: 11) == [])
        #expect(m.observe(state: .crashed, at: 12).count == 1)
        _ = m.beginJob(.recover, job: .recovering, byPolicy: true)
        // The recovery is up and crashes again; its lines come before the job's reading, made
        // before that crash: `running`.
        #expect(m.noteCrash(type: .watchdog, at: 20) == [])
        #expect(m.noteHandlingCrash(number: 2, at: 21) == [])
        _ = m.observe(state: .running, at: 22)
        _ = m.endJob(result: .success, error: nil)
        #expect(m.observe(state: .crashed, at: 30) == [
            .stateChanged(from: .running, to: .crashed, reason: .crash), .crashed(type: nil, count: 2),
        ])
        #expect(m.crashCount == 2)
    }

    @Test func aCrashNumberWithNoCrashOutstandingCountsNothing() {
        var m = ProcessorMirror(state: .running, at: 0)
        #expect(m.noteHandlingCrash(number: 3, at: 5) == [])
        #expect(m.noteCrash(type: .mmuFault, at: 6) == [.crashed(type: .mmuFault, count: 1)])
        #expect(m.noteHandlingCrash(number: 4, at: 7) == [])
        #expect(m.crashCount == 1)
    }

    @Test func kernelLogFirstThenStateDoesNotCountTwice() {
        var m = ProcessorMirror(state: .running, at: 0)
        #expect(m.noteCrash(type: .mmuFault, at: 10) == [.crashed(type: .mmuFault, count: 1)])
        #expect(m.observe(state: .crashed, at: 20) == [.stateChanged(from: .running, to: .crashed, reason: .crash)])
        #expect(m.crashCount == 1)
        #expect(m.lastCrashUSec == 10)
    }

    @Test func runningOfflineRunningIsAKernelRecovery() {
        var m = ProcessorMirror(state: .running, at: 0)
        #expect(m.observe(state: .offline, at: 1_000) == [.stateChanged(from: .running, to: .offline, reason: .externalStop)])
        #expect(m.crashCount == 0)
        #expect(m.observe(state: .running, at: 2_000) == [
            .crashed(type: nil, count: 1), .stateChanged(from: .offline, to: .running, reason: .recovery),
            .recoveredByKernel, .booted(count: 1),
        ])
        #expect(m.lastCrashUSec == 1_000)
        #expect(m.crashCount == 1)
    }

    @Test func externalBootIsNotACrash() {
        var m = ProcessorMirror(state: .offline, at: 0)
        #expect(m.observe(state: .running, at: 5) == [
            .stateChanged(from: .offline, to: .running, reason: .externalBoot), .booted(count: 1),
        ])
        #expect(m.crashCount == 0)
        var d = ProcessorMirror(state: .detached, at: 0)
        #expect(d.observe(state: .attached, at: 5) == [.stateChanged(from: .detached, to: .attached, reason: .externalBoot)])
        #expect(d.bootCount == 0)
    }

    @Test func crashThenStuckOfflineAfterTheGrace() {
        var m = ProcessorMirror(state: .running, at: 0)
        _ = m.observe(state: .crashed, at: 1_000)
        _ = m.observe(state: .offline, at: 1_500)
        #expect(m.check(now: 5_999, recoveryGrace: 5_000) == [])
        #expect(m.check(now: 6_000, recoveryGrace: 5_000) == [.conditionChanged(.stuckAfterFailedRecovery)])
        #expect(m.condition == .stuckAfterFailedRecovery)
        #expect(m.check(now: 7_000, recoveryGrace: 5_000) == [])
        // A start then returns success and leaves it offline: still stuck, the plan says so too.
        let plan = try! Planner.plan(.start, state: .offline, job: .idle, facts: ProcessorFacts(kernelFirmware: "fw")).get()
        _ = m.beginJob(.start, job: plan.steps[0].job)
        let (recourse, events) = m.finishStep(plan.steps[0], outcome: .succeeded(stateAfter: .offline), at: 8_000)
        #expect(recourse == .condition(.stuckAfterFailedRecovery))
        #expect(events == [])
        // Driver rebind: it runs again and the condition clears.
        _ = m.endJob(result: .kernelRefused, error: "stuck")
        #expect(m.observe(state: .running, at: 9_000).contains(.conditionChanged(nil)))
        #expect(m.condition == nil)
    }

    @Test func startThatLeavesOfflineWithoutASeenCrashIsStuck() {
        var m = ProcessorMirror(state: .offline, at: 0)
        let step = Planner.startStep(from: .offline)
        _ = m.beginJob(.start, job: .starting)
        let (recourse, events) = m.finishStep(step, outcome: .succeeded(stateAfter: .offline), at: 10)
        #expect(recourse == .condition(.stuckAfterFailedRecovery))
        #expect(events == [.conditionChanged(.stuckAfterFailedRecovery)])
    }

    @Test func stopThatLeavesItRunningIsHeldByAnotherUser() {
        var m = ProcessorMirror(state: .running, at: 0)
        let step = Planner.stopStep(from: [.running])
        _ = m.beginJob(.stop, job: .stopping)
        let (recourse, events) = m.finishStep(step, outcome: .succeeded(stateAfter: .running), at: 10)
        #expect(recourse == .condition(.heldByOtherUser))
        #expect(events == [.conditionChanged(.heldByOtherUser)])
        _ = m.endJob(result: .kernelRefused)
        // The other user stops it: released.
        #expect(m.observe(state: .offline, at: 20) == [
            .stateChanged(from: .running, to: .offline, reason: .externalStop), .conditionChanged(nil),
        ])
    }

    @Test func jobLifecycleAndCounters() {
        var m = ProcessorMirror(state: .offline, at: 0)
        let plan = try! Planner.plan(.start, firmware: "a.elf", state: .offline, job: .idle, facts: ProcessorFacts(kernelFirmware: "b.elf")).get()
        #expect(m.beginJob(.start, job: .starting) == [.jobChanged(from: .idle, to: .starting)])
        #expect(m.job == .starting)
        #expect(m.operation == .start)
        for step in plan.steps {
            #expect(m.beginStep(step) == [])
        }
        #expect(m.finishStep(plan.steps[0], outcome: .succeeded(stateAfter: .offline), at: 5).recourse == nil)
        let (recourse, events) = m.finishStep(plan.steps[1], outcome: .succeeded(stateAfter: .running), at: 10)
        #expect(recourse == nil)
        #expect(events == [.stateChanged(from: .offline, to: .running, reason: .job(.start)), .booted(count: 1)])
        #expect(m.endJob(result: .success) == [.jobChanged(from: .starting, to: .idle), .jobFinished(.start, .success)])
        #expect(m.operation == nil)
        // A policy restart counts; a user start resets the count.
        _ = m.beginJob(.recover, job: .recovering, byPolicy: true)
        _ = m.endJob(result: .success)
        _ = m.beginJob(.recover, job: .recovering, byPolicy: true)
        _ = m.endJob(result: .success)
        #expect(m.restartCount == 2)
        _ = m.beginJob(.start, job: .starting)
        #expect(m.restartCount == 0)
    }

    @Test func restartJobFollowsItsSteps() {
        var m = ProcessorMirror(state: .running, at: 0)
        let plan = try! Planner.plan(.restart, state: .running, job: .idle, facts: ProcessorFacts(kernelFirmware: "fw")).get()
        _ = m.beginJob(.restart, job: plan.steps[0].job)
        #expect(m.job == .stopping)
        _ = m.finishStep(plan.steps[0], outcome: .succeeded(stateAfter: .offline), at: 1)
        #expect(m.beginStep(plan.steps[1]) == [.jobChanged(from: .stopping, to: .starting)])
        let events = m.finishStep(plan.steps[1], outcome: .succeeded(stateAfter: .running), at: 2).events
        #expect(events == [.stateChanged(from: .offline, to: .running, reason: .job(.restart)), .booted(count: 1)])
    }

    @Test func refusedWriteRecordsTheErrorAndFollowsTheFallback() throws {
        var m = ProcessorMirror(state: .crashed, at: 0)
        let plan = try Planner.plan(.stop, state: .crashed, job: .idle, facts: ProcessorFacts(flavour: .unknown)).get()
        _ = m.beginJob(.stop, job: .stopping)
        let (recourse, _) = m.finishStep(plan.steps[0], outcome: .refused(error: "EINVAL", stateAfter: .crashed), at: 5)
        guard case .fallback(let steps)? = recourse else { Issue.record("expected the fallback"); return }
        #expect(render(steps) == "recovery←recover, state←stop")
        #expect(m.lastError == "EINVAL")
        // Recovery brings it up under rprocd's job, then the stop takes it down: no crash owed.
        _ = m.finishStep(steps[0], outcome: .succeeded(stateAfter: .running), at: 6)
        _ = m.finishStep(steps[1], outcome: .succeeded(stateAfter: .offline), at: 7)
        _ = m.endJob(result: .success)
        #expect(m.check(now: 1_000_000, recoveryGrace: 10) == [])
        #expect(m.condition == nil)
    }

    @Test func stopByRprocdOfACrashedProcessorIsNotStuck() {
        var m = ProcessorMirror(state: .running, at: 0)
        _ = m.observe(state: .crashed, at: 1)
        _ = m.beginJob(.stop, job: .stopping)
        let events = m.finishStep(Planner.stopStep(from: [.crashed]), outcome: .succeeded(stateAfter: .offline), at: 2).events
        #expect(events == [.stateChanged(from: .crashed, to: .offline, reason: .job(.stop))])
        _ = m.endJob(result: .success)
        #expect(m.check(now: 1_000_000, recoveryGrace: 10) == [])
    }

    @Test func kernelLogCrashWhileOfflineOrAlreadyCrashedIsIgnored() {
        for state in [ProcessorState.offline, .crashed] {
            var m = ProcessorMirror(state: state, at: 0)
            #expect(m.noteCrash(type: .fatalError, at: 5) == [])
            #expect(m.crashCount == 0)
        }
        var detached = ProcessorMirror(state: .detached, at: 0)
        #expect(detached.noteCrash(type: .watchdog, at: 5) == [.crashed(type: .watchdog, count: 1)])
    }

    @Test func aCrashRightAfterARecoveryTheLogAnnouncedIsCountedThoughTheLastSampleReadCrashed() {
        var m = ProcessorMirror(state: .running, at: 0)
        _ = m.observe(state: .crashed, at: 1)
        #expect(m.crashCount == 1)
        _ = m.beginJob(.recover, job: .recovering, byPolicy: true)
        // The recovery's boot and the next crash reach the log before `state` is re-read.
        #expect(m.noteBoot(at: 2) == [.booted(count: 1)])
        #expect(m.noteCrash(type: .watchdog, at: 3) == [.crashed(type: .watchdog, count: 2)])
        #expect(m.noteCrash(type: .watchdog, at: 4) == [])  // the kernel's later reports of it
        #expect(m.observe(state: .crashed, at: 5) == [])
        #expect(m.crashCount == 2)
    }

    @Test func fastRecoverySeenOnlyInTheKernelLog() {
        var m = ProcessorMirror(state: .running, at: 0)
        _ = m.noteCrash(type: .watchdog, at: 10)
        #expect(m.noteBoot(at: 20) == [.booted(count: 1), .recoveredByKernel])
        // The next sample shows it running as before: nothing new.
        #expect(m.observe(state: .running, at: 30) == [])
        // A later crash counts again.
        #expect(m.observe(state: .crashed, at: 40) == [
            .stateChanged(from: .running, to: .crashed, reason: .crash), .crashed(type: nil, count: 2),
        ])
        // noteBoot without an outstanding crash (a boot polling will see) adds nothing.
        var n = ProcessorMirror(state: .offline, at: 0)
        #expect(n.noteBoot(at: 5) == [])
    }

    @Test func kernelLogBootThenSampleCountsTheBootOnce() {
        var m = ProcessorMirror(state: .running, at: 0)
        _ = m.observe(state: .crashed, at: 10)
        _ = m.observe(state: .offline, at: 20)
        #expect(m.noteBoot(at: 30) == [.booted(count: 1), .recoveredByKernel])
        #expect(m.observe(state: .running, at: 40) == [.stateChanged(from: .offline, to: .running, reason: .recovery)])
        #expect(m.bootCount == 1)
    }

    @Test func startLimitMakesItFailedUntilReset() {
        var m = ProcessorMirror(state: .offline, at: 0)
        _ = m.beginJob(.start, job: .starting)
        #expect(m.endJob(result: .startLimitHit, error: "too many starts") == [
            .jobChanged(from: .starting, to: .failed), .jobFinished(.start, .startLimitHit), .failed(reason: "too many starts"),
        ])
        #expect(m.job == .failed)
        #expect(render(Planner.plan(.start, state: m.state, job: m.job, facts: ProcessorFacts(kernelFirmware: "f"))) == "Failed")
        #expect(m.resetFailed() == [.jobChanged(from: .failed, to: .idle)])
        #expect(m.result == .success)
        var n = ProcessorMirror(state: .crashed, at: 0)
        #expect(n.enterFailed(result: .startLimitHit, reason: "crash loop") == [
            .jobChanged(from: .idle, to: .failed), .failed(reason: "crash loop"),
        ])
        #expect(n.lastError == "crash loop")
    }

    @Test func reasonsAsText() {
        #expect(StateChangeReason.job(.start).description == "start")
        #expect(StateChangeReason.externalStop.description == "external-stop")
        #expect(StateChangeReason.recovery.description == "recovery")
    }
}
