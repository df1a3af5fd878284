import Testing
@testable import RprocModel

let allStates: [ProcessorState] = ProcessorState.table.map(\.0) + [.unrecognized("defunct")]
let allJobs: [Job] = Job.table.map(\.0)
let allOperations: [Operation] = Operation.table.map(\.0)

/// A plan as text: `state←stop[recovery←recover, state←stop], state←start`; a refusal as its
/// error name.
func render(_ result: Result<Plan, TransitionRefusal>) -> String {
    switch result {
    case .failure(let refusal): return refusal.errorName
    case .success(let plan): return render(plan.steps)
    }
}

func render(_ steps: [PlanStep]) -> String {
    steps.map { step in
        var s = "\(step.write.attribute.sysfsValue)←\(step.write.value)"
        if case .fallback(let alt) = step.onRefusal { s += "[\(render(alt))]" }
        return s
    }.joined(separator: ", ")
}

let facts = ProcessorFacts(flavour: .unknown, readOnly: false, kernelFirmware: "fw.elf", canDetach: nil)

/// Expected plans with job `idle`, no firmware argument, unknown flavour, kernel firmware `fw.elf`.
/// Rows: state; columns: start, stop, restart, detach, attach, recover, update, rollback,
/// set-firmware, reset-failed.
let expectedWithoutFirmware: [ProcessorState: [String]] = {
    let stopCrashed = "state←stop[recovery←recover, state←stop]"
    let unusable = Array(repeating: "InvalidTransition", count: 9) + [""]
    return [
        .offline: ["state←start", "NotRunning", "state←start", "NotRunning", "InvalidTransition", "NotRunning",
                   "NotConfigured", "NotConfigured", "NotConfigured", ""],
        .running: ["", "state←stop", "state←stop, state←start", "InvalidTransition", "InvalidTransition",
                   "InvalidTransition", "NotConfigured", "NotConfigured", "NotConfigured", ""],
        .crashed: ["InvalidTransition", stopCrashed, "\(stopCrashed), state←start", "InvalidTransition",
                   "InvalidTransition", "recovery←recover", "NotConfigured", "NotConfigured", "NotConfigured", ""],
        .attached: ["", "state←stop", "NotConfigured", "state←detach", "", "InvalidTransition",
                    "NotConfigured", "NotConfigured", "NotConfigured", ""],
        .detached: ["state←start", "InvalidTransition", "InvalidTransition", "", "state←start", "NotRunning",
                    "NotConfigured", "NotConfigured", "NotConfigured", ""],
        .suspended: unusable, .deleted: unusable, .invalid: unusable, .unrecognized("defunct"): unusable,
    ]
}()

/// The same with the firmware argument `new.elf`.
let expectedWithFirmware: [ProcessorState: [String]] = {
    let stopCrashed = "state←stop[recovery←recover, state←stop]"
    let boot = "firmware←new.elf, state←start"
    let unusable = Array(repeating: "InvalidTransition", count: 9) + [""]
    return [
        .offline: [boot, "NotRunning", boot, "NotRunning", "InvalidTransition", "NotRunning", boot, boot, "firmware←new.elf", ""],
        .running: ["InvalidTransition", "state←stop", "state←stop, \(boot)", "InvalidTransition", "InvalidTransition",
                   "InvalidTransition", "state←stop, \(boot)", "state←stop, \(boot)", "InvalidTransition", ""],
        .crashed: ["InvalidTransition", stopCrashed, "\(stopCrashed), \(boot)", "InvalidTransition", "InvalidTransition",
                   "recovery←recover", "\(stopCrashed), \(boot)", "\(stopCrashed), \(boot)", "InvalidTransition", ""],
        .attached: ["InvalidTransition", "state←stop", "state←stop, \(boot)", "state←detach", "", "InvalidTransition",
                    "state←stop, \(boot)", "state←stop, \(boot)", "InvalidTransition", ""],
        .detached: ["InvalidTransition", "InvalidTransition", "InvalidTransition", "", "state←start", "NotRunning",
                    "InvalidTransition", "InvalidTransition", "InvalidTransition", ""],
        .suspended: unusable, .deleted: unusable, .invalid: unusable, .unrecognized("defunct"): unusable,
    ]
}()

/// Operations refused while `failed` (they would boot the processor).
let refusedWhileFailed: Set<Operation> = [.start, .restart, .attach, .recover, .update, .rollback]

struct MatrixCase: CustomTestStringConvertible, Sendable {
    let state: ProcessorState
    let job: Job
    let operation: Operation
    let firmware: String?
    var testDescription: String { "\(state) × \(job) × \(operation) firmware=\(firmware ?? "-")" }
}

let matrix: [MatrixCase] = allStates.flatMap { state in
    allJobs.flatMap { job in
        allOperations.flatMap { op in [nil, "new.elf"].map { MatrixCase(state: state, job: job, operation: op, firmware: $0) } }
    }
}

/// Checks the rules every plan obeys, whatever its inputs.
func checkInvariants(_ plan: Plan, from state: ProcessorState) {
    if let first = plan.steps.first {
        #expect(first.requires.contains(state), "first step must accept the current state")
    }
    for step in plan.allSteps {
        if step.write == .state(.start) {
            #expect(step.requires.allSatisfy { $0 == .offline || $0 == .detached },
                    "'start' planned from \(step.requires) (power refcount, contract §2.2)")
            #expect(step.requires.allSatisfy { $0.acceptsStart })
        }
        if case .firmware = step.write { #expect(step.requires == [.offline], "firmware changes only when offline") }
        if step.write == .recovery(.recover) { #expect(step.requires == [.crashed]) }
    }
    // Each step's preconditions are met by the state the previous one leaves.
    for (a, b) in zip(plan.steps, plan.steps.dropFirst()) {
        #expect(!Set(a.expected).isDisjoint(with: b.requires), "\(a.write) leaves \(a.expected), \(b.write) needs \(b.requires)")
    }
    // A fallback starts where its step started and ends where the next step begins.
    func checkFallback(_ steps: [PlanStep]) {
        for (i, step) in steps.enumerated() {
            if case .fallback(let alt) = step.onRefusal {
                #expect(alt.first.map { $0.requires.contains(where: step.requires.contains) } ?? false)
                if i + 1 < steps.count, let last = alt.last {
                    #expect(!Set(last.expected).isDisjoint(with: steps[i + 1].requires))
                }
                checkFallback(alt)
            }
        }
    }
    checkFallback(plan.steps)
}

@Suite struct PlanningMatrixTests {
    @Test(arguments: matrix)
    func everyStateJobOperation(_ c: MatrixCase) {
        let result = Planner.plan(c.operation, firmware: c.firmware, state: c.state, job: c.job, inFlight: .start, facts: facts)
        let table = c.firmware == nil ? expectedWithoutFirmware : expectedWithFirmware
        let column = allOperations.firstIndex(of: c.operation)!
        let expected: String
        if ![.idle, .failed].contains(c.job) {
            expected = "Busy"
        } else if c.job == .failed, refusedWhileFailed.contains(c.operation) {
            expected = "Failed"
        } else {
            expected = table[c.state]![column]
        }
        #expect(render(result) == expected)
        if case .success(let plan) = result {
            #expect(plan.operation == c.operation)
            checkInvariants(plan, from: c.state)
        }
        // Read-only files refuse every plan that writes, and nothing else changes.
        var ro = facts
        ro.readOnly = true
        let roResult = Planner.plan(c.operation, firmware: c.firmware, state: c.state, job: c.job, facts: ro)
        if case .success(let plan) = result, !plan.isEmpty {
            #expect(render(roResult) == "ReadOnly")
        } else {
            #expect(render(roResult) == expected)
        }
    }

    @Test(arguments: [KernelFlavour.classic, .new, .unknown])
    func flavoursForEveryCase(_ flavour: KernelFlavour) {
        for c in matrix {
            var f = facts
            f.flavour = flavour
            if case .success(let plan) = Planner.plan(c.operation, firmware: c.firmware, state: c.state, job: c.job, facts: f) {
                checkInvariants(plan, from: c.state)
            }
        }
    }

    @Test func stopWhileCrashedDependsOnFlavour() {
        func stop(_ flavour: KernelFlavour) -> String {
            render(Planner.plan(.stop, state: .crashed, job: .idle, facts: ProcessorFacts(flavour: flavour)))
        }
        #expect(stop(.new) == "state←stop")
        #expect(stop(.classic) == "recovery←recover, state←stop")
        #expect(stop(.unknown) == "state←stop[recovery←recover, state←stop]")
    }

    @Test func busyNamesTheJobInFlight() {
        let result = Planner.plan(.stop, state: .offline, job: .starting, inFlight: .start, facts: facts)
        #expect(result == .failure(.busy(state: .offline, operation: .stop, job: .starting, inFlight: .start)))
        #expect(render(result) == "Busy")
        if case .failure(let refusal) = result {
            #expect(refusal.description == "Cannot 'stop': 'start' (starting) is in flight on this processor; wait for it to finish.")
        }
    }

    @Test func startWithoutAnyFirmwareIsNotConfigured() {
        let result = Planner.plan(.start, state: .offline, job: .idle, facts: ProcessorFacts(kernelFirmware: nil))
        #expect(result == .failure(.notConfigured(state: .offline, operation: .start)))
    }

    @Test func sameFirmwareIsNotWrittenAgain() {
        #expect(render(Planner.plan(.start, firmware: "fw.elf", state: .offline, job: .idle, facts: facts)) == "state←start")
        #expect(render(Planner.plan(.setFirmware, firmware: "fw.elf", state: .offline, job: .idle, facts: facts)) == "")
        #expect(render(Planner.plan(.start, firmware: "fw.elf", state: .running, job: .idle, facts: facts)) == "")
    }

    @Test func stuckProcessorIsNotBooted() {
        var f = facts
        f.condition = .stuckAfterFailedRecovery
        for state in [ProcessorState.offline, .detached] {
            for op in allOperations {
                let result = Planner.plan(op, firmware: "n.elf", state: state, job: .idle, facts: f)
                if refusedWhileFailed.contains(op) {
                    #expect(render(result) == "InvalidTransition", "\(op) on stuck \(state)")
                } else {
                    #expect(render(result) == render(Planner.plan(op, firmware: "n.elf", state: state, job: .idle, facts: facts)))
                }
            }
        }
        // Once it runs again (the condition clears), it plans as usual.
        #expect(render(Planner.plan(.stop, state: .running, job: .idle, facts: f)) == "state←stop")
    }

    @Test func detachNeedsTheDriver() {
        var f = facts
        f.canDetach = false
        #expect(render(Planner.plan(.detach, state: .attached, job: .idle, facts: f)) == "InvalidTransition")
    }

    @Test func refusalsNameStateAndReason() {
        guard case .failure(let refusal) = Planner.plan(.setFirmware, firmware: "x.elf", state: .running, job: .idle, facts: facts)
        else { Issue.record("expected a refusal"); return }
        #expect(refusal.state == .running)
        #expect(refusal.operation == .setFirmware)
        #expect(refusal.description.hasPrefix("Cannot 'set-firmware' a processor that is 'running': "))
        #expect(refusal.description.contains("EBUSY"))
    }

    @Test func stepRecourses() throws {
        let start = try Planner.plan(.start, state: .offline, job: .idle, facts: facts).get().steps[0]
        #expect(start.job == .starting)
        #expect(start.recourse(after: .running) == nil)
        #expect(start.recourse(after: .offline) == .condition(.stuckAfterFailedRecovery))
        #expect(start.recourse(after: .crashed) == .fail)
        let stop = try Planner.plan(.stop, state: .running, job: .idle, facts: facts).get().steps[0]
        #expect(stop.recourse(after: .offline) == nil)
        #expect(stop.recourse(after: .running) == .condition(.heldByOtherUser))
        let recover = try Planner.plan(.recover, state: .crashed, job: .idle, facts: facts).get().steps[0]
        #expect(recover.job == .recovering)
        #expect(recover.recourse(after: .attached) == nil)
        #expect(recover.recourse(after: .offline) == .condition(.stuckAfterFailedRecovery))
        let attach = try Planner.plan(.attach, state: .detached, job: .idle, facts: facts).get().steps[0]
        #expect(attach.job == .attaching)
        #expect(attach.expected == [.attached])
        let restart = try Planner.plan(.restart, firmware: "n.elf", state: .running, job: .idle, facts: facts).get().steps
        #expect(restart.map(\.job) == [.stopping, .starting, .starting])
    }

    @Test func settingsWrites() {
        let steps = Planner.settings(recovery: .disabled, coredump: .inline, current: (.enabled, .disabled), state: .running)
        #expect(render(steps) == "recovery←disabled, coredump←inline")
        #expect(steps.allSatisfy { $0.expected == [.running] && $0.job == .idle })
        // Already set: nothing to write.
        #expect(Planner.settings(recovery: .disabled, coredump: .inline, current: (.disabled, .inline), state: .running).isEmpty)
        // coredump is EBUSY while crashed; enabling recovery while crashed recovers.
        let crashed = Planner.settings(recovery: .enabled, coredump: .enabled, current: (.disabled, .disabled), state: .crashed)
        #expect(render(crashed) == "recovery←enabled")
        #expect(crashed[0].job == .recovering)
        #expect(crashed[0].recourse(after: .offline) == .condition(.stuckAfterFailedRecovery))
    }

    @Test func kernelWriteText() {
        #expect(KernelWrite.state(.start).description == "state ← start")
        #expect(KernelWrite.firmware("a.elf").attribute == .firmware)
        #expect(KernelWrite.coredump(.inline).value == "inline")
        #expect(KernelWrite.recovery(.disable).value == "disabled")
    }

    @Test func flavourDetection() {
        #expect(KernelFlavour.unknown.refined(bySeeing: .deleted) == .classic)
        #expect(KernelFlavour.unknown.refined(bySeeing: .crashed) == .unknown)
        #expect(KernelFlavour.new.refined(bySeeing: .running) == .new)
    }
}
