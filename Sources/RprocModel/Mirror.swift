// What rprocd knows about one processor, updated from observations: state samples (polling and
// the kernel log as accelerator) and its own jobs. Time is a parameter: µs on CLOCK_REALTIME.

/// Why a state changed, as the `StateChanged` signal's `reason` says it.
public enum StateChangeReason: Hashable, Sendable, CustomStringConvertible {
    /// rprocd's own job caused it.
    case job(Operation)
    /// The processor crashed (→ `crashed`, or the first sign of a crash).
    case crash
    /// The kernel's recovery (`crashed` → `offline` → `running`, or `offline` → `running` after an
    /// unexplained stop, which is how a recovery looks when polling missed `crashed`).
    case recovery
    /// Booted or attached by someone else (another writer, auto-boot at probe).
    case externalBoot
    /// Went down with no job and no sign of a crash (another writer, or a crash not yet explained).
    case externalStop
    /// rprocd took over a processor already in this state.
    case adopted
    /// Any other change not caused by rprocd.
    case external

    /// `start`, `stop`, …, or `crash`, `recovery`, `external-boot`, `external-stop`, `adopted`, `external`.
    public var description: String {
        switch self {
        case .job(let operation): return operation.sysfsValue
        case .crash: return "crash"
        case .recovery: return "recovery"
        case .externalBoot: return "external-boot"
        case .externalStop: return "external-stop"
        case .adopted: return "adopted"
        case .external: return "external"
        }
    }
}

/// Something the daemon announces (signals, PropertiesChanged, log lines).
public enum MirrorEvent: Hashable, Sendable {
    case stateChanged(from: ProcessorState, to: ProcessorState, reason: StateChangeReason)
    /// A crash was counted; `type` when the kernel log named it.
    case crashed(type: CrashType?, count: UInt32)
    /// The crash type became known for a crash already counted.
    case crashTypeLearned(CrashType)
    /// The processor came back up after a crash, without rprocd (kernel-owned recovery).
    case recoveredByKernel
    /// A boot was seen (by rprocd or not); `count` is the new `BootCount`.
    case booted(count: UInt32)
    case jobChanged(from: Job, to: Job)
    case conditionChanged(Condition?)
    /// The job ended with this result.
    case jobFinished(Operation, ProcessorResult)
    /// The processor became `failed`.
    case failed(reason: String)
}

/// How a kernel write of a plan step went.
public enum WriteOutcome: Hashable, Sendable {
    /// write(2) returned the byte count; `stateAfter` is `state` re-read right after.
    case succeeded(stateAfter: ProcessorState)
    /// write(2) failed; `error` is the typed error's sentence; `stateAfter` re-read after it.
    case refused(error: String, stateAfter: ProcessorState)
}

/// The model of one processor: kernel state, rprocd's job, counters, last crash, condition.
public struct ProcessorMirror: Hashable, Sendable {
    /// The kernel state last seen.
    public private(set) var state: ProcessorState
    /// rprocd's job (D-Bus `Job`).
    public private(set) var job: Job = .idle
    /// The operation behind `job`, while one is in flight.
    public private(set) var operation: Operation?
    /// Boots seen, by rprocd or not (D-Bus `BootCount`).
    public private(set) var bootCount: UInt32 = 0
    /// Crashes seen (D-Bus `CrashCount`).
    public private(set) var crashCount: UInt32 = 0
    /// Restarts by the restart policy since the last user start or `reset-failed`.
    public private(set) var restartCount: UInt32 = 0
    /// µs; 0 when never.
    public private(set) var lastCrashUSec: UInt64 = 0
    /// The type of the last crash, when the kernel log named it.
    public private(set) var lastCrashType: CrashType?
    /// The last failure, one sentence (D-Bus `LastError`).
    public private(set) var lastError: String?
    /// What rprocd inferred (D-Bus `Condition`); `nil`: nothing wrong.
    public private(set) var condition: Condition?
    /// How the last job or run ended (D-Bus `Result`).
    public private(set) var result: ProcessorResult = .success
    /// µs of the last state change rprocd saw (or of adoption).
    public private(set) var stateChangeUSec: UInt64

    /// When a crash (seen as `crashed`, or in the kernel log) was first seen and is not yet resolved
    /// by a recovery or a stop by rprocd.
    public private(set) var crashPendingSince: UInt64?
    /// When the processor went down with no job and no crash evidence (a stop by someone else, or a
    /// recovery whose `crashed` polling missed).
    public private(set) var unexplainedDownSince: UInt64?
    /// A boot the kernel log reported (`noteBoot`) that the next observation must not count again.
    var bootNoted = false
    /// The kernel's crash numbers ("handling crash #N", `rproc->crash_cnt`): the last one read, the one of
    /// the last crash counted (once known), and whether the outstanding crash has its number yet.
    var lastHandledNumber: UInt32?
    var countedNumber: UInt32?
    var pendingCrashNumbered = false
    /// A crash of its own came (by its number) while a job ran: the job's own reading of `state`
    /// settles it. It reads `crashed`, which is no transition from the first crash's `crashed`: count
    /// it then. It reads `running` (read before this crash): the sample that reads `crashed` counts it.
    var crashNumberedDuringJob = false

    /// Adopts a processor in `state` without any write (contract: rprocd restarts write nothing).
    public init(state: ProcessorState, at now: UInt64) {
        self.state = state
        self.stateChangeUSec = now
    }

    /// Restores counters kept in the state directory across daemon restarts.
    public mutating func restoreCounters(boots: UInt32, crashes: UInt32, lastCrashUSec: UInt64, lastCrashType: CrashType?, lastError: String?) {
        bootCount = boots
        crashCount = crashes
        self.lastCrashUSec = lastCrashUSec
        self.lastCrashType = lastCrashType
        self.lastError = lastError
    }

    // MARK: Observations

    /// A `state` sample (poll, or re-read after a write). Derives what happened since the last one.
    public mutating func observe(state new: ProcessorState, at now: UInt64) -> [MirrorEvent] {
        observeTransition(to: new, at: now) + updateCondition(for: new)
    }

    mutating func observeTransition(to new: ProcessorState, at now: UInt64) -> [MirrorEvent] {
        var events: [MirrorEvent] = []
        let old = state
        guard new != old else {
            // Up with no transition: a boot the kernel log announced happened between samples.
            if new.isUp { bootNoted = false }
            if new == .crashed, crashNumberedDuringJob { return countCrash(type: lastCrashType, at: now) }
            return events
        }
        state = new
        stateChangeUSec = now
        let reason: StateChangeReason
        var crashEvents: [MirrorEvent] = []
        if new == .crashed {
            reason = .crash
            if crashPendingSince == nil { crashEvents = countCrash(type: nil, at: now) }
        } else if let operation, job.isActive {
            reason = .job(operation)
            if new == .offline, operation == .stop || operation == .restart || job == .stopping {
                crashPendingSince = nil  // rprocd stopped it: no recovery is owed
            }
        } else if new.isUp, crashPendingSince != nil {
            reason = .recovery
        } else if new.isUp, let downSince = unexplainedDownSince, old == .offline || old == .detached {
            // running → offline → running without rprocd: the kernel recovered a crash polling missed.
            reason = .recovery
            events += countCrash(type: nil, at: downSince)
        } else if new.isUp, bootNoted {
            reason = .recovery  // the kernel log already announced this recovery's boot
        } else if new.isUp {
            reason = .externalBoot
        } else if old == .crashed, new == .offline || new == .detached {
            reason = .recovery  // the kernel's recovery stopped it; the boot half follows
        } else if old.isUp, new == .offline || new == .detached {
            reason = crashPendingSince != nil ? .crash : .externalStop
            if crashPendingSince == nil { unexplainedDownSince = now }
        } else {
            reason = .external
        }
        events.append(.stateChanged(from: old, to: new, reason: reason))
        events += crashEvents
        if new.isUp {
            let alreadyCounted = bootNoted
            bootNoted = false
            if reason == .recovery, !job.isActive, !alreadyCounted { events.append(.recoveredByKernel) }
            if new == .running, old == .offline || old == .crashed, !alreadyCounted { events += countBoot() }
            crashPendingSince = nil
            unexplainedDownSince = nil
            crashNumberedDuringJob = false
        }
        return events
    }

    /// The kernel log's "crash detected in %s: type %s" (contract §3.1). Counted once per crash:
    /// ignored while the processor is `offline` or already `crashed` (the kernel ignores those
    /// reports too: "handle only the first crash"), and while a crash is outstanding, whose type
    /// it then fills in.
    public mutating func noteCrash(type: CrashType, at now: UInt64) -> [MirrorEvent] {
        if crashPendingSince != nil {
            guard lastCrashType != type else { return [] }
            lastCrashType = type
            return [.crashTypeLearned(type)]
        }
        // `bootNoted`: the log announced a boot since the last sample, so the processor is up
        // whatever the last sample read (a recovery that crashed again before `state` was re-read).
        guard bootNoted || (state != .offline && state != .crashed) else { return [] }
        return countCrash(type: type, at: now, beforeItsNumber: true)
    }

    /// The kernel log's "handling crash #%u in %s" (`rproc_crash_handler_work`, contract §3.4): the kernel
    /// logs it only when it moves a processor that was up to `crashed`, with its own crash counter. A
    /// number other than the outstanding crash's is a crash of its own: one that came before rprocd saw
    /// the first one's recovery end, whose "crash detected" line was taken for the first crash's. During
    /// a job (rprocd's own recovery), the job's reading of `state` decides (`crashNumberedDuringJob`).
    public mutating func noteHandlingCrash(number: UInt32, at now: UInt64) -> [MirrorEvent] {
        lastHandledNumber = number
        guard crashPendingSince != nil else { return [] }  // counted when it is seen (its line came first)
        if !pendingCrashNumbered {
            pendingCrashNumbered = true
            countedNumber = number
            return []
        }
        guard isNewCrashNumber(number) else { return [] }
        if job.isActive {
            crashNumberedDuringJob = true
            return []
        }
        return countCrash(type: lastCrashType, at: now)
    }

    func isNewCrashNumber(_ number: UInt32) -> Bool { countedNumber.map { number > $0 } ?? true }

    /// The kernel log's "remote processor %s is now up": resolves an outstanding crash whose
    /// recovery finished between two samples, and counts that boot once.
    public mutating func noteBoot(at now: UInt64) -> [MirrorEvent] {
        guard crashPendingSince != nil || unexplainedDownSince != nil else { return [] }
        var events: [MirrorEvent] = []
        if crashPendingSince == nil, let downSince = unexplainedDownSince {
            events += countCrash(type: nil, at: downSince)
        }
        crashPendingSince = nil
        unexplainedDownSince = nil
        bootNoted = true
        events += countBoot()
        if !job.isActive { events.append(.recoveredByKernel) }
        return events
    }

    /// Time-based checks: a crash that stays `offline`/`detached` longer than `recoveryGrace` µs is
    /// a failed recovery (`stuck-after-failed-recovery`).
    public mutating func check(now: UInt64, recoveryGrace: UInt64) -> [MirrorEvent] {
        guard !job.isActive, condition == nil,
            let found = ConditionDetector.afterCrash(state: state, crashSeenAt: crashPendingSince, now: now, grace: recoveryGrace)
        else { return [] }
        return setCondition(found)
    }

    // MARK: Jobs

    /// Starts a job. A user `start` (not `byPolicy`) resets `RestartCount`; a policy restart adds
    /// one (a policy `stop`, `FailureAction=stop`, is none).
    public mutating func beginJob(_ operation: Operation, job: Job, byPolicy: Bool = false) -> [MirrorEvent] {
        self.operation = operation
        if byPolicy {
            if operation != .stop { restartCount += 1 }
        } else if operation == .start || operation == .restart {
            restartCount = 0
        }
        return setJob(job)
    }

    /// Marks a plan step as in flight (`job` follows the step, e.g. a restart goes from `stopping`
    /// to `starting`).
    public mutating func beginStep(_ step: PlanStep) -> [MirrorEvent] {
        step.job == .idle ? [] : setJob(step.job)
    }

    /// Records how a step went and returns what the plan says to do next (`nil`: go on) along with
    /// the events. A condition the outcome reveals is set here.
    public mutating func finishStep(_ step: PlanStep, outcome: WriteOutcome, at now: UInt64) -> (recourse: Recourse?, events: [MirrorEvent]) {
        let before = state
        switch outcome {
        case .succeeded(let after):
            var events = observe(state: after, at: now)
            if let found = ConditionDetector.afterWrite(step.write, before: before, after: after) {
                events += setCondition(found)
            }
            let recourse = step.recourse(after: after)
            if case .condition(let c)? = recourse, condition != c { events += setCondition(c) }
            return (recourse, events)
        case .refused(let error, let after):
            lastError = error
            return (step.onRefusal, observe(state: after, at: now))
        }
    }

    /// Ends the job. `startLimitHit` (without a fallback) makes the processor `failed`.
    public mutating func endJob(result: ProcessorResult, error: String? = nil) -> [MirrorEvent] {
        let finished = operation
        self.result = result
        if let error { lastError = error }
        operation = nil
        var events = setJob(result == .startLimitHit ? .failed : .idle)
        if let finished { events.append(.jobFinished(finished, result)) }
        if result == .startLimitHit { events.append(.failed(reason: error ?? "start limit hit")) }
        return events
    }

    /// Enters `failed` outside a job (the restart policy gave up after a crash).
    public mutating func enterFailed(result: ProcessorResult, reason: String) -> [MirrorEvent] {
        self.result = result
        lastError = reason
        operation = nil
        return setJob(.failed) + [.failed(reason: reason)]
    }

    /// `reset-failed`: back to `idle`, `RestartCount` forgotten.
    public mutating func resetFailed() -> [MirrorEvent] {
        restartCount = 0
        guard job == .failed else { return [] }
        result = .success
        return setJob(.idle)
    }

    // MARK: Helpers

    mutating func setJob(_ new: Job) -> [MirrorEvent] {
        guard new != job else { return [] }
        let old = job
        job = new
        return [.jobChanged(from: old, to: new)]
    }

    mutating func setCondition(_ new: Condition?) -> [MirrorEvent] {
        guard new != condition else { return [] }
        condition = new
        return [.conditionChanged(new)]
    }

    mutating func updateCondition(for state: ProcessorState) -> [MirrorEvent] {
        guard let condition, ConditionDetector.clears(condition, in: state) else { return [] }
        return setCondition(nil)
    }

    /// - Parameter beforeItsNumber: counted from its "crash detected" line, which comes before its
    ///   "handling crash #N": the last number read is an earlier crash's.
    mutating func countCrash(type: CrashType?, at now: UInt64, beforeItsNumber: Bool = false) -> [MirrorEvent] {
        crashCount += 1
        lastCrashUSec = now
        lastCrashType = type
        crashPendingSince = now
        // Seen in `state` after its number was read: it has its number.
        if !beforeItsNumber, let number = lastHandledNumber, isNewCrashNumber(number) {
            countedNumber = number
            pendingCrashNumbered = true
        } else {
            pendingCrashNumbered = false
        }
        crashNumberedDuringJob = false
        unexplainedDownSince = nil
        result = .crash
        return [.crashed(type: type, count: crashCount)]
    }

    mutating func countBoot() -> [MirrorEvent] {
        bootCount += 1
        return [.booted(count: bootCount)]
    }
}
