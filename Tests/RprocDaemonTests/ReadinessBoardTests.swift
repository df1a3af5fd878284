// End to end on the mounted lab board (rproc-sim, FUSE), in process: a Manager over the board
// with the ReadinessCoordinator fed by its observer, as DaemonRuntime is to wire it. Readiness
// before/after "now up", a timeout, three processors in order, updates kept, rolled back and
// refused. The board's kernel log proves what reached the "kernel".

import Foundation
import Glibc
import Logging
import RprocEventLoop
import RprocModel
import RprocSystem
import RprocTestSupport
import SystemdIni
import Testing
@testable import RprocDaemon

/// Forwards the manager's announcements to the coordinator (what DaemonRuntime is to do), and
/// runs a test hook on every crash.
final class CoordinatorObserver: ManagerObserver, @unchecked Sendable {
    var coordinator: ReadinessCoordinator?
    var onCrash: (ManagedProcessor) -> Void = { _ in }
    func processorAdded(_ processor: ManagedProcessor) {}
    func processorRemoved(_ processor: ManagedProcessor) { coordinator?.processorRemoved(processor) }
    func processorChanged(_ processor: ManagedProcessor) { coordinator?.processorChanged(processor) }
    func stateChanged(_ processor: ManagedProcessor, old: String, new: String, reason: String) {}
    func crashed(_ processor: ManagedProcessor, type: String, count: UInt32) {
        onCrash(processor)
        coordinator?.crashed(processor, type: type)
    }
    func recovered(_ processor: ManagedProcessor) {}
    func failed(_ processor: ManagedProcessor, reason: String) {}
    func jobNew(id: UInt32, processor: ManagedProcessor, operation: Operation) {}
    func jobRemoved(id: UInt32, processor: ManagedProcessor, operation: Operation, result: ProcessorResult, error: DaemonError?) {}
}

/// The lab board, a manager on it with the given processor files, and the coordinator.
final class ReadinessBoard: @unchecked Sendable {
    static let image = ElfBuilder.minimalRemoteproc().build()
    let board: MountedBoard
    let loop: EventLoop
    let observer = CoordinatorObserver()
    let metricsFile: String?
    private let box = Box<(Manager, ReadinessCoordinator, KernelLogWatcher?)?>(nil)

    init(processors: [String: String], knobs: [String: String] = [:], metricsFile: String? = nil) throws {
        self.metricsFile = metricsFile
        board = try MountedBoard(board: "lab", firmware: ["m4.elf": Self.image, "r5f.elf": Self.image])
        for (file, value) in knobs { try value.write(toFile: board.path(file), atomically: false, encoding: .utf8) }
        let configuration = try Configuration.parse(files: processors.map {
            ConfigFile(path: "/etc/rprocd/processors.d/\($0.key).rproc", text: $0.value)
        })
        loop = try EventLoop.spawn(name: "readiness-board")
        let kernel = KernelFiles(root: board.mountPoint)
        let store = CounterStore(stateDirectory: board.firmwareDirectory + "/../state")
        var configured = DaemonSettings()
        configured.pollIntervalMicroseconds = 20_000
        let settings = configured
        let discovered = DispatchSemaphore(value: 0)
        let box = self.box, observer = self.observer
        loop.post { [loop] in
            let manager = try! Manager(loop: loop, kernel: kernel, store: store, settings: settings, logger: Logger(label: "test"))
            manager.configuration = configuration
            let coordinator = try! ReadinessCoordinator(manager: manager, systemd: nil, metricsFile: metricsFile)
            observer.coordinator = coordinator
            manager.observer = observer
            let watcher = try? KernelLogWatcher(manager: manager, logger: Logger(label: "test"))
            manager.beforePoll = { [weak watcher] in watcher?.drain() }
            box.value = (manager, coordinator, watcher)
            manager.start { discovered.signal() }
        }
        discovered.wait()
    }

    deinit {
        let box = self.box, observer = self.observer
        let done = DispatchSemaphore(value: 0)
        loop.post {
            observer.coordinator = nil
            box.value?.2?.cancel()
            box.value?.1.shutdown()
            box.value?.0.shutdown()
            box.value = nil
            done.signal()
        }
        done.wait()
        loop.exit()
        loop.join()
    }

    func onLoop<T>(_ body: @escaping (Manager, ReadinessCoordinator) -> T) -> T {
        let result = Box<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let box = self.box, work = Box(body)
        loop.post {
            result.value = work.value(box.value!.0, box.value!.1)
            done.signal()
        }
        done.wait()
        return result.value!
    }

    /// Runs an asynchronous coordinator call on the loop and waits (up to 30 s) for its result.
    func wait<T>(_ body: @escaping (Manager, ReadinessCoordinator, @escaping (T) -> Void) -> Void) -> T? {
        let result = Box<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let box = self.box, work = Box(body)
        loop.post {
            work.value(box.value!.0, box.value!.1) { value in
                result.value = value
                done.signal()
            }
        }
        guard done.wait(timeout: .now() + 30) == .success else { return nil }
        return onLoop { _, _ in result.value }
    }

    func start(_ device: String, _ firmware: String = "") -> Result<Void, DaemonError>? {
        wait { manager, coordinator, done in coordinator.start(manager.processors[device]!, firmware: firmware, completion: done) }
    }

    func update(_ device: String, _ path: String) -> Result<UpdateRunner.Outcome, DaemonError>? {
        wait { manager, coordinator, done in coordinator.update(manager.processors[device]!, path: path, completion: done) }
    }

    func property<T>(_ device: String, _ body: @escaping (ManagedProcessor) -> T) -> T {
        onLoop { manager, _ in body(manager.processors[device]!) }
    }

    /// The rpmsg channels the board's sysfs shows now.
    func boardChannels() -> [String] {
        ((try? KernelFiles(root: board.mountPoint).rpmsgChannels()) ?? []).map(\.name).filter { !$0.hasPrefix("rpmsg_") }
    }

    /// The board's kernel log (every record's text), through RprocSystem's `/dev/kmsg` reader.
    func kernelLog() -> [String] { Self.kernelLog(root: board.mountPoint) }

    /// The kernel log of the board mounted at `root`, every record's text.
    static func kernelLog(root: String) -> [String] {
        guard let reader = try? KmsgReader(kernel: KernelFiles(root: root), start: .oldestRecord) else { return [] }
        var lines: [String] = []
        reading: while let next = try? reader.next() {
            switch next {
            case .record(let record): lines.append(record.text)
            case .noMoreForNow: break reading
            default: continue
            }
        }
        return lines
    }

    func index(_ log: [String], _ fragment: String) -> Int? { log.firstIndex { $0.contains(fragment) } }
}

@Suite(.serialized, .enabled(if: MountedBoard.available))
struct ReadinessBoardTests {
    static let m4 = "[Match]\nName=m4\n[Boot]\nReadyOn=rpmsg-tty rpmsg-raw\nReadyTimeoutSec=10s\n"

    @Test func aStartWithReadyOnCompletesOnlyAfterTheChannelsAnnouncedAfterNowUp() throws {
        // 800 ms from the rpmsg host being up to the announcement, as an STM32MP257 does.
        let e2e = try ReadinessBoard(processors: ["m4": Self.m4], knobs: [".sim/remoteproc0/announce_delay_ms": "800"])
        // The plain manager start returns at "now up", before any channel exists.
        let plain = e2e.wait { (manager: Manager, _, done: @escaping (Result<Void, DaemonError>) -> Void) in
            _ = manager.enqueue(.start, on: "remoteproc0", argument: "", completion: done)
        }
        #expect(plain.map { (try? $0.get()) != nil } == true)
        #expect(e2e.boardChannels().isEmpty, "channels announced before the start returned")
        #expect(e2e.property("remoteproc0") { e2e.onLoopCoordinatorReady($0) } == false)
        _ = e2e.wait { (manager: Manager, _, done: @escaping (Result<Void, DaemonError>) -> Void) in
            _ = manager.enqueue(.stop, on: "remoteproc0", argument: "", completion: done)
        }
        // With the coordinator, the start completes once both channels are there.
        let ready = e2e.start("remoteproc0")
        #expect(ready.map { (try? $0.get()) != nil } == true, "\(String(describing: ready))")
        #expect(Set(e2e.boardChannels()) == ["rpmsg-tty", "rpmsg-raw"])
        #expect(e2e.property("remoteproc0") { e2e.onLoopCoordinatorReady($0) })
        let log = e2e.kernelLog()
        let up = try #require(log.lastIndex { $0.contains("remote processor m4 is now up") })
        let announced = try #require(log.lastIndex { $0.contains("creating channel rpmsg-raw") })
        #expect(up < announced)
        let latencies = e2e.onLoop { _, coordinator in coordinator.latencies }
        #expect(latencies.count == 1)
    }

    @Test func channelsThatNeverComeTimeOutStopTheProcessorAndSetResultTimeout() throws {
        let r5f = "[Match]\nName=r5f\n[Boot]\nReadyOn=rpmsg-gpio\nReadyTimeoutSec=300ms\n"
        let e2e = try ReadinessBoard(processors: ["r5f": r5f])
        let result = e2e.start("remoteproc1")
        guard case .failure(let error)? = result else {
            Issue.record("expected a timeout, got \(String(describing: result))")
            return
        }
        #expect(error.name == .timeout)
        #expect(error.message.contains("'rpmsg-gpio'"))
        #expect(e2e.property("remoteproc1") { $0.result } == .timeout)
        var stopped = false
        for _ in 0..<400 where !stopped {
            stopped = e2e.property("remoteproc1") { $0.state } == .offline
            if !stopped { usleep(10_000) }
        }
        #expect(stopped)
        #expect(e2e.kernelLog().contains { $0.contains("stopped remote processor r5f") })
    }

    @Test func threeProcessorsAutoStartInOrderEachAfterTheOneBeforeIsReady() throws {
        let e2e = try ReadinessBoard(processors: [
            "m4": "[Match]\nName=m4\n[Boot]\nAutoStart=yes\nReadyOn=rpmsg-raw\n",
            "r5f": "[Match]\nName=r5f\n[Boot]\nAutoStart=yes\nAfter=m4\nReadyOn=rpmsg-raw\n",
            "bootcore": "[Match]\nName=bootcore\n[Boot]\nAutoStart=yes\nRequires=r5f\n",
        ], knobs: [".sim/remoteproc0/announce_delay_ms": "300"], metricsFile: NSTemporaryDirectory() + "rprocd-metrics-\(UUID().uuidString).prom")
        e2e.onLoop { _, coordinator in coordinator.autoStart() }
        var attached = false
        for _ in 0..<1000 where !attached {
            attached = e2e.property("remoteproc2") { $0.state } == .attached
            if !attached { usleep(10_000) }
        }
        #expect(attached)
        let log = e2e.kernelLog()
        let m4Channel = try #require(e2e.index(log, "creating channel rpmsg-raw"))
        let r5fUp = try #require(e2e.index(log, "powering up r5f"))
        let boot = try #require(e2e.index(log, "remote processor bootcore is now attached"))
        #expect(e2e.index(log, "powering up m4")! < m4Channel)
        #expect(m4Channel < r5fUp, "r5f started before m4 was ready: \(log)")
        #expect(r5fUp < boot)
        // Stopping r5f first stops bootcore, which requires it.
        let stopped = e2e.wait { (manager: Manager, coordinator: ReadinessCoordinator, done: @escaping (Result<Void, DaemonError>) -> Void) in
            coordinator.stop(manager.processors["remoteproc1"]!, completion: done)
        }
        #expect(stopped.map { (try? $0.get()) != nil } == true)
        let after = e2e.kernelLog()
        let bootcoreStop = try #require(after.lastIndex { $0.contains("stopped remote processor bootcore") })
        let r5fStop = try #require(after.lastIndex { $0.contains("stopped remote processor r5f") })
        #expect(bootcoreStop < r5fStop)
        #expect(e2e.property("remoteproc0") { $0.state } == .running)
        // The metrics file follows, and parses as OpenMetrics.
        let path = try #require(e2e.metricsFile)
        var text = ""
        for _ in 0..<200 {
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if text.contains("rprocd_processor_state{device=\"remoteproc1\",name=\"r5f\",state=\"offline\"} 1") { break }
            usleep(10_000)
        }
        #expect(text.contains("rprocd_processor_state{device=\"remoteproc1\",name=\"r5f\",state=\"offline\"} 1"),
                "\(text.split(separator: "\n").filter { $0.hasSuffix("} 1") || $0.contains("ready") })")
        #expect(text.contains("rprocd_ready_seconds{device=\"remoteproc0\",name=\"m4\"}"))
        if MetricsTests.parserAvailable { #expect(try MetricsTests.parse(text).status == 0) }
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension ReadinessBoard {
    /// `Ready` as the coordinator answers it; call inside `property`.
    func onLoopCoordinatorReady(_ p: ManagedProcessor) -> Bool { box.value!.1.isReady(p) }
}
