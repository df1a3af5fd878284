// Runs a plan's kernel writes on a processor's worker thread (never on the loop: a `start` write
// lasts as long as the boot). Pure function of the kernel files: the loop applies its report.

import RprocModel
import RprocSystem

/// Everything the kernel showed of one processor at one moment.
struct KernelSnapshot: Sendable, Equatable {
    var state: RprocModel.ProcessorState
    var firmware: String
    var recovery: String
    var coredump: String
}

/// What running a plan did.
struct ExecutionReport: Sendable {
    /// The steps whose write the kernel accepted, in order.
    var completed: [PlanStep] = []
    /// The attributes read after the last write; nil when the device could not be read.
    var after: KernelSnapshot?
    /// Why the plan stopped early, as clients see it.
    var error: DaemonError?
    /// A condition the writes revealed (a `stop` that left it running, a `start` that did nothing).
    var condition: Condition?
    /// The kernel refused a write (as opposed to rprocd refusing a step).
    var kernelRefused = false
}

enum Executor {
    /// Reads the four attributes a processor shows.
    static func snapshot(_ kernel: KernelFiles, device: String) throws -> KernelSnapshot {
        KernelSnapshot(
            state: RprocModel.ProcessorState(sysfs: try kernel.read(.state, of: device)),
            firmware: try kernel.read(.firmware, of: device),
            recovery: try kernel.read(.recovery, of: device),
            coredump: try kernel.read(.coredump, of: device))
    }

    /// Runs `steps` one write at a time, checking before each write that the state the kernel shows
    /// still allows it (a `stop` that left the processor running must not be followed by a `start`).
    static func run(_ steps: [PlanStep], kernel: KernelFiles, device: String, name: String) -> ExecutionReport {
        var report = ExecutionReport()
        for step in steps {
            let state: RprocModel.ProcessorState
            do {
                state = RprocModel.ProcessorState(sysfs: try kernel.read(.state, of: device))
            } catch {
                report.error = DaemonError.kernel(error, processor: name)
                break
            }
            if let refusal = refusal(step, state: state, name: name) {
                report.error = refusal.error
                report.condition = refusal.condition
                break
            }
            if case .setFirmware(let firmware) = step, let missing = missingFirmware(firmware, kernel: kernel) {
                report.error = missing
                break
            }
            if step == .start, state == .offline, let current = try? kernel.read(.firmware, of: device),
                let missing = missingFirmware(current, kernel: kernel)
            {
                report.error = missing
                break
            }
            do {
                let outcome = try kernel.perform(write(for: step), on: device)
                report.completed.append(step)
                let after = outcome.stateAfter.map { RprocModel.ProcessorState(sysfs: $0.sysfsValue) }
                if step == .stop, let after, after.isUp {
                    report.condition = .heldByOtherUser
                    report.error = DaemonError(
                        .invalidTransition,
                        "The kernel accepted 'stop' but '\(name)' is still '\(after.sysfsValue)': another user (a kernel driver or an earlier 'start') holds it.")
                    break
                }
                if step == .start, let after, after == .offline || after == .detached {
                    report.condition = .stuckAfterFailedRecovery
                    report.error = DaemonError(
                        .invalidTransition,
                        "The kernel accepted 'start' but '\(name)' is still '\(after.sysfsValue)': it is stuck after a failed recovery; rebind its driver.")
                    break
                }
            } catch {
                report.error = DaemonError.kernel(error, processor: name)
                report.kernelRefused = error is KernelWriteError
                break
            }
        }
        report.after = try? snapshot(kernel, device: device)
        return report
    }

    static func write(for step: PlanStep) -> KernelWrite {
        switch step {
        case .setFirmware(let name): .firmware(name)
        case .start: .start
        case .stop: .stop
        case .detach: .detach
        case .recover: .recover
        }
    }

    /// rprocd's own check before a write: the kernel would no-op or refuse it in `state`.
    static func refusal(_ step: PlanStep, state: RprocModel.ProcessorState, name: String) -> (error: DaemonError, condition: Condition?)? {
        let now = "'\(name)' is '\(state.sysfsValue)' now"
        switch step {
        case .start where !state.acceptsStart:
            if state.isUp {
                return (DaemonError(.invalidTransition, "\(now), so 'start' was not sent: another user holds it."), .heldByOtherUser)
            }
            return (DaemonError(.invalidTransition, "\(now), so 'start' was not sent."), nil)
        case .stop where !state.acceptsStop:
            return (DaemonError(.notRunning, "\(now), so 'stop' was not sent."), nil)
        case .setFirmware where state != .offline:
            return (DaemonError(.invalidTransition, "\(now): its firmware can only be changed while it is offline."), nil)
        case .detach where state != .attached:
            return (DaemonError(.invalidTransition, "\(now), so 'detach' was not sent."), nil)
        case .recover where state != .crashed:
            return (DaemonError(.invalidTransition, "\(now), not crashed: there is nothing to recover."), nil)
        default:
            return nil
        }
    }

    /// `FirmwareNotFound` (listing where the kernel looks) when the kernel would not find `firmware`.
    static func missingFirmware(_ firmware: String, kernel: KernelFiles) -> DaemonError? {
        let lookup: FirmwareLookup
        do {
            lookup = try kernel.lookUpFirmware(firmware)
        } catch {
            return DaemonError(.invalidArgs, "\(error)")
        }
        if lookup.found != nil { return nil }
        let places = lookup.placesLooked.map { "'\($0)'" }.joined(separator: ", ")
        return DaemonError(
            .firmwareNotFound,
            "Firmware '\(firmware)' is not in the kernel's search path (looked in \(places)); install it there or pass another name.")
    }
}
