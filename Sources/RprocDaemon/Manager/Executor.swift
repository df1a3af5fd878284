// Runs a plan (RprocModel's Planner) on a processor's worker thread, never on the loop: a `start`
// write lasts as long as the boot. Before each write it re-reads `state` and refuses to write when
// the step does not allow that state; after each write it re-reads `state` and follows the step's
// recourse (fail, a condition, or a fallback). A pure function of the kernel files: the loop
// applies the report.

import RprocModel
import RprocSystem

/// Everything the kernel showed of one processor at one moment.
struct KernelSnapshot: Sendable, Equatable {
    var state: ProcessorState
    var firmware: String
    var recovery: String
    var coredump: String
}

/// What running a plan did.
struct ExecutionReport: Sendable {
    /// The writes the kernel accepted, in order.
    var completed: [RprocModel.KernelWrite] = []
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
            state: ProcessorState(sysfs: try kernel.read(.state, of: device)),
            firmware: try kernel.read(.firmware, of: device),
            recovery: try kernel.read(.recovery, of: device),
            coredump: try kernel.read(.coredump, of: device))
    }

    /// Runs `steps` one write at a time (fallbacks are spliced in where a step asks for them).
    static func run(_ steps: [PlanStep], kernel: KernelFiles, device: String, name: String) -> ExecutionReport {
        var report = ExecutionReport()
        var queue = steps
        var index = 0
        func follow(_ recourse: Recourse, write: RprocModel.KernelWrite, state: ProcessorState, refusal: DaemonError?) -> Bool {
            switch recourse {
            case .fallback(let alternative):
                queue.insert(contentsOf: alternative, at: index)
                return true
            case .condition(let condition):
                report.condition = condition
                report.error = refusal ?? conditionError(condition, write: write, state: state, name: name)
            case .fail:
                report.error = refusal ?? DaemonError(
                    .kernelRefused,
                    "The kernel accepted '\(write.value)' for '\(name)' but it is '\(state.sysfsValue)' now; see 'journalctl -k'.")
            }
            return false
        }
        while index < queue.count {
            let step = queue[index]
            index += 1
            let state: ProcessorState
            do {
                state = ProcessorState(sysfs: try kernel.read(.state, of: device))
            } catch {
                report.error = DaemonError.kernel(error, processor: name)
                break
            }
            guard step.requires.contains(state) else {
                report.error = DaemonError(
                    .invalidTransition, "'\(name)' is '\(state.sysfsValue)' now, so '\(step.write.value)' was not sent to it.")
                break
            }
            if case .firmware(let firmware) = step.write, let missing = missingFirmware(firmware, kernel: kernel) {
                report.error = missing
                break
            }
            if step.write == .state(.start), state == .offline, let current = try? kernel.read(.firmware, of: device),
                let missing = missingFirmware(current, kernel: kernel)
            {
                report.error = missing
                break
            }
            let outcome: KernelWriteOutcome
            do {
                outcome = try kernel.perform(RprocSystem.KernelWrite(attribute: step.write.attribute, value: step.write.value), on: device)
            } catch let error as KernelWriteError {
                let refusal = DaemonError.kernel(error, processor: name)
                report.kernelRefused = true
                if follow(step.onRefusal, write: step.write, state: error.stateAfter ?? state, refusal: refusal) {
                    report.kernelRefused = false
                    continue
                }
                break
            } catch {
                report.error = DaemonError.kernel(error, processor: name)
                break
            }
            report.completed.append(step.write)
            guard let after = outcome.stateAfter else {
                report.error = DaemonError(.kernelRefused, "'\(name)' could not be read after '\(step.write.value)': \(outcome.stateAfterError.map { "\($0)" } ?? "unknown error").")
                break
            }
            if let recourse = step.recourse(after: after) {
                if follow(recourse, write: step.write, state: after, refusal: nil) { continue }
                break
            }
        }
        report.after = try? snapshot(kernel, device: device)
        return report
    }

    static func conditionError(_ condition: Condition, write: RprocModel.KernelWrite, state: ProcessorState, name: String) -> DaemonError {
        switch condition {
        case .heldByOtherUser:
            return DaemonError(
                .invalidTransition,
                "The kernel accepted '\(write.value)' but '\(name)' is still '\(state.sysfsValue)': another user (a kernel driver or an earlier 'start') holds it.")
        case .stuckAfterFailedRecovery:
            return DaemonError(
                .invalidTransition,
                "The kernel accepted '\(write.value)' but '\(name)' is still '\(state.sysfsValue)': it is stuck after a failed recovery; rebind its driver.")
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
