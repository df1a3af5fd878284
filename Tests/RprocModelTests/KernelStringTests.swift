import Testing
@testable import RprocModel

/// Whether `text` is refused: no value, or (for `ProcessorState`) a value outside the table.
func refused<T: KernelString>(_ type: T.Type, _ text: String) -> Bool {
    guard let value = T(sysfs: text) else { return true }
    return !T.table.contains { $0.0 == value }
}

/// Checks one table: every entry round-trips, strings are unique, a trailing newline is accepted.
func checkTable<T: KernelString>(_ type: T.Type, expected: [String]) {
    #expect(T.table.map(\.1) == expected)
    #expect(Set(T.table.map(\.1)).count == T.table.count, "duplicate string in \(T.self)")
    #expect(Set(T.table.map(\.0)).count == T.table.count, "duplicate case in \(T.self)")
    for (value, string) in T.table {
        #expect(value.sysfsValue == string)
        #expect(T(sysfs: string) == value)
        #expect(T(sysfs: string + "\n") == value)
        #expect(refused(T.self, string + "\n\n"))
        #expect(refused(T.self, " " + string))
        #expect(value.description == string)
    }
    #expect(refused(T.self, ""))
    #expect(refused(T.self, "no such string"))
}

@Suite struct KernelStringTests {
    @Test func tables() {
        checkTable(ProcessorState.self, expected: [
            "offline", "suspended", "running", "crashed", "deleted", "attached", "detached", "invalid",
        ])
        checkTable(RecoveryMode.self, expected: ["enabled", "disabled"])
        checkTable(RecoveryCommand.self, expected: ["enabled", "disabled", "recover"])
        checkTable(CoredumpMode.self, expected: ["disabled", "enabled", "inline"])
        checkTable(StateCommand.self, expected: ["start", "stop", "detach"])
        checkTable(Attribute.self, expected: ["name", "firmware", "state", "recovery", "coredump"])
        checkTable(CrashType.self, expected: ["mmufault", "watchdog", "fatal error", "unknown"])
        checkTable(Job.self, expected: [
            "idle", "starting", "stopping", "detaching", "attaching", "recovering", "failed",
        ])
        checkTable(ProcessorResult.self, expected: [
            "success", "crash", "start-limit-hit", "fallback", "timeout", "rolled-back", "kernel-refused",
        ])
        checkTable(Condition.self, expected: ["stuck-after-failed-recovery", "held-by-other-user"])
        checkTable(Operation.self, expected: [
            "start", "stop", "restart", "detach", "attach", "recover", "update", "rollback", "set-firmware",
            "reset-failed",
        ])
    }

    @Test func unknownStateIsKeptVerbatim() {
        #expect(ProcessorState(sysfs: "defunct\n") == .unrecognized("defunct"))
        #expect(ProcessorState(sysfs: "defunct").sysfsValue == "defunct")
        #expect(ProcessorState(sysfs: "Running\n") == .unrecognized("Running"))
        #expect(ProcessorState(sysfs: "running\n\n") == .unrecognized("running\n"))
        #expect(ProcessorState(sysfs: "") == .unrecognized(""))
        // An unrecognized string that happens to equal a known one is never produced by init.
        for (state, string) in ProcessorState.table {
            #expect(ProcessorState(sysfs: string) == state)
        }
    }

    @Test func stateProperties() {
        let start = ProcessorState.table.map(\.0).filter(\.acceptsStart)
        #expect(start == [.offline, .detached])
        #expect(ProcessorState.table.map(\.0).filter(\.isUp) == [.running, .attached])
        #expect(!ProcessorState.unrecognized("defunct").acceptsStart)
    }

    @Test func crashTypeNumbers() {
        #expect(CrashType(kernelNumber: 0) == .mmuFault)
        #expect(CrashType(kernelNumber: 1) == .watchdog)
        #expect(CrashType(kernelNumber: 2) == .fatalError)
        #expect(CrashType(kernelNumber: 7) == .unknown)
    }
}
