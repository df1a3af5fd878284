import RprocModel
import RprocSystem
import Testing
@testable import RprocDaemon

/// The crash detector over the inputs of kernel-contract.md §3.4, one crash per crash.
@Suite struct CrashDetectorTests {
    let s: UInt64 = 1_000_000

    func crashes(_ detections: [CrashDetection]) -> [CrashEvent] {
        detections.compactMap { if case .crashed(let event) = $0 { return event } else { return nil } }
    }

    func recoveries(_ detections: [CrashDetection]) -> [Bool] {
        detections.compactMap { if case .recovered(_, let byKernel) = $0 { return byKernel } else { return nil } }
    }

    @Test func kernelOwnedRecoveryFromTheLogIsOneCrashAndOneRecovery() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        var all: [CrashDetection] = []
        all += d.kernelLog(.crashDetected(name: "m4", type: "watchdog"), at: 10 * s)
        all += d.kernelLog(.handlingCrash(count: 1, name: "m4"), at: 10 * s + 5)
        all += d.observe(state: .crashed, at: 10 * s + 10)
        all += d.kernelLog(.recovering(name: "m4"), at: 10 * s + 20)
        all += d.observe(state: .offline, at: 10 * s + 30)
        all += d.kernelLog(.up(name: "m4"), at: 10 * s + 40)
        all += d.observe(state: .running, at: 11 * s)
        let events = crashes(all)
        #expect(events.count == 1)
        #expect(events.first?.type == .watchdog)
        #expect(events.first?.evidence == .kernelLog)
        #expect(events.first?.count == 1)
        #expect(events.first?.at == 10 * s)
        #expect(recoveries(all) == [true])
        #expect(d.crashCount == 1)
        #expect(!d.crashOpen)
    }

    @Test func rprocdOwnedCrashStaysOpenUntilItsRecoveryBringsItUp() {
        var d = CrashDetector(device: "remoteproc0", state: .running, crashCount: 7)
        var all = d.kernelLog(.crashDetected(name: "m4", type: "mmufault"), at: s)
        all += d.kernelLog(.handlingCrash(count: 3, name: "m4"), at: s + 1)
        all += d.observe(state: .crashed, at: 2 * s)
        all += d.observe(state: .crashed, at: 3 * s)
        #expect(crashes(all).map(\.count) == [8])
        #expect(d.crashOpen)
        d.jobStarted(.recover)
        all += d.kernelLog(.up(name: "m4"), at: 4 * s)
        all += d.jobFinished(state: .running, at: 4 * s + 1)
        #expect(recoveries(all) == [false])
        #expect(crashes(all).count == 1)
    }

    @Test func thePollAloneSeesCrashedAndAMissedCrashedPhase() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        var all = d.observe(state: .crashed, at: s)
        all += d.observe(state: .running, at: 2 * s)
        // running → offline → running with no job of rprocd's: a kernel recovery whose crashed the poll missed.
        all += d.observe(state: .offline, at: 3 * s)
        all += d.observe(state: .running, at: 4 * s)
        let events = crashes(all)
        #expect(events.map(\.evidence) == [.statePoll, .statePoll])
        #expect(events.map(\.at) == [s, 3 * s])
        #expect(events.map(\.type) == [nil, nil])
        #expect(recoveries(all) == [true, true])
    }

    @Test func rprocdsOwnStopAndStartAreNoCrash() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        d.jobStarted(.stop)
        var all = d.observe(state: .offline, at: s)
        all += d.kernelLog(.stopped(name: "m4"), at: s)
        all += d.jobFinished(state: .offline, at: s)
        d.jobStarted(.start)
        all += d.kernelLog(.up(name: "m4"), at: 2 * s)
        all += d.jobFinished(state: .running, at: 2 * s)
        #expect(all.isEmpty)
        #expect(d.crashCount == 0)
    }

    @Test func aReportWhileOfflineIsIgnoredAsTheKernelIgnoresIt() {
        var d = CrashDetector(device: "remoteproc0", state: .offline)
        #expect(d.kernelLog(.crashDetected(name: "m4", type: "fatal error"), at: s).isEmpty)
        #expect(d.observe(state: .offline, at: 2 * s).isEmpty)
        #expect(d.crashCount == 0)
    }

    @Test func theKernelsCounterRevealsCrashesNoInputShowed() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        var all = d.kernelLog(.handlingCrash(count: 1, name: "m4"), at: s)
        all += d.kernelLog(.up(name: "m4"), at: s + 1)
        // Records 2 and 3 were lost (a full ring); #4 says so.
        all += d.kernelLog(.handlingCrash(count: 4, name: "m4"), at: 5 * s)
        let events = crashes(all)
        #expect(events.map(\.count) == [1, 4])
        #expect(events.map(\.missed) == [0, 2])
        #expect(d.crashCount == 4)
    }

    @Test func aDumpBelongsToTheCrashBeforeIt() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        var all = d.kernelLog(.handlingCrash(count: 1, name: "m4"), at: s)
        all += d.devcoredumpAppeared(at: s + 10)  // during the recovery
        all += d.kernelLog(.up(name: "m4"), at: s + 20)
        #expect(crashes(all).count == 1)
        // A crash whose dump comes after the processor is up again: still one crash.
        all += d.observe(state: .crashed, at: 2 * s)
        all += d.observe(state: .running, at: 3 * s)
        all += d.devcoredumpAppeared(at: 3 * s + 5)
        #expect(crashes(all).count == 2)
        // A dump with no crash seen before it: one crash, evidence devcoredump, already recovered.
        let dumpOnly = d.devcoredumpAppeared(at: 9 * s)
        #expect(crashes(dumpOnly).map(\.evidence) == [.devcoredump])
        #expect(recoveries(dumpOnly) == [true])
        #expect(d.crashCount == 3)
    }

    @Test func theLogNamesTheTypeOfACrashThePollSawFirst() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        let first = d.observe(state: .crashed, at: s)
        #expect(crashes(first).first?.type == nil)
        #expect(d.kernelLog(.crashDetected(name: "m4", type: "mmufault"), at: s + 1) == [.typeLearned(device: "remoteproc0", .mmuFault)])
        // A second report while crashed changes nothing ("handle only the first crash").
        #expect(d.kernelLog(.crashDetected(name: "m4", type: "watchdog"), at: s + 2).isEmpty)
        #expect(d.lastCrashType == .mmuFault)
    }

    @Test func aTypeLoggedJustBeforeTheSampleIsKept() {
        var d = CrashDetector(device: "remoteproc0", state: .offline)
        _ = d.observe(state: .attached, at: s)
        _ = d.observe(state: .offline, at: 2 * s)  // the detector believes it is down
        _ = d.kernelLog(.crashDetected(name: "m4", type: "7"), at: 3 * s)
        let events = crashes(d.observe(state: .crashed, at: 3 * s + 100))
        #expect(events.first?.type == .unknown)
    }

    @Test func aRunningSampleBeforeTheKernelsTransitionDoesNotEndTheCrash() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        var all = d.kernelLog(.crashDetected(name: "m4", type: "watchdog"), at: s)
        all += d.observe(state: .running, at: s + 1)  // the crash work has not run yet
        #expect(recoveries(all).isEmpty)
        #expect(d.crashOpen)
        // Kernel-owned: the whole recovery happened between two samples; the log's "is now up" ends it.
        all += d.kernelLog(.handlingCrash(count: 1, name: "m4"), at: s + 2)
        all += d.kernelLog(.recovering(name: "m4"), at: s + 3)
        all += d.kernelLog(.stopped(name: "m4"), at: s + 4)  // rproc_stop logs this during recovery too
        #expect(d.crashOpen)
        all += d.kernelLog(.up(name: "m4"), at: s + 5)
        all += d.observe(state: .running, at: 2 * s)
        #expect(crashes(all).count == 1)
        #expect(recoveries(all) == [true])
    }

    @Test func theCounterLineOfACrashAlreadyEndedIsNotANewCrash() {
        var d = CrashDetector(device: "remoteproc0", state: .running)
        d.jobStarted(.stop)
        var all = d.kernelLog(.crashDetected(name: "m4", type: "mmufault"), at: s)  // a crash while rprocd stops it
        all += d.jobFinished(state: .offline, at: s + 10)
        all += d.kernelLog(.handlingCrash(count: 1, name: "m4"), at: s + 20)
        #expect(crashes(all).count == 1)
        // The next crash is new again.
        all += d.observe(state: .running, at: 2 * s)
        all += d.kernelLog(.handlingCrash(count: 2, name: "m4"), at: 3 * s)
        #expect(crashes(all).map(\.count) == [1, 2])
    }

    @Test func aProcessorAdoptedCrashedIsOneCrash() {
        var d = CrashDetector(device: "remoteproc0", state: .crashed, crashCount: 2)
        let events = crashes(d.adopt(at: s))
        #expect(events.map(\.evidence) == [.adopted])
        #expect(events.map(\.count) == [3])
        #expect(d.adopt(at: 2 * s).isEmpty)
        #expect(d.observe(state: .crashed, at: 3 * s).isEmpty)
    }
}
