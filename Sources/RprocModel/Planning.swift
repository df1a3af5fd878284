// Operation planning: (kernel state, job, operation, facts) → the kernel writes to make, in order,
// each with the state expected after it, or a named refusal. Pure; the daemon executes the plan one
// write(2) at a time and re-reads `state` after each (docs/kernel-contract.md §2.3, §8.2, §9).

/// Which remoteproc core the running kernel has (contract §0.2). Only `stop` on a crashed processor
/// differs in a way planning must know.
public enum KernelFlavour: Hashable, Sendable {
    /// Debian 6.1.170…187, 6.12.≤107 (and presumably upstream v6.1/v6.12): `stop` while crashed is
    /// `-EINVAL`; the `deleted` state exists.
    case classic
    /// Debian 6.1.190+, 6.12.111+: `stop` while crashed stops it (no coredump).
    case new
    /// Not known: plan what works on both (`stop`, falling back to recover-then-stop).
    case unknown

    /// What a `state` read tells: `deleted` exists only on CLASSIC kernels (contract §8.2); no
    /// state proves NEW.
    public func refined(bySeeing state: ProcessorState) -> KernelFlavour {
        state == .deleted ? .classic : self
    }
}

/// One write(2) to one attribute.
public enum KernelWrite: Hashable, Sendable, CustomStringConvertible {
    /// `firmware` ← name (no newline is added; the kernel cuts at the first one).
    case firmware(String)
    /// `state` ← `start` | `stop` | `detach`.
    case state(StateCommand)
    /// `recovery` ← `recover` | `enabled` | `disabled`.
    case recovery(RecoveryCommand)
    /// `coredump` ← `disabled` | `enabled` | `inline`.
    case coredump(CoredumpMode)

    /// The attribute file written.
    public var attribute: Attribute {
        switch self {
        case .firmware: return .firmware
        case .state: return .state
        case .recovery: return .recovery
        case .coredump: return .coredump
        }
    }

    /// The bytes written, as text.
    public var value: String {
        switch self {
        case .firmware(let name): return name
        case .state(let command): return command.sysfsValue
        case .recovery(let command): return command.sysfsValue
        case .coredump(let mode): return mode.sysfsValue
        }
    }

    /// `state` ← `start`: `rproc_boot()`.
    public static let start = KernelWrite.state(.start)
    /// `state` ← `stop`: `rproc_shutdown()`.
    public static let stop = KernelWrite.state(.stop)
    /// `state` ← `detach`: `rproc_detach()`.
    public static let detach = KernelWrite.state(.detach)
    /// `recovery` ← `recover`: `rproc_trigger_recovery()` without changing the flag.
    public static let recover = KernelWrite.recovery(.recover)

    /// `state ← start`.
    public var description: String { "\(attribute.sysfsValue) ← \(value)" }
}

/// What the executor does when a step does not go as planned.
public indirect enum Recourse: Hashable, Sendable {
    /// End the job as failed (`Result=kernel-refused`; the state goes into `LastError`).
    case fail
    /// End the job as failed and report this condition (`Condition` property).
    case condition(Condition)
    /// Run these steps in place of this one, then go on with the rest of the plan (a restart's
    /// boot still follows a stop that fell back to recover-then-stop).
    case fallback([PlanStep])
}

/// A re-read state that has a specific meaning after a step.
public struct StateRecourse: Hashable, Sendable {
    /// The re-read state.
    public var state: ProcessorState
    /// What it means.
    public var recourse: Recourse

    public init(_ state: ProcessorState, _ recourse: Recourse) {
        self.state = state
        self.recourse = recourse
    }
}

/// One planned kernel write.
public struct PlanStep: Hashable, Sendable {
    /// The job shown while the write is in flight (`idle` for quick attribute writes).
    public var job: Job
    /// The attribute and value.
    public var write: KernelWrite
    /// The states the processor must be in just before the write. The executor reads `state`
    /// first and does not write if it is elsewhere (the step then fails with `Recourse.fail`).
    /// A `start` step only ever requires `offline` or `detached` (contract §2.2, §9.1).
    public var requires: [ProcessorState]
    /// The states `state` may read after a successful write.
    public var expected: [ProcessorState]
    /// What a failed write (an errno) means.
    public var onRefusal: Recourse
    /// What specific unexpected states mean; any other unexpected state is `Recourse.fail`.
    public var onUnexpected: [StateRecourse]

    public init(
        job: Job, write: KernelWrite, requires: [ProcessorState], expected: [ProcessorState],
        onRefusal: Recourse = .fail, onUnexpected: [StateRecourse] = []
    ) {
        self.job = job
        self.write = write
        self.requires = requires
        self.expected = expected
        self.onRefusal = onRefusal
        self.onUnexpected = onUnexpected
    }

    /// What to do after the write succeeded and `state` re-read `after`: `nil` to go on.
    public func recourse(after: ProcessorState) -> Recourse? {
        if expected.contains(after) { return nil }
        return onUnexpected.first { $0.state == after }?.recourse ?? .fail
    }
}

/// The writes an operation needs. An empty plan means there is nothing to do (the processor is
/// already where the operation would take it): the job succeeds at once.
public struct Plan: Hashable, Sendable {
    /// The operation planned.
    public var operation: Operation
    /// The writes, in order; fallbacks hang off the steps they replace.
    public var steps: [PlanStep]

    public init(operation: Operation, steps: [PlanStep]) {
        self.operation = operation
        self.steps = steps
    }

    /// Nothing to write: the processor is already where the operation leads.
    public var isEmpty: Bool { steps.isEmpty }

    /// Every write the plan may make, fallbacks included, in order.
    public var allSteps: [PlanStep] { Plan.flatten(steps) }

    static func flatten(_ steps: [PlanStep]) -> [PlanStep] {
        steps.flatMap { step -> [PlanStep] in
            var out = [step]
            if case .fallback(let alternative) = step.onRefusal { out += flatten(alternative) }
            for entry in step.onUnexpected {
                if case .fallback(let alternative) = entry.recourse { out += flatten(alternative) }
            }
            return out
        }
    }
}

/// Why an operation is refused before anything is written. Each case carries the state and the
/// operation; `description` is one sentence a user can act on.
public enum TransitionRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The operation is impossible in this state; `reason` says why.
    case invalidTransition(state: ProcessorState, operation: Operation, reason: String)
    /// The operation needs a running (or crashed) processor.
    case notRunning(state: ProcessorState, operation: Operation)
    /// Another job is in flight on the processor.
    case busy(state: ProcessorState, operation: Operation, job: Job, inFlight: Operation?)
    /// The processor is `failed` (start limit hit) until `reset-failed`.
    case failed(state: ProcessorState, operation: Operation)
    /// No firmware is set or configured (or no previous image to roll back to).
    case notConfigured(state: ProcessorState, operation: Operation)
    /// The driver made the attributes read-only (mode 0444, `sysfs_read_only`).
    case readOnly(state: ProcessorState, operation: Operation)

    /// The state the refusal was made in.
    public var state: ProcessorState {
        switch self {
        case .invalidTransition(let s, _, _), .notRunning(let s, _), .busy(let s, _, _, _), .failed(let s, _),
            .notConfigured(let s, _), .readOnly(let s, _):
            return s
        }
    }

    /// The operation refused.
    public var operation: Operation {
        switch self {
        case .invalidTransition(_, let o, _), .notRunning(_, let o), .busy(_, let o, _, _), .failed(_, let o),
            .notConfigured(_, let o), .readOnly(_, let o):
            return o
        }
    }

    /// The last component of the D-Bus error name (`org.daybreak.RemoteProc1.Error.<name>`).
    public var errorName: String {
        switch self {
        case .invalidTransition: return "InvalidTransition"
        case .notRunning: return "NotRunning"
        case .busy: return "Busy"
        case .failed: return "Failed"
        case .notConfigured: return "NotConfigured"
        case .readOnly: return "ReadOnly"
        }
    }

    public var description: String {
        let op = "'\(operation.sysfsValue)'"
        switch self {
        case .invalidTransition(let state, _, let reason):
            return "Cannot \(op) a processor that is '\(state.sysfsValue)': \(reason)"
        case .notRunning(let state, _):
            return "Cannot \(op): the processor is '\(state.sysfsValue)', not running; start it first."
        case .busy(_, _, let job, let inFlight):
            let what = inFlight.map { "'\($0.sysfsValue)' (\(job.sysfsValue))" } ?? "'\(job.sysfsValue)'"
            return "Cannot \(op): \(what) is in flight on this processor; wait for it to finish."
        case .failed:
            return "Cannot \(op): the processor is 'failed' after hitting its start limit; run 'reset-failed' first."
        case .notConfigured:
            return "Cannot \(op): no firmware is set or configured; pass one or set [Firmware] File=."
        case .readOnly:
            return "Cannot \(op): the driver made this processor's control files read-only."
        }
    }
}

/// What planning needs to know about a processor besides its state and job.
public struct ProcessorFacts: Hashable, Sendable {
    /// The kernel flavour, if known.
    public var flavour: KernelFlavour
    /// `state`/`firmware`/`recovery`/`coredump` are mode 0444 (`sysfs_read_only`, contract §1.3).
    public var readOnly: Bool
    /// What `firmware` reads, when meaningful: `nil` if unset or unknown (it reads `unknown` while
    /// attached), in which case a boot needs a firmware argument.
    public var kernelFirmware: String?
    /// Whether the driver implements `detach`; `nil` when not known (the kernel says `-EINVAL`).
    public var canDetach: Bool?
    /// What rprocd inferred: a processor stuck after a failed recovery cannot be booted (a `start`
    /// would only raise the hidden power refcount, contract §3.2).
    public var condition: Condition?

    public init(
        flavour: KernelFlavour = .unknown, readOnly: Bool = false, kernelFirmware: String? = nil, canDetach: Bool? = nil,
        condition: Condition? = nil
    ) {
        self.flavour = flavour
        self.readOnly = readOnly
        self.kernelFirmware = kernelFirmware
        self.canDetach = canDetach
        self.condition = condition
    }
}

/// The pure planner.
public enum Planner {
    /// Plans `operation` on a processor.
    ///
    /// - Parameters:
    ///   - operation: what the client asked for.
    ///   - firmware: the firmware argument (`start`, `restart`, `update`, `rollback`,
    ///     `set-firmware`); `nil` or empty means none (boot what `firmware` holds).
    ///   - state: the kernel state read just now.
    ///   - job: rprocd's job on the processor.
    ///   - inFlight: the operation behind `job`, if any (named in `busy`).
    ///   - facts: flavour, read-only files, the kernel's firmware, detach support.
    /// - Returns: the plan, or why it is refused. No plan contains `state ← start` unless the step
    ///   requires `offline` or `detached`.
    public static func plan(
        _ operation: Operation, firmware: String? = nil, state: ProcessorState, job: Job,
        inFlight: Operation? = nil, facts: ProcessorFacts
    ) -> Result<Plan, TransitionRefusal> {
        let firmware = firmware.flatMap { $0.isEmpty ? nil : $0 }
        if job.isActive {
            return .failure(.busy(state: state, operation: operation, job: job, inFlight: inFlight))
        }
        if job == .failed, operation.bootsProcessor {
            return .failure(.failed(state: state, operation: operation))
        }
        let steps: [PlanStep]
        switch Self.steps(operation, firmware: firmware, state: state, facts: facts) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let s): steps = s
        }
        if facts.readOnly, !steps.isEmpty {
            return .failure(.readOnly(state: state, operation: operation))
        }
        return .success(Plan(operation: operation, steps: steps))
    }

    /// Writes that bring `recovery` and `coredump` to the wanted modes, skipping those already set.
    ///
    /// - Note: `coredump` cannot change while crashed (`-EBUSY`, contract §1.3): that write is left
    ///   out and must be retried after recovery. `recovery` ← `enabled` on a crashed processor
    ///   triggers a recovery synchronously.
    public static func settings(
        recovery: RecoveryMode?, coredump: CoredumpMode?, current: (recovery: RecoveryMode?, coredump: CoredumpMode?),
        state: ProcessorState
    ) -> [PlanStep] {
        var steps: [PlanStep] = []
        if let recovery, recovery != current.recovery {
            let recovers = recovery == .enabled && state == .crashed
            steps.append(PlanStep(
                job: recovers ? .recovering : .idle,
                write: .recovery(recovery == .enabled ? .enable : .disable),
                requires: [state], expected: recovers ? [.running, .attached] : [state],
                onUnexpected: recovers ? stuckStates : []))
        }
        if let coredump, coredump != current.coredump, state != .crashed {
            steps.append(PlanStep(job: .idle, write: .coredump(coredump), requires: [state], expected: [state]))
        }
        return steps
    }

    // MARK: Building blocks

    /// After a recovery (or a start) that should have booted: `offline`/`detached` means the
    /// kernel's recovery failed and left the power refcount at 1 (contract §3.2).
    static let stuckStates = [
        StateRecourse(.offline, .condition(.stuckAfterFailedRecovery)),
        StateRecourse(.detached, .condition(.stuckAfterFailedRecovery)),
    ]

    static func startStep(from state: ProcessorState) -> PlanStep {
        precondition(state.acceptsStart, "planned 'start' on '\(state.sysfsValue)'")
        let attaching = state == .detached
        return PlanStep(
            job: attaching ? .attaching : .starting, write: .state(.start), requires: [state],
            expected: [attaching ? .attached : .running],
            onUnexpected: [StateRecourse(state, .condition(.stuckAfterFailedRecovery))])
    }

    static func stopStep(from states: [ProcessorState]) -> PlanStep {
        PlanStep(
            job: .stopping, write: .state(.stop), requires: states, expected: [.offline],
            onUnexpected: states.map { StateRecourse($0, .condition(.heldByOtherUser)) })
    }

    static let recoverStep = PlanStep(
        job: .recovering, write: .recovery(.recover), requires: [.crashed], expected: [.running, .attached],
        onUnexpected: stuckStates)

    static func firmwareStep(_ name: String, job: Job) -> PlanStep {
        PlanStep(job: job, write: .firmware(name), requires: [.offline], expected: [.offline])
    }

    /// Stopping a crashed processor (contract §2.3, §3.3, §8.2): NEW stops it; CLASSIC refuses with
    /// EINVAL, so recover first and stop the recovered processor; unknown tries `stop` and falls
    /// back to recover-then-stop when it is refused.
    static func stopCrashed(_ flavour: KernelFlavour) -> [PlanStep] {
        let recoverThenStop = [recoverStep, stopStep(from: [.running, .attached])]
        switch flavour {
        case .new: return [stopStep(from: [.crashed])]
        case .classic: return recoverThenStop
        case .unknown:
            var stop = stopStep(from: [.crashed])
            stop.onRefusal = .fallback(recoverThenStop)
            return [stop]
        }
    }

    /// Boot from `offline`, writing `firmware` first when it differs from the kernel's.
    static func bootSteps(
        firmware: String?, state: ProcessorState, operation: Operation, kernelFirmware: String?
    ) -> Result<[PlanStep], TransitionRefusal> {
        guard let target = firmware ?? kernelFirmware else {
            return .failure(.notConfigured(state: state, operation: operation))
        }
        var steps: [PlanStep] = []
        if target != kernelFirmware { steps.append(firmwareStep(target, job: .starting)) }
        steps.append(startStep(from: .offline))
        return .success(steps)
    }

    static func invalid(_ state: ProcessorState, _ operation: Operation, _ reason: String) -> Result<[PlanStep], TransitionRefusal> {
        .failure(.invalidTransition(state: state, operation: operation, reason: reason))
    }

    /// The reason an operation cannot act on a state that no operation can act on.
    static func unusableReason(_ state: ProcessorState) -> String? {
        switch state {
        case .suspended: return "the driver suspended it (runtime power management); the kernel refuses every command."
        case .deleted: return "the kernel is removing it."
        case .invalid, .unrecognized: return "rprocd does not know this state and will not guess what a write does."
        default: return nil
        }
    }

    static func steps(
        _ operation: Operation, firmware: String?, state: ProcessorState, facts: ProcessorFacts
    ) -> Result<[PlanStep], TransitionRefusal> {
        if operation == .resetFailed { return .success([]) }
        if let reason = unusableReason(state) { return invalid(state, operation, reason) }
        if facts.condition == .stuckAfterFailedRecovery, state.acceptsStart, operation.bootsProcessor {
            return invalid(state, operation, "it is stuck after a failed recovery (the kernel still counts it as in use, so a 'start' would do nothing); rebind its driver.")
        }
        switch operation {
        case .start:
            switch state {
            case .offline:
                return bootSteps(firmware: firmware, state: state, operation: operation,
                                 kernelFirmware: facts.kernelFirmware)
            case .detached:
                if firmware != nil {
                    return invalid(state, operation, "a detached processor runs its own firmware; attach without one, or stop it after attaching.")
                }
                return .success([startStep(from: .detached)])
            case .running, .attached:
                if let firmware, state == .attached || firmware != facts.kernelFirmware {
                    return invalid(state, operation, "it is already up; use 'restart' to boot '\(firmware)'.")
                }
                return .success([])  // already up: a 'start' write would only bump the power refcount
            case .crashed:
                return invalid(state, operation, "it crashed; 'recover' it, or 'restart' it to boot again.")
            default: break
            }
        case .stop:
            switch state {
            case .offline: return .failure(.notRunning(state: state, operation: operation))
            case .running, .attached: return .success([stopStep(from: [state])])
            case .crashed: return .success(stopCrashed(facts.flavour))
            case .detached:
                return invalid(state, operation, "the kernel cannot stop a processor it is detached from; 'attach' it first.")
            default: break
            }
        case .restart, .update, .rollback:
            if operation != .restart, firmware == nil {
                return .failure(.notConfigured(state: state, operation: operation))
            }
            var stop: [PlanStep]
            switch state {
            case .offline: stop = []
            case .running, .attached: stop = [stopStep(from: [state])]
            case .crashed: stop = stopCrashed(facts.flavour)
            case .detached:
                return invalid(state, operation, "the kernel cannot stop a processor it is detached from; 'attach' it first.")
            default: return invalid(state, operation, "no stop-and-boot is possible from here.")
            }
            // While attached `firmware` reads "unknown": only an explicit firmware can be booted.
            let known = state == .attached ? nil : facts.kernelFirmware
            switch bootSteps(firmware: firmware, state: state, operation: operation, kernelFirmware: known) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let boot):
                stop += boot
                return .success(stop)
            }
        case .detach:
            switch state {
            case .attached:
                if facts.canDetach == false {
                    return invalid(state, operation, "its driver has no detach operation.")
                }
                return .success([PlanStep(job: .detaching, write: .state(.detach), requires: [.attached],
                                          expected: [.detached],
                                          onUnexpected: [StateRecourse(.attached, .condition(.heldByOtherUser))])])
            case .detached: return .success([])
            case .running:
                return invalid(state, operation, "only a processor rprocd attached to can be detached; this one was booted by the kernel.")
            case .crashed:
                return invalid(state, operation, "it crashed; 'recover' it first.")
            case .offline: return .failure(.notRunning(state: state, operation: operation))
            default: break
            }
        case .attach:
            switch state {
            case .detached: return .success([startStep(from: .detached)])
            case .attached: return .success([])
            case .offline:
                return invalid(state, operation, "it is powered off, there is nothing to attach to; use 'start' to boot it.")
            case .running:
                return invalid(state, operation, "the kernel booted it and already manages it.")
            case .crashed:
                return invalid(state, operation, "it crashed; 'recover' it first.")
            default: break
            }
        case .recover:
            switch state {
            case .crashed: return .success([recoverStep])
            case .running, .attached:
                return invalid(state, operation, "it has not crashed.")
            case .offline, .detached: return .failure(.notRunning(state: state, operation: operation))
            default: break
            }
        case .setFirmware:
            guard let firmware else { return .failure(.notConfigured(state: state, operation: operation)) }
            guard state == .offline else {
                return invalid(state, operation, "the firmware can only change while it is offline (the kernel returns EBUSY); stop it first.")
            }
            return .success(firmware == facts.kernelFirmware ? [] : [firmwareStep(firmware, job: .idle)])
        case .resetFailed:
            return .success([])
        }
        return invalid(state, operation, "no such transition.")
    }
}

extension Operation {
    /// Operations that can boot the processor, refused while `failed`.
    public var bootsProcessor: Bool {
        switch self {
        case .start, .restart, .attach, .recover, .update, .rollback: return true
        case .stop, .detach, .setFirmware, .resetFailed: return false
        }
    }
}
