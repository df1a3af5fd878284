// Runs a plan (RprocModel's Planner) on a processor's worker thread, never on the loop: a `start`
// write lasts as long as the boot. Before each write it re-reads `state` and refuses to write when
// the step does not allow that state; after each write it re-reads `state` and follows the step's
// recourse (fail, a condition, or a fallback). A pure function of the kernel files: the loop
// applies the report.

import RprocFirmware
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
    /// Every write made and how it went, in order, for the processor's mirror.
    var outcomes: [(step: PlanStep, outcome: WriteOutcome)] = []
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
    ///
    /// - Parameter memory: the processor's `[Memory] Window=`s; the firmware about to boot is checked
    ///   against them (and against every kernel's loader) before `start` is written.
    static func run(
        _ steps: [PlanStep], kernel: KernelFiles, device: String, name: String, memory: [MemoryRegion]? = nil,
        onStep: (PlanStep) -> Void = { _ in }
    ) -> ExecutionReport {
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
            if case .firmware(let firmware) = step.write, let problem = firmwareProblem(firmware, kernel: kernel, memory: memory, name: name) {
                report.error = problem
                break
            }
            if step.write == .state(.start), state == .offline, let current = try? kernel.read(.firmware, of: device),
                let problem = firmwareProblem(current, kernel: kernel, memory: memory, name: name)
            {
                report.error = problem
                break
            }
            onStep(step)
            let outcome: KernelWriteOutcome
            do {
                outcome = try kernel.perform(RprocSystem.KernelWrite(attribute: step.write.attribute, value: step.write.value), on: device)
            } catch let error as KernelWriteError {
                let refusal = DaemonError.kernel(error, processor: name)
                report.outcomes.append((step, .refused(error: refusal.message, stateAfter: error.stateAfter ?? state)))
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
            report.outcomes.append((step, .succeeded(stateAfter: after)))
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

    /// Why `firmware` would not boot, before the kernel is asked: `FirmwareNotFound` (listing
    /// where the kernel looks), or `FirmwareInvalid` naming the first finding that every kernel's
    /// loader (or the memory windows) would refuse. Nil when it looks bootable.
    static func firmwareProblem(_ firmware: String, kernel: KernelFiles, memory: [MemoryRegion]?, name: String) -> DaemonError? {
        let lookup: FirmwareLookup
        do {
            lookup = try kernel.lookUpFirmware(firmware)
        } catch {
            return DaemonError(.invalidArgs, "\(error)")
        }
        guard let found = lookup.found else {
            let places = lookup.placesLooked.map { "'\($0)'" }.joined(separator: ", ")
            return DaemonError(
                .firmwareNotFound,
                "Firmware '\(firmware)' is not in the kernel's search path (looked in \(places)); install it there or pass another name.")
        }
        let bytes: [UInt8]
        do {
            bytes = try kernel.readFirmware(found)
        } catch {
            return DaemonError(.firmwareNotFound, "Failed to read firmware '\(found.path)': \(error).")
        }
        let report = FirmwareCheck.check(bytes, options: CheckOptions(memory: memory))
        let everyKernel = Set(KernelProfile.all)
        guard let fatal = report.errors.first(where: { Set($0.refusedBy).isSuperset(of: everyKernel) }) else { return nil }
        return DaemonError(
            .firmwareInvalid,
            "Firmware '\(firmware)' would not boot on '\(name)': \(fatal.message) (\(fatal.code)); 'rprocctl inspect \(found.path)' shows every finding.")
    }
}
