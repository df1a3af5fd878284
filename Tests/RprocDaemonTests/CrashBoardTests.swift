import Foundation
import Glibc
import RprocModel
import RprocSystem
import RprocTestSupport
import Testing
@testable import RprocDaemon

/// The crash watchdog's pieces wired together as INTEGRATION in CrashWatch.swift says, on the
/// mounted lab board (the real `rproc-sim`), with crashes injected through debugfs `crash`
/// exactly as on a board. The manager's part (the event loop, the worker) is played by this
/// harness, synchronously.
final class CrashBoardHarness: RestartDriverDelegate {
    let board: MountedBoard
    let kernel: KernelFiles
    let device = "remoteproc0"
    let kmsg: KmsgReader
    var detector: CrashDetector
    var driver: RestartDriver!
    let timer = FakeRestartTimer()
    let collector: CoredumpCollector
    let store: CoredumpStore
    let stateDirectory: String
    var trace: TraceFollower
    var logTail = KernelLogTail()
    var crashEvents: [CrashEvent] = []
    var recoveries: [Bool] = []
    var signals: [CrashSignal] = []
    var forwarded: [String] = []
    var requests: [RestartRequest] = []
    /// The kernel writes the policy's plans made.
    var writes: [String] = []
    let flavour: KernelFlavour

    /// - Parameters:
    ///   - flavour: `CLASSIC` runs the lab board with `Flavour=CLASSIC` (stop on crashed is EINVAL).
    init(
        owner: RecoveryOwner, coredump: CoredumpMode?, flavour: KernelFlavour = .new,
        _ configure: (inout RestartSettings) -> Void = { _ in }
    ) throws {
        self.flavour = flavour
        let boardFile = try CrashDaemon.boardFile(flavour)
        defer { if flavour == .classic { try? FileManager.default.removeItem(atPath: boardFile) } }
        let image = ElfBuilder.minimalRemoteproc().build()
        board = try MountedBoard(board: boardFile, firmware: ["m4.elf": image, "safe.elf": image])
        kernel = KernelFiles(root: board.mountPoint)
        kmsg = try KmsgReader(kernel: kernel, start: .afterLastRecord)
        stateDirectory = "/dev/shm/rprocd-crash-" + UUID().uuidString
        store = CoredumpStore(stateDirectory: stateDirectory)
        collector = CoredumpCollector(kernel: kernel, store: store, clock: { UInt64(Date().timeIntervalSince1970 * 1e6) })
        detector = CrashDetector(device: device, state: try kernel.state(of: device))
        trace = TraceFollower(device: device, adoptingExisting: false)
        var settings = RestartSettings()
        configure(&settings)
        driver = RestartDriver(device: device, owner: owner, settings: settings, timer: timer, clock: { UInt64(Date().timeIntervalSince1970 * 1e6) })
        driver.delegate = self
        // Taking the processor over: Owner= and Mode= through the write path.
        let steps = CrashSettings.startSteps(
            owner: owner, coredump: coredump,
            current: (try kernel.read(.recovery, of: device), try kernel.read(.coredump, of: device)), state: detector.state)
        for step in steps { try write(step.write) }
    }

    deinit { try? FileManager.default.removeItem(atPath: stateDirectory) }

    func write(_ write: RprocModel.KernelWrite) throws {
        _ = try kernel.perform(write, on: device)
    }

    func now() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1e6) }

    func handle(_ detections: [CrashDetection]) {
        for detection in detections {
            switch detection {
            case .crashed(let event): crashEvents.append(event)
            case .recovered(_, let byKernel): recoveries.append(byKernel)
            case .typeLearned: break
            }
            driver.handle(detection)
        }
    }

    /// What the manager's kernel-log watcher and poll do: drain the log, then sample `state`.
    func pump() throws {
        while case let step = try kmsg.next(), step != .noMoreForNow {
            guard case .record(let record) = step, let line = RemoteprocLogLine(record), line.device == device else { continue }
            logTail.append(device: device, record.text)
            handle(detector.kernelLog(line.event, at: now()))
        }
        handle(detector.observe(state: try kernel.state(of: device), at: now()))
    }

    /// Pumps until `condition` holds (waiting for the board, not measuring time); false after ~10 s.
    func pump(until condition: () -> Bool) throws -> Bool {
        for _ in 0..<5000 {
            try pump()
            if condition() { return true }
            usleep(2000)
        }
        return false
    }

    func collect() -> CoredumpCollection {
        let context = CoredumpContext(
            device: device, name: "m4", firmware: (try? kernel.firmware(of: device)) ?? "", crashType: driver.lastCrashType,
            crashCount: detector.crashCount, bootCount: 0, kernelLog: logTail.lines(of: device), trace: trace.tail.lines,
            retention: CoredumpRetention(maxFiles: 3))
        let report = collector.collect([device: context])
        for _ in report.collected { handle(detector.devcoredumpAppeared(at: now())) }
        return report
    }

    func followTrace() {
        forwarded += trace.ingest(TraceFollower.read(kernel, device: device), at: now()).forward.map(\.text)
    }

    func start() throws {
        detector.jobStarted(.start)
        try write(.state(.start))
        handle(detector.jobFinished(state: try kernel.state(of: device), at: now()))
        driver.userStarted()
    }

    func crash(_ type: Int) throws {
        _ = try kernel.operations.writeOnce(kernel.path("sys/kernel/debug/remoteproc/\(device)/crash"), Array("\(type)".utf8))
    }

    // MARK: RestartDriverDelegate: the manager's write path, synchronously.

    func restartDriverState(_ driver: RestartDriver) -> ProcessorState { detector.state }

    func restartDriver(_ driver: RestartDriver, perform request: RestartRequest, completion: @escaping (RestartOutcome) -> Void) {
        detector.jobStarted(request.operation)
        requests.append(request)
        // The manager's write path: plan with RprocModel's Planner, run with the daemon's Executor.
        let state = (try? kernel.state(of: device)) ?? .offline
        let facts = ProcessorFacts(flavour: flavour, kernelFirmware: try? kernel.firmware(of: device))
        switch Planner.plan(request.operation, firmware: request.firmware, state: state, job: .idle, facts: facts) {
        case .failure(let refusal):
            completion(.failed(error: "\(refusal)", state: state))
        case .success(let plan):
            let report = Executor.run(plan.steps, kernel: kernel, device: device, name: "m4")
            writes += report.completed.map(\.description)
            let after = (try? kernel.state(of: device)) ?? .offline
            handle(detector.jobFinished(state: after, at: now()))
            if let error = report.error { completion(.failed(error: error.message, state: after)) } else { completion(.succeeded(state: after)) }
        }
    }

    func restartDriver(_ driver: RestartDriver, announce signal: CrashSignal) { signals.append(signal) }
    func restartDriverChanged(_ driver: RestartDriver) {}
}

/// Counts of a process's open descriptors and resident memory, from /proc (this one by default).
func processResources(_ pid: String = "self") -> (fds: Int, rssKiB: Int) {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? -1
    return (fds, rss)
}

@Suite(.enabled(if: MountedBoard.available, "needs /dev/fuse and the rproc-sim binary"), .serialized)
struct CrashBoardTests {
    @Test func aCrashIsNoticedDumpedReleasedAndRecovered() throws {
        let h = try CrashBoardHarness(owner: .rprocd, coredump: .enabled) { $0.restartSec = .zero }
        #expect(try h.kernel.read(.recovery, of: h.device) == "disabled")
        #expect(try h.kernel.read(.coredump, of: h.device) == "enabled")
        try h.start()
        h.followTrace()
        h.followTrace()  // a last line without a newline counts once it stays unchanged
        #expect(h.forwarded == ["m4: hello from the simulated remote"])
        try h.crash(1)
        #expect(try h.pump { h.timer.armedAt != nil })
        #expect(h.crashEvents.map(\.type) == [.watchdog])
        #expect(h.crashEvents.first?.evidence == .kernelLog)
        #expect(try h.kernel.state(of: h.device) == .crashed)  // rprocd owns recovery: it stays crashed
        h.driver.timerFired()
        #expect(try h.kernel.state(of: h.device) == .running)
        let report = h.collect()
        #expect(report.problems == [])
        #expect(report.collected.count == 1)
        let entry = try #require(report.collected.first?.entry)
        let json = try h.store.describe(id: entry.id)
        #expect(json.contains("\"crashType\": \"watchdog\""))
        #expect(json.contains("crash detected in m4: type watchdog"))
        #expect(json.contains(SHA256.hex(of: ElfBuilder.minimalRemoteproc().build())))
        // The dump is gone from the kernel once released.
        #expect(try h.pump { (try? h.kernel.devcoredumps())?.isEmpty == true })
        #expect(h.crashEvents.count == 1)
        #expect(h.signals == [.crashed(type: "watchdog", count: 1), .recovered(restarts: 1)])
        // A clean exit hands recovery back to the kernel.
        for step in CrashSettings.exitSteps(owner: .rprocd, currentRecovery: try h.kernel.read(.recovery, of: h.device), state: .running) {
            try h.write(step.write)
        }
        #expect(try h.kernel.read(.recovery, of: h.device) == "enabled")
        // A stop makes the trace buffer vanish.
        try h.write(.state(.stop))
        #expect(h.trace.ingest(TraceFollower.read(h.kernel, device: h.device), at: h.now()).vanished == [0])
    }

    @Test func kernelOwnedRecoveryIsCountedFromTheLog() throws {
        let h = try CrashBoardHarness(owner: .kernel, coredump: nil)
        #expect(try h.kernel.read(.recovery, of: h.device) == "enabled")
        try h.start()
        try h.crash(2)
        #expect(try h.pump { !h.recoveries.isEmpty })
        #expect(h.crashEvents.map(\.type) == [.fatalError])
        #expect(h.recoveries == [true])
        #expect(h.timer.armings.isEmpty)  // the kernel recovered it, not rprocd
        #expect(h.signals == [.crashed(type: "fatal error", count: 1), .recovered(restarts: 0)])
        #expect(try h.kernel.state(of: h.device) == .running)
    }

    @Test func aCrashLoopEndsInFailed() throws {
        let h = try CrashBoardHarness(owner: .rprocd, coredump: nil) {
            $0.restartSec = .zero
            $0.startLimitBurst = 3
            $0.startLimitIntervalSec = .seconds(60)
            $0.failureAction = .stop
        }
        try h.start()
        for _ in 0..<4 {
            try h.crash(0)
            #expect(try h.pump { h.timer.armedAt != nil || h.driver.isFailed })
            h.driver.timerFired()
            h.timer.armedAt = nil
            #expect(try h.pump { h.detector.state != .crashed })
        }
        #expect(h.driver.isFailed)
        #expect(h.driver.result == .startLimitHit)
        #expect(try h.kernel.state(of: h.device) == .offline)  // FailureAction=stop (NEW kernels stop a crashed one)
        #expect(h.crashEvents.count == 4)
    }

    @Test(arguments: [KernelFlavour.new, .classic])
    func aCrashLoopBootsTheFallbackFirmwareOnce(flavour: KernelFlavour) throws {
        let h = try CrashBoardHarness(owner: .rprocd, coredump: nil, flavour: flavour) {
            $0.restartSec = .zero
            $0.startLimitBurst = 2
            $0.startLimitIntervalSec = .seconds(60)
            $0.fallbackFirmware = "safe.elf"
        }
        try h.start()
        for _ in 0..<3 {
            try h.crash(1)
            #expect(try h.pump { h.timer.armedAt != nil })
            h.timer.armedAt = nil
            h.driver.timerFired()
        }
        #expect(h.requests.map(\.reason) == [.policy(attempt: 1), .policy(attempt: 2), .fallback])
        #expect(try h.kernel.firmware(of: h.device) == "safe.elf")
        #expect(try h.kernel.state(of: h.device) == .running)
        #expect(h.driver.result == .fallback)
        #expect(h.driver.fallbackBooted == "safe.elf")
        // The switch needed the processor offline: on CLASSIC a crashed one is recovered first.
        let fallbackWrites = Array(h.writes.suffix(from: 2))
        if flavour == .classic {
            #expect(fallbackWrites == ["recovery ← recover", "state ← stop", "firmware ← safe.elf", "state ← start"])
        } else {
            #expect(fallbackWrites == ["state ← stop", "firmware ← safe.elf", "state ← start"])
        }
        #expect(h.crashEvents.count == 3)
    }

    @Test func anInlineDumpIsReleasedWhileTheRecoveryWaitsForIt() throws {
        let h = try CrashBoardHarness(owner: .rprocd, coredump: .inline) { $0.restartSec = .zero }
        try h.start()
        try h.crash(1)
        #expect(try h.pump { h.timer.armedAt != nil })
        // The processor's worker: `recovery ← recover` blocks until the dump is released.
        let kernel = h.kernel
        let finished = DispatchSemaphore(value: 0)
        let worker = Thread {
            _ = try? kernel.perform(KernelWrite.recover, on: "remoteproc0")
            finished.signal()
        }
        worker.start()
        // The coredump worker: collect until the dump is there, read and released.
        var collected = 0
        for _ in 0..<2000 where collected == 0 {
            collected = h.collect().collected.count
            if collected == 0 { usleep(2000) }
        }
        #expect(collected == 1)
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(try h.kernel.state(of: h.device) == .running)
        let entry = try #require(try h.store.list().first)
        #expect(entry.size > 52)  // at least an ELF header: read through the inline callback
    }

    @Test func aThousandCrashesNoneLostNoDescriptorOrMemoryGrowth() throws {
        let h = try CrashBoardHarness(owner: .rprocd, coredump: .enabled) {
            $0.restartSec = .zero
            $0.startLimitBurst = 0
        }
        try h.start()
        var baseline = processResources()
        let cycles = 1000
        for cycle in 0..<cycles {
            try h.crash(cycle % 3)
            guard try h.pump(until: { h.timer.armedAt != nil }) else {
                Issue.record("crash \(cycle + 1) not noticed")
                return
            }
            h.timer.armedAt = nil
            h.driver.timerFired()
            let report = h.collect()
            guard report.collected.count == 1, report.problems.isEmpty else {
                Issue.record("cycle \(cycle + 1): \(report.problems), \(report.collected.count) dumps")
                return
            }
            if cycle == 19 { baseline = processResources() }  // after warm-up
        }
        try h.pump()
        let after = processResources()
        #expect(h.crashEvents.count == cycles)
        #expect(h.crashEvents.map(\.missed).allSatisfy { $0 == 0 })
        #expect(h.detector.crashCount == UInt32(cycles))
        #expect(h.driver.restartCount == UInt32(cycles))
        #expect(try h.store.list().count == 3)  // MaxFiles=3
        #expect(try h.kernel.state(of: h.device) == .running)
        // One leaked descriptor or dump buffer per cycle would show as ~1000 fds or ~1000 × the dump size.
        // Other suites run in this process meanwhile, hence the margins.
        #expect(after.fds - baseline.fds < 50, "fds \(baseline.fds) → \(after.fds)")
        #expect(after.rssKiB - baseline.rssKiB < 32 * 1024, "VmRSS \(baseline.rssKiB) → \(after.rssKiB) KiB")
    }
}
