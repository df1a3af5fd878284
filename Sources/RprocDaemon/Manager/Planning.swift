// What an operation writes to the kernel in a given state, or why it is refused.
// TEMPORARY: the daemon's own planner until RprocModel's operation planning lands on `model`;
// same rules (kernel-contract.md §2.3, §9): never `start` unless `offline` or `detached`, never
// `firmware` unless `offline`, refuse with a named reason instead of letting the kernel no-op.

import RprocModel

/// One step of a plan: a kernel write, checked against the state seen just before it.
enum PlanStep: Sendable, Equatable {
    case setFirmware(String)
    case start
    case stop
    case detach
    case recover
}

/// The plan for one operation.
struct OperationPlan: Sendable, Equatable {
    /// The job shown while the plan runs.
    var job: Job
    var steps: [PlanStep]
}

enum Planner {
    /// The writes for `operation` on a processor in `state`, or the error a client gets.
    ///
    /// - Parameters:
    ///   - firmware: the operation's argument (start, restart, set-firmware); empty for none.
    ///   - currentFirmware: the kernel's `firmware`.
    ///   - condition: what rprocd inferred (a stuck processor cannot start).
    static func plan(
        _ operation: Operation, state: ProcessorState, firmware: String, currentFirmware: String,
        condition: Condition?, name: String
    ) -> Result<OperationPlan, DaemonError> {
        let quoted = "'\(name)'"
        let stateText = "'\(state.sysfsValue)'"
        switch operation {
        case .start, .attach:
            switch state {
            case .offline:
                if operation == .attach {
                    return .failure(DaemonError(.invalidTransition, "\(quoted) is offline, not detached: use Start to boot it."))
                }
                if condition == .stuckAfterFailedRecovery {
                    return .failure(DaemonError(
                        .invalidTransition,
                        "\(quoted) is stuck after a failed recovery (the kernel still counts it as in use): rebind its driver, a 'start' would do nothing."))
                }
                var steps: [PlanStep] = []
                if !firmware.isEmpty && firmware != currentFirmware { steps.append(.setFirmware(firmware)) }
                steps.append(.start)
                return .success(OperationPlan(job: .starting, steps: steps))
            case .detached:
                if !firmware.isEmpty {
                    return .failure(DaemonError(
                        .invalidTransition, "\(quoted) is detached and runs its own firmware: Start it without a firmware to attach."))
                }
                return .success(OperationPlan(job: .attaching, steps: [.start]))
            case .running, .attached:
                if operation == .attach {
                    return .failure(DaemonError(.invalidTransition, "\(quoted) is already \(stateText)."))
                }
                if !firmware.isEmpty && firmware != currentFirmware {
                    return .failure(DaemonError(
                        .invalidTransition, "\(quoted) is \(stateText) with another firmware: use Restart to switch to '\(firmware)'."))
                }
                // Already up: nothing to write (a second `start` would only raise the kernel's power count).
                return .success(OperationPlan(job: .starting, steps: []))
            case .crashed:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is crashed: use Recover to boot it again."))
            default:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is \(stateText): the kernel cannot start it in that state."))
            }
        case .stop:
            switch state {
            case .running, .attached, .crashed:
                return .success(OperationPlan(job: .stopping, steps: [.stop]))
            case .offline:
                return .failure(DaemonError(.notRunning, "\(quoted) is not running."))
            case .detached:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is detached: Attach it before stopping it."))
            default:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is \(stateText): the kernel cannot stop it in that state."))
            }
        case .restart:
            switch state {
            case .running, .attached:
                var steps: [PlanStep] = [.stop]
                if !firmware.isEmpty && firmware != currentFirmware { steps.append(.setFirmware(firmware)) }
                steps.append(.start)
                return .success(OperationPlan(job: .stopping, steps: steps))
            case .offline:
                return plan(.start, state: state, firmware: firmware, currentFirmware: currentFirmware, condition: condition, name: name)
            case .crashed:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is crashed: use Recover to boot it again."))
            default:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is \(stateText): the kernel cannot restart it in that state."))
            }
        case .detach:
            switch state {
            case .attached:
                return .success(OperationPlan(job: .detaching, steps: [.detach]))
            case .running:
                return .failure(DaemonError(
                    .invalidTransition, "\(quoted) was booted by the kernel, not attached: only an attached processor can be detached."))
            case .offline:
                return .failure(DaemonError(.notRunning, "\(quoted) is not running."))
            default:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is \(stateText): only an attached processor can be detached."))
            }
        case .recover:
            switch state {
            case .crashed:
                return .success(OperationPlan(job: .recovering, steps: [.recover]))
            case .offline:
                return .failure(DaemonError(.notRunning, "\(quoted) is not running, so there is nothing to recover: use Start."))
            default:
                return .failure(DaemonError(.invalidTransition, "\(quoted) is \(stateText), not crashed: there is nothing to recover."))
            }
        case .setFirmware:
            guard state == .offline else {
                return .failure(DaemonError(
                    .invalidTransition, "\(quoted) is \(stateText): its firmware can only be changed while it is offline; stop it first."))
            }
            if firmware == currentFirmware { return .success(OperationPlan(job: .idle, steps: [])) }
            return .success(OperationPlan(job: .idle, steps: [.setFirmware(firmware)]))
        case .resetFailed:
            return .success(OperationPlan(job: .idle, steps: []))
        case .update, .rollback:
            return .failure(DaemonError(.notSupported, "Firmware updates are not implemented by this rprocd yet."))
        }
    }

    /// The job shown while `step` runs (a restart shows `stopping`, then `starting`).
    static func job(for step: PlanStep, state: ProcessorState) -> Job {
        switch step {
        case .setFirmware: .starting
        case .start: state == .detached ? .attaching : .starting
        case .stop: .stopping
        case .detach: .detaching
        case .recover: .recovering
        }
    }
}
