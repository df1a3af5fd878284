import Foundation
import Logging
import RprocTestSupport
import RprocEventLoop
import RprocModel
import SystemdIni
import Testing
@testable import RprocDaemon

typealias Operation = RprocModel.Operation

/// Carries loop-owned objects into closures posted to the loop; read them only there.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Records what the manager announces.
final class RecordingObserver: ManagerObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var events: [String] { lock.withLock { recorded } }
    private func add(_ event: String) { lock.withLock { recorded.append(event) } }

    func processorAdded(_ processor: ManagedProcessor) { add("added \(processor.device)") }
    func processorRemoved(_ processor: ManagedProcessor) { add("removed \(processor.device)") }
    func processorChanged(_ processor: ManagedProcessor) {}
    func stateChanged(_ processor: ManagedProcessor, old: String, new: String, reason: String) {
        add("state \(processor.device) \(old)->\(new) (\(reason))")
    }
    func crashed(_ processor: ManagedProcessor, type: String, count: UInt32) { add("crashed \(processor.device) #\(count)") }
    func recovered(_ processor: ManagedProcessor) { add("recovered \(processor.device)") }
    func failed(_ processor: ManagedProcessor, reason: String) { add("failed \(processor.device)") }
    func jobNew(id: UInt32, processor: ManagedProcessor, operation: Operation) { add("job-new \(id) \(operation)") }
    func jobRemoved(id: UInt32, processor: ManagedProcessor, operation: Operation, result: ProcessorResult, error: DaemonError?) {
        add("job-removed \(id) \(operation) \(result)" + (error.map { " \($0.name)" } ?? ""))
    }
}

/// A manager on its own loop thread, over a fake kernel.
final class ManagerHarness: @unchecked Sendable {
    let kernel: FakeKernel
    let loop: EventLoop
    let stateDirectory: String
    let observer = RecordingObserver()
    private var managerBox: Box<Manager?> = Box(nil)

    init(kernel: FakeKernel, stateDirectory: String? = nil) throws {
        self.kernel = kernel
        self.stateDirectory = stateDirectory ?? kernel.root + "/state"
        loop = try EventLoop.spawn(name: "test-loop")
        let discovered = DispatchSemaphore(value: 0)
        let box = managerBox
        let kernelFiles = kernel.kernelFiles
        let store = CounterStore(stateDirectory: self.stateDirectory)
        let observer = self.observer
        var configured = DaemonSettings()
        configured.pollIntervalMicroseconds = 3_600_000_000  // tests rescan explicitly
        let settings = configured
        loop.post { [loop] in
            let manager = try! Manager(loop: loop, kernel: kernelFiles, store: store, settings: settings, logger: Logger(label: "test"))
            manager.observer = observer
            box.value = manager
            manager.start { discovered.signal() }
        }
        discovered.wait()
    }

    deinit {
        let box = managerBox
        let done = DispatchSemaphore(value: 0)
        loop.post {
            box.value?.shutdown()
            box.value = nil
            done.signal()
        }
        done.wait()
        loop.exit()
        loop.join()
    }

    /// Runs `body` on the loop and returns its result.
    func onLoop<T>(_ body: @escaping @Sendable (Manager) -> T) -> T {
        let result = Box<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let box = managerBox
        loop.post {
            result.value = body(box.value!)
            done.signal()
        }
        done.wait()
        return result.value!
    }

    /// Enqueues and returns the immediate answer; `finished` is signalled with the final result.
    func enqueue(_ operation: Operation, _ target: String, _ argument: String = "", finished: Box<Result<Void, DaemonError>?>? = nil,
                 done: DispatchSemaphore? = nil) -> Result<UInt32, DaemonError> {
        onLoop { manager in
            manager.enqueue(operation, on: target, argument: argument) { result in
                finished?.value = result
                done?.signal()
            }.map(\.id)
        }
    }

    /// Enqueues and waits for the job to end.
    func run(_ operation: Operation, _ target: String, _ argument: String = "") -> Result<Void, DaemonError> {
        let finished = Box<Result<Void, DaemonError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        switch enqueue(operation, target, argument, finished: finished, done: done) {
        case .failure(let error): return .failure(error)
        case .success: break
        }
        done.wait()
        return onLoop { _ in finished.value! }
    }

    /// Rescans; the scan is applied when `rescan` returns (it runs on the loop).
    func rescan() {
        onLoop { manager in manager.rescan(reason: "test") }
    }

    func processor(_ device: String) -> (state: String, job: String, condition: String, boots: UInt32, crashes: UInt32, lastError: String) {
        onLoop { manager in
            let p = manager.processors[device]!
            return (p.state.sysfsValue, p.job.sysfsValue, p.condition?.sysfsValue ?? "", p.counters.boots, p.counters.crashes, p.counters.lastError)
        }
    }
}

extension Result {
    var error: Failure? { if case .failure(let e) = self { e } else { nil } }
}

@Suite struct ManagerTests {
    @Test func discoveryAdoptsEveryStateWithoutWriting() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4", state: "running")
        try kernel.add("remoteproc1", name: "dsp", parent: "40000000.dsp", state: "detached")
        try kernel.add("remoteproc2", name: "r5", parent: "50000000.r5", state: "crashed")
        let harness = try ManagerHarness(kernel: kernel)
        #expect(harness.onLoop { $0.order } == ["remoteproc0", "remoteproc1", "remoteproc2"])
        #expect(harness.processor("remoteproc0").state == "running")
        #expect(harness.processor("remoteproc1").state == "detached")
        #expect(harness.processor("remoteproc2").state == "crashed")
        #expect(harness.onLoop { $0.statusLine } == "3 processors, 1 running")
        #expect(kernel.attemptedWrites.isEmpty)
    }

    @Test func startFromOfflineWritesOneStart() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.installFirmware("fw.elf")
        let harness = try ManagerHarness(kernel: kernel)
        #expect(harness.run(.start, "m4").error == nil)
        #expect(kernel.attemptedWrites == ["remoteproc0/state=start"])
        let p = harness.processor("remoteproc0")
        #expect(p.state == "running")
        #expect(p.job == "idle")
        #expect(p.boots == 1)
        #expect(harness.observer.events.contains("state remoteproc0 offline->running (start)"))
        #expect(harness.observer.events.contains("job-removed 1 start success"))
        // Starting it again writes nothing: a second `start` would only raise the power count.
        #expect(harness.run(.start, "remoteproc0").error == nil)
        #expect(kernel.attemptedWrites == ["remoteproc0/state=start"])
        #expect(kernel.device("remoteproc0").power == 1)
    }

    @Test func startWithAnotherFirmwareWritesItFirst() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.installFirmware("other.elf")
        let harness = try ManagerHarness(kernel: kernel)
        #expect(harness.run(.start, "m4", "other.elf").error == nil)
        #expect(kernel.attemptedWrites == ["remoteproc0/firmware=other.elf", "remoteproc0/state=start"])
    }

    @Test func missingFirmwareIsRefusedBeforeTheKernelSeesIt() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        let harness = try ManagerHarness(kernel: kernel)
        let result = harness.run(.start, "m4")
        #expect(result.error?.name == .firmwareNotFound)
        #expect(result.error?.message.contains("/lib/firmware/fw.elf") == true)
        #expect(kernel.attemptedWrites.isEmpty)
        #expect(harness.processor("remoteproc0").lastError == result.error?.message)
    }

    @Test func firmwareTheKernelWouldRefuseIsInvalid() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.installFirmware("fw.elf", bytes: Array("not an ELF image at all".utf8))
        let harness = try ManagerHarness(kernel: kernel)
        let result = harness.run(.start, "m4")
        #expect(result.error?.name == .firmwareInvalid)
        #expect(result.error?.message.contains("'fw.elf'") == true)
        #expect(kernel.attemptedWrites.isEmpty)
    }

    @Test func firmwareOutsideTheConfiguredMemoryIsInvalid() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        // Loads at 0x10000000 with no carveout of its own: it must fit the processor's memory.
        var image = ElfBuilder.minimalRemoteproc()
        image.resourceTable?.entries.removeFirst()
        try kernel.installFirmware("fw.elf", bytes: image.build())
        let harness = try ManagerHarness(kernel: kernel)
        let inside = try Configuration.parse(files: [
            ConfigFile(path: "/etc/rprocd/processors.d/m4.rproc", text: "[Match]\nName=m4\n[Memory]\nWindow=0x10000000:0x100000\n"),
        ])
        harness.onLoop { $0.configuration = inside }
        #expect(harness.run(.start, "m4").error == nil)
        #expect(harness.run(.stop, "m4").error == nil)
        let outside = try Configuration.parse(files: [
            ConfigFile(path: "/etc/rprocd/processors.d/m4.rproc", text: "[Match]\nName=m4\n[Memory]\nWindow=0x20000000:0x1000\n"),
        ])
        harness.onLoop { $0.configuration = outside }
        let refused = harness.run(.start, "m4")
        #expect(refused.error?.name == .firmwareInvalid, "\(String(describing: refused.error))")
        #expect(kernel.attemptedWrites == ["remoteproc0/state=start", "remoteproc0/state=stop"])
    }

    @Test(arguments: [
        (Operation.stop, "offline", DaemonError.Name.notRunning),
        (.detach, "running", .invalidTransition),
        (.attach, "offline", .invalidTransition),
        (.recover, "running", .invalidTransition),
        (.setFirmware, "running", .invalidTransition),
        (.start, "crashed", .invalidTransition),
        (.stop, "detached", .invalidTransition),
    ])
    func impossibleOperationsAreRefusedWithoutWriting(operation: Operation, state: String, expected: DaemonError.Name) throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4", state: state)
        try kernel.installFirmware("fw.elf")
        let harness = try ManagerHarness(kernel: kernel)
        let result = harness.enqueue(operation, "m4", operation == .setFirmware ? "fw.elf" : "")
        #expect(result.error?.name == expected)
        #expect(result.error?.message.contains("'m4'") == true)
        #expect(kernel.attemptedWrites.isEmpty)
    }

    @Test(arguments: [
        (Operation.stop, "running", ["remoteproc0/state=stop"], "offline"),
        (.stop, "attached", ["remoteproc0/state=stop"], "offline"),
        (.detach, "attached", ["remoteproc0/state=detach"], "detached"),
        (.attach, "detached", ["remoteproc0/state=start"], "attached"),
        (.start, "detached", ["remoteproc0/state=start"], "attached"),
        (.recover, "crashed", ["remoteproc0/recovery=recover"], "running"),
        (.restart, "running", ["remoteproc0/state=stop", "remoteproc0/state=start"], "running"),
        (.setFirmware, "offline", ["remoteproc0/firmware=new.elf"], "offline"),
    ])
    func operationsWriteWhatTheContractSays(operation: Operation, state: String, writes: [String], after: String) throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4", state: state)
        try kernel.installFirmware("fw.elf")
        try kernel.installFirmware("new.elf")
        let harness = try ManagerHarness(kernel: kernel)
        #expect(harness.run(operation, "m4", operation == .setFirmware ? "new.elf" : "").error == nil)
        #expect(kernel.attemptedWrites == writes)
        #expect(harness.processor("remoteproc0").state == after)
    }

    @Test func secondCallWhileOneIsInFlightIsBusy() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.installFirmware("fw.elf")
        let harness = try ManagerHarness(kernel: kernel)
        kernel.holdStart()
        let finished = Box<Result<Void, DaemonError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        #expect(harness.enqueue(.start, "m4", finished: finished, done: done).error == nil)
        kernel.startEntered.wait()
        // The loop answers while the write blocks in the kernel.
        #expect(harness.processor("remoteproc0").job == "starting")
        let second = harness.enqueue(.start, "m4")
        #expect(second.error?.name == .busy)
        #expect(second.error?.message.contains("'start'") == true)
        #expect(harness.enqueue(.stop, "remoteproc0").error?.name == .busy)
        kernel.releaseStart()
        done.wait()
        #expect(kernel.attemptedWrites == ["remoteproc0/state=start"])
        #expect(kernel.device("remoteproc0").power == 1)
        // One stop brings it offline: the refcount stayed 1.
        #expect(harness.run(.stop, "m4").error == nil)
        #expect(kernel.device("remoteproc0").state == "offline")
    }

    @Test func stopThatLeavesItRunningNamesTheOtherUser() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4", state: "running", power: 2)
        let harness = try ManagerHarness(kernel: kernel)
        let result = harness.run(.stop, "m4")
        #expect(result.error?.name == .invalidTransition)
        #expect(result.error?.message.contains("another user") == true)
        #expect(harness.processor("remoteproc0").condition == "held-by-other-user")
        #expect(kernel.attemptedWrites == ["remoteproc0/state=stop"])
        // A restart stops, sees it still running, and never sends `start`.
        let restart = harness.run(.restart, "m4")
        #expect(restart.error != nil)
        #expect(!kernel.attemptedWrites.contains("remoteproc0/state=start"))
    }

    @Test func readOnlyDriverFilesAreReportedNotWritten() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4", state: "running", readOnly: true)
        let harness = try ManagerHarness(kernel: kernel)
        #expect(harness.enqueue(.stop, "m4").error?.name == .readOnly)
        #expect(kernel.attemptedWrites.isEmpty)
        #expect(harness.onLoop { $0.processors["remoteproc0"]!.isReadOnly })
    }

    @Test func kernelRefusalCarriesErrnoAndState() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.installFirmware("fw.elf")
        let harness = try ManagerHarness(kernel: kernel)
        // The firmware vanishes between rprocd's check and the kernel's load.
        try FileManager.default.removeItem(atPath: kernel.root + "/lib/firmware/fw.elf")
        try kernel.installFirmware("fw.elf")
        let finished = Box<Result<Void, DaemonError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        kernel.holdStart()
        _ = harness.enqueue(.start, "m4", finished: finished, done: done)
        kernel.startEntered.wait()
        try FileManager.default.removeItem(atPath: kernel.root + "/lib/firmware/fw.elf")
        kernel.releaseStart()
        done.wait()
        let error = try #require(harness.onLoop { _ in finished.value!.error })
        #expect(error.name == .kernelRefused)
        #expect(error.message.contains("ENOENT"))
        #expect(error.message.contains("'offline'"))
        #expect(error.message.contains("journalctl -k"))
        #expect(harness.onLoop { $0.processors["remoteproc0"]!.result } == .kernelRefused)
    }

    @Test func unknownAndAmbiguousNames() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "a.m4")
        try kernel.add("remoteproc1", name: "m4", parent: "b.m4")
        let harness = try ManagerHarness(kernel: kernel)
        let ambiguous = harness.enqueue(.start, "m4")
        #expect(ambiguous.error?.name == .noSuchProcessor)
        #expect(ambiguous.error?.message.contains("'remoteproc0', 'remoteproc1'") == true)
        #expect(harness.enqueue(.start, "m7").error?.name == .noSuchProcessor)
        #expect(harness.enqueue(.start, "remoteproc1", "../../etc/passwd").error?.name == .invalidArgs)
        #expect(harness.enqueue(.start, "remoteproc1", "a\nb").error?.name == .invalidArgs)
    }

    @Test func pollSeesCrashesAndHotplug() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4", state: "running")
        let harness = try ManagerHarness(kernel: kernel)
        try kernel.set("remoteproc0", state: "crashed")
        try kernel.add("remoteproc1", name: "dsp", parent: "40000000.dsp")
        harness.rescan()
        let p = harness.processor("remoteproc0")
        #expect(p.state == "crashed")
        #expect(p.crashes == 1)
        #expect(harness.observer.events.contains("added remoteproc1"))
        #expect(harness.observer.events.contains("state remoteproc0 running->crashed (crash)"))
        #expect(harness.observer.events.contains("crashed remoteproc0 #1"))
        // Recovery fails: the kernel leaves it offline with power 1 (contract §3.2). A `start`
        // returns success and does nothing; rprocd sees that and says so.
        try kernel.set("remoteproc0", state: "offline")
        harness.rescan()
        try kernel.installFirmware("fw.elf")
        let start = harness.run(.start, "m4")
        #expect(start.error?.name == .invalidTransition)
        #expect(start.error?.message.contains("stuck after a failed recovery") == true)
        #expect(harness.processor("remoteproc0").condition == "stuck-after-failed-recovery")
        // Now rprocd knows: the next start is refused without a write.
        #expect(harness.enqueue(.start, "m4").error?.name == .invalidTransition)
        #expect(kernel.attemptedWrites == ["remoteproc0/state=start"])
    }

    @Test func aCrashRecoveredBetweenTwoPollsIsCountedFromTheKernelLog() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4", state: "running")
        let harness = try ManagerHarness(kernel: kernel)
        // "crash detected in m4: type watchdog" … "remote processor m4 is now up"; polls only ever see running.
        harness.onLoop { manager in
            manager.noteCrash(device: "remoteproc0", type: .watchdog)
            manager.noteBoot(device: "remoteproc0")
        }
        harness.rescan()
        let p = harness.processor("remoteproc0")
        #expect(p.crashes == 1)
        #expect(p.boots == 1)
        #expect(harness.onLoop { $0.processors["remoteproc0"]!.counters.lastCrashType } == "watchdog")
        #expect(harness.observer.events.contains("recovered remoteproc0"))
        #expect(kernel.attemptedWrites.isEmpty)
    }

    @Test func countersSurviveARestartOfTheDaemon() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.installFirmware("fw.elf")
        do {
            let harness = try ManagerHarness(kernel: kernel)
            #expect(harness.run(.start, "m4").error == nil)
            try kernel.set("remoteproc0", state: "crashed")
            harness.rescan()
            #expect(harness.processor("remoteproc0").crashes == 1)
        }
        let again = try ManagerHarness(kernel: kernel)
        let p = again.processor("remoteproc0")
        #expect(p.boots == 1)
        #expect(p.crashes == 1)
        #expect(p.state == "crashed")
    }
}
