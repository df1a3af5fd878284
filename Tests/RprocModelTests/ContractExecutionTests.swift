import Testing
@testable import RprocModel

/// The kernel's compact model (docs/kernel-contract.md §2.8, §2.3, §3.2, §1.3), with the power
/// refcount the real kernel hides, to run plans against.
struct ContractKernel {
    var state: ProcessorState
    var power: Int
    var flavour: KernelFlavour
    var firmware = "fw.elf"
    /// The firmware file is missing: boots and recoveries fail (ENOENT).
    var bootFails = false
    var canDetach = true
    var recovery: RecoveryMode = .disabled
    var coredump: CoredumpMode = .disabled
    /// `start` writes made while the state was not offline/detached (must stay empty).
    var refcountBumps: [ProcessorState] = []
    var writes: [String] = []

    static let EINVAL: Int32 = 22, EBUSY: Int32 = 16, ENOENT: Int32 = 2

    /// One write(2): `nil` on success, else the errno.
    mutating func write(_ w: KernelWrite) -> Int32? {
        writes.append(w.description)
        switch w {
        case .firmware(let name):
            guard state == .offline else { return Self.EBUSY }
            firmware = name
            return nil
        case .coredump(let mode):
            guard state != .crashed else { return Self.EBUSY }
            coredump = mode
            return nil
        case .recovery(let command):
            if command == .disable { recovery = .disabled; return nil }
            if command == .enable { recovery = .enabled }
            triggerRecovery()
            return nil  // the result of a recovery is discarded (§1.3)
        case .state(.start):
            if !state.acceptsStart { refcountBumps.append(state) }
            power += 1
            if power > 1 { return nil }
            if state == .detached { state = .attached; return nil }
            if bootFails { power -= 1; return Self.ENOENT }
            state = .running
            return nil
        case .state(.stop):
            let allowed: Set<ProcessorState> = flavour == .new ? [.running, .attached, .crashed] : [.running, .attached]
            guard allowed.contains(state) else { return Self.EINVAL }
            power -= 1
            if power > 0 { return nil }
            state = .offline
            return nil
        case .state(.detach):
            guard state == .attached else { return Self.EINVAL }
            power -= 1
            if power > 0 { return nil }
            guard canDetach else { power += 1; return Self.EINVAL }
            state = .detached
            return nil
        }
    }

    mutating func triggerRecovery() {
        guard state == .crashed else { return }
        state = .offline
        if !bootFails { state = .running }  // a failure leaves it offline with power unchanged (stuck)
    }

    mutating func crash() {
        guard state != .offline, state != .crashed else { return }
        state = .crashed
        if recovery == .enabled { triggerRecovery() }
    }
}

/// Runs a plan the way the daemon does: read `state`, check `requires`, write, re-read, follow the
/// recourse.
func execute(_ plan: Plan, on kernel: inout ContractKernel, mirror: inout ProcessorMirror, at time: UInt64) -> ProcessorResult {
    _ = mirror.beginJob(plan.operation, job: plan.steps.first?.job ?? .idle)
    var steps = plan.steps[...]
    var result = ProcessorResult.success
    run: while let step = steps.popFirst() {
        guard step.requires.contains(kernel.state) else { result = .kernelRefused; break }
        _ = mirror.beginStep(step)
        let errno = kernel.write(step.write)
        let outcome: WriteOutcome = errno.map { .refused(error: "errno \($0)", stateAfter: kernel.state) }
            ?? .succeeded(stateAfter: kernel.state)
        switch mirror.finishStep(step, outcome: outcome, at: time).recourse {
        case nil: continue
        case .fallback(let alternative)?: steps = (alternative + steps)[...]
        case .fail?, .condition?:
            result = .kernelRefused
            break run
        }
    }
    _ = mirror.endJob(result: result)
    return result
}

struct Start: CustomTestStringConvertible, Sendable {
    let state: ProcessorState
    let power: Int
    let flavour: KernelFlavour
    let known: Bool
    var testDescription: String { "\(state) p=\(power) \(flavour)\(known ? "" : " (flavour unknown to rprocd)")" }
}

/// Every state rprocd can meet with its own refcount of 1 (or 0 when down), on both flavours,
/// with the flavour known or not.
let contractStarts: [Start] = [(ProcessorState.offline, 0), (.running, 1), (.crashed, 1), (.attached, 1), (.detached, 0)]
    .flatMap { s in [KernelFlavour.classic, .new].flatMap { f in [true, false].map { Start(state: s.0, power: s.1, flavour: f, known: $0) } } }

/// Where each operation must leave the processor.
let destination: [Operation: ProcessorState] = [
    .start: .running, .stop: .offline, .restart: .running, .detach: .detached, .attach: .attached, .recover: .running,
    .update: .running, .rollback: .running, .setFirmware: .offline,
]

@Suite struct ContractExecutionTests {
    @Test(arguments: contractStarts)
    func everyPlannedOperationReachesItsStateWithoutBumpingTheRefcount(_ start: Start) {
        for op in allOperations where op != .resetFailed {
            var kernel = ContractKernel(state: start.state, power: start.power, flavour: start.flavour)
            let facts = ProcessorFacts(flavour: start.known ? start.flavour : .unknown, kernelFirmware: kernel.firmware)
            guard case .success(let plan) = Planner.plan(op, firmware: "new.elf", state: kernel.state, job: .idle, facts: facts)
            else { continue }
            var mirror = ProcessorMirror(state: kernel.state, at: 0)
            let result = execute(plan, on: &kernel, mirror: &mirror, at: 1)
            #expect(result == .success, "\(op): \(kernel.writes)")
            #expect(kernel.refcountBumps.isEmpty, "\(op) wrote 'start' in \(kernel.refcountBumps)")
            #expect(kernel.power <= 1, "\(op): power \(kernel.power)")
            if !plan.isEmpty, let dest = destination[op] {
                // Attached processors restart into running; a start/attach of an attached one stays.
                #expect(kernel.state == dest || (dest == .running && kernel.state == .attached && op == .start),
                        "\(op) from \(start.state) ended \(kernel.state): \(kernel.writes)")
            }
            #expect(mirror.state == kernel.state)
            #expect(mirror.job == .idle)
            #expect(mirror.condition == nil)
            if [.start, .restart, .update, .rollback].contains(op), start.state != .attached, start.state != .detached {
                #expect(kernel.firmware == "new.elf")
            }
        }
    }

    @Test func stopOnAClassicKernelFallsBackToRecoverThenStop() {
        var kernel = ContractKernel(state: .crashed, power: 1, flavour: .classic)
        var mirror = ProcessorMirror(state: .crashed, at: 0)
        let plan = try! Planner.plan(.stop, state: .crashed, job: .idle, facts: ProcessorFacts(flavour: .unknown)).get()
        #expect(execute(plan, on: &kernel, mirror: &mirror, at: 1) == .success)
        #expect(kernel.writes == ["state ← stop", "recovery ← recover", "state ← stop"])
        #expect(kernel.state == .offline)
        #expect(kernel.power == 0)
    }

    @Test func anotherUserHoldingTheRefcountIsDetected() {
        var kernel = ContractKernel(state: .running, power: 2, flavour: .new)
        var mirror = ProcessorMirror(state: .running, at: 0)
        let plan = try! Planner.plan(.stop, state: .running, job: .idle, facts: ProcessorFacts(flavour: .new)).get()
        #expect(execute(plan, on: &kernel, mirror: &mirror, at: 1) == .kernelRefused)
        #expect(kernel.state == .running)
        #expect(mirror.condition == .heldByOtherUser)
        #expect(kernel.writes == ["state ← stop"])
    }

    @Test func failedRecoveryLeavesItStuckAndNoSecondStartIsSent() {
        var kernel = ContractKernel(state: .running, power: 1, flavour: .new)
        kernel.recovery = .enabled
        var mirror = ProcessorMirror(state: .running, at: 0)
        kernel.bootFails = true  // the firmware file vanished
        kernel.crash()
        #expect(kernel.state == .offline && kernel.power == 1)
        _ = mirror.noteCrash(type: .watchdog, at: 10)
        _ = mirror.observe(state: kernel.state, at: 20)
        _ = mirror.check(now: 10 + 30_000_000, recoveryGrace: 30_000_000)
        #expect(mirror.condition == .stuckAfterFailedRecovery)
        let refused = Planner.plan(.start, state: kernel.state, job: mirror.job,
                                   facts: ProcessorFacts(flavour: .new, kernelFirmware: "fw.elf", condition: mirror.condition))
        #expect(render(refused) == "InvalidTransition")
        // Without the condition known (e.g. just after a daemon restart), the start shows it.
        var fresh = ProcessorMirror(state: .offline, at: 0)
        kernel.bootFails = false
        let plan = try! Planner.plan(.start, state: .offline, job: .idle, facts: ProcessorFacts(kernelFirmware: "fw.elf")).get()
        #expect(execute(plan, on: &kernel, mirror: &fresh, at: 1) == .kernelRefused)
        #expect(fresh.condition == .stuckAfterFailedRecovery)
        #expect(kernel.writes == ["state ← start"])
        #expect(kernel.refcountBumps.isEmpty)
    }

    @Test func rprocdOwnedRecoveryThroughTheRecoveryFile() {
        var kernel = ContractKernel(state: .running, power: 1, flavour: .classic)
        var mirror = ProcessorMirror(state: .running, at: 0)
        for step in Planner.settings(recovery: .disabled, coredump: .enabled, current: (.enabled, .disabled), state: .running) {
            #expect(kernel.write(step.write) == nil)
        }
        kernel.crash()
        #expect(kernel.state == .crashed)
        #expect(mirror.observe(state: .crashed, at: 5).contains(.crashed(type: nil, count: 1)))
        let plan = try! Planner.plan(.recover, state: .crashed, job: .idle, facts: ProcessorFacts(flavour: .classic)).get()
        #expect(execute(plan, on: &kernel, mirror: &mirror, at: 6) == .success)
        #expect(kernel.state == .running)
        #expect(mirror.bootCount == 1)
        #expect(mirror.crashCount == 1)
    }
}
