import Foundation
import Glibc
import RprocBus
import RprocEventLoop
import RprocModel
import RprocSystem
import RprocTestSupport
import SystemdIni
import Testing
@testable import RprocDaemon

/// The CrashWatch facade on a real event loop over the mounted lab board, with a host that plays
/// the manager: policy operations planned and run on a worker with the daemon's Executor.
final class CrashWatchHarness: CrashWatchHost, @unchecked Sendable {
    let board: MountedBoard
    let kernel: KernelFiles
    let loop: EventLoop
    let stateDirectory: String
    var watch: CrashWatch!
    var worker: SerialWorker!
    private let lock = NSLock()
    private var recorded: [String] = []
    var events: [String] { lock.withLock { recorded } }
    func record(_ event: String) { lock.withLock { recorded.append(event) } }

    init(config: String) throws {
        board = try MountedBoard(board: "lab", firmware: ["m4.elf": ElfBuilder.minimalRemoteproc().build()])
        kernel = KernelFiles(root: board.mountPoint)
        stateDirectory = "/dev/shm/rprocd-watch-" + UUID().uuidString
        loop = try EventLoop.spawn(name: "crash-watch-test")
        let parsed = try Configuration.parse(files: [ConfigFile(path: "/etc/rprocd/processors.d/m4.rproc", contents: .text(config))])
        let processor = parsed.processors.first
        try onLoop {
            self.worker = try SerialWorker(name: "rproc-rp0", loop: self.loop)
            self.watch = try CrashWatch(loop: self.loop, kernel: self.kernel, stateDirectory: self.stateDirectory)
            self.watch.host = self
            let steps = self.watch.adopt(
                device: "remoteproc0", name: "m4", state: try self.kernel.state(of: "remoteproc0"),
                recovery: try self.kernel.read(.recovery, of: "remoteproc0"), coredump: try self.kernel.read(.coredump, of: "remoteproc0"),
                config: processor)
            let report = Executor.run(steps, kernel: self.kernel, device: "remoteproc0", name: "m4")
            if let error = report.error { throw error }
        }
    }

    /// Ends the loop and unmounts the board. Explicit: closures the loop still holds keep the
    /// harness alive, so a deinit would not run in time.
    func close() {
        try? onLoop {
            self.watch.shutdown()
            self.worker.shutdown()
            self.watch = nil  // loop-owned: released on the loop
        }
        loop.exit(0)
        loop.join()
        board.stop()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    func onLoop<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<T, any Error>?
        nonisolated(unsafe) let work = body
        loop.post {
            result = Result { try work() }
            done.signal()
        }
        done.wait()
        return try result!.get()
    }

    /// Waits for the board or the loop (not a time measurement); false after ~10 s.
    func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<5000 {
            if try condition() { return true }
            usleep(2000)
        }
        return false
    }

    // MARK: CrashWatchHost

    func crashWatch(perform request: RestartRequest, on device: String, completion: @escaping (RestartOutcome) -> Void) {
        record("perform \(request.operation.sysfsValue)")
        let kernel = self.kernel
        let state = (try? kernel.state(of: device)) ?? .offline
        guard case .success(let plan) = Planner.plan(
            request.operation, firmware: request.firmware, state: state, job: .idle, facts: ProcessorFacts(flavour: .new))
        else { return completion(.failed(error: "refused", state: state)) }
        let steps = plan.steps
        nonisolated(unsafe) let done = completion
        worker.submit({ () -> RestartOutcome in
            let report = Executor.run(steps, kernel: kernel, device: device, name: "m4")
            let after = (try? kernel.state(of: device)) ?? .offline
            return report.error.map { .failed(error: $0.message, state: after) } ?? .succeeded(state: after)
        }) { outcome in done(outcome) }
    }

    func crashWatchState(of device: String) -> ProcessorState { (try? kernel.state(of: device)) ?? .offline }
    func crashWatch(announce signal: CrashSignal, on device: String) { record("signal \(signal)") }
    func crashWatch(traceLines: [TraceLine], on device: String) { traceLines.forEach { record("trace \($0.text)") } }
    func crashWatch(stored entry: CoredumpEntry, pruned: [String]) { record("stored \(entry.crashType)") }
    func crashWatch(problem: String) { record("problem \(problem)") }
    func crashWatchChanged(_ device: String) {}
}

@Suite(.enabled(if: MountedBoard.available, "needs /dev/fuse and the rproc-sim binary"), .serialized)
struct CrashWatchTests {
    @Test func aCrashWithAnInlineDumpIsRecoveredWithItsDumpTakenMeanwhile() throws {
        let h = try CrashWatchHarness(config: """
            [Match]
            Name=m4
            [Recovery]
            Owner=rprocd
            RestartSec=0
            [Coredump]
            Mode=inline
            MaxFiles=2
            """)
        defer { h.close() }
        #expect(try h.kernel.read(.recovery, of: "remoteproc0") == "disabled")
        #expect(try h.kernel.read(.coredump, of: "remoteproc0") == "inline")
        _ = try h.kernel.perform(.start, on: "remoteproc0")
        try h.onLoop { h.watch.poll() }
        try h.onLoop { h.watch.poll() }
        #expect(h.eventually { h.events.contains("trace m4: hello from the simulated remote") })
        _ = try h.kernel.operations.writeOnce(h.kernel.path("sys/kernel/debug/remoteproc/remoteproc0/crash"), Array("1".utf8))
        #expect(h.eventually { (try? h.kernel.state(of: "remoteproc0")) == .crashed })
        // The manager's mirror saw the crash.
        try h.onLoop { h.watch.mirrorEvents([.crashed(type: .watchdog, count: 1)], device: "remoteproc0", crashCount: 1, bootCount: 1) }
        #expect(h.eventually { h.events.contains("signal recovered(restarts: 1)") }, "\(h.events)")
        #expect(h.events.contains("perform recover"))
        #expect(h.eventually { h.events.contains("stored watchdog") }, "\(h.events)")
        #expect(!h.events.contains { $0.hasPrefix("problem") }, "\(h.events)")
        #expect(try h.kernel.state(of: "remoteproc0") == .running)
        let listed = try h.watch.store.list()
        #expect(listed.count == 1)
        #expect(try h.onLoop { h.watch.driver("remoteproc0")?.restartCount } == 1)
        #expect(try h.onLoop { h.watch.log("remoteproc0", last: 5) } == ["m4: hello from the simulated remote"])
        let exit = try h.onLoop { h.watch.exitSteps(current: ["remoteproc0": ("disabled", .running)]) }
        #expect(exit["remoteproc0"]?.map(\.write) == [.recovery(.enable)])
    }
}
