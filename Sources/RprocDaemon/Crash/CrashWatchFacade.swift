// One object the manager can hold instead of wiring each piece: per processor a RestartDriver and
// a TraceFollower, one CoredumpCollector on its own worker, one KernelLogTail, the store, and the
// D-Bus values. It follows the manager's ProcessorMirror (way (a) in CrashWatch.swift): the manager
// passes the MirrorEvents it applies; CrashCount stays the mirror's.

import Glibc
import RprocBus
import RprocEventLoop
import RprocModel
import RprocSystem

/// What the crash watchdog needs from the manager. Called on the loop thread.
public protocol CrashWatchHost: AnyObject {
    /// Carries out a policy operation like a job (Planner with `byPolicy`, the processor's worker,
    /// JobNew/JobRemoved); `completion` on the loop.
    func crashWatch(perform request: RestartRequest, on device: String, completion: @escaping (RestartOutcome) -> Void)
    /// The kernel state last seen of `device`.
    func crashWatchState(of device: String) -> ProcessorState
    /// Emits `Crashed`/`Recovered`/`Failed` (the manager already emits `Crashed` and kernel
    /// recoveries from the mirror: this brings `Recovered` after rprocd's own and `Failed`).
    func crashWatch(announce signal: CrashSignal, on device: String)
    /// New trace lines: the journal (DEVICE=, NAME=, TRACE_BUFFER=) and the `LogLines` signal.
    func crashWatch(traceLines: [TraceLine], on device: String)
    /// A dump was stored (log it; `pruned` were deleted by retention).
    func crashWatch(stored entry: CoredumpEntry, pruned: [String])
    /// One sentence; log it with ", ignoring".
    func crashWatch(problem: String)
    /// `RestartCount`, `Result`, `NextRestartUSec`, `LastCrashType` or `Job` may have changed.
    func crashWatchChanged(_ device: String)
}

/// The crash watchdog of all processors. Create, use and release it on the loop thread.
public final class CrashWatch {
    public let loop: EventLoop
    public let kernel: KernelFiles
    public let store: CoredumpStore
    public weak var host: (any CrashWatchHost)?

    private let collector: CoredumpCollector
    /// Never a processor's worker: an `inline` dump is released while that worker's recover blocks.
    private let coredumpWorker: SerialWorker
    private var processors: [String: Entry] = [:]
    private var logTail = KernelLogTail()
    private var collectionQueued = false
    private var collectionAgain = false
    static let dumpScanInterval: UInt64 = 5_000

    final class Entry {
        let name: String
        var config: ProcessorConfig?
        let driver: RestartDriver
        var trace: TraceFollower
        var crashCount: UInt32 = 0
        var bootCount: UInt32 = 0
        /// The firmware that crashed last (read when the crash was seen): its dump is made later, by
        /// the recovery, when a fallback may already have switched `firmware`.
        var crashedFirmware: String?
        /// The follower still holds buffers: one more read notices them vanish.
        var traceOpen = false
        /// While a policy operation runs: scans for its dump (there is no udev event on a board root).
        var dumpScan: TimerSource?
        init(name: String, config: ProcessorConfig?, driver: RestartDriver, trace: TraceFollower) {
            self.name = name
            self.config = config
            self.driver = driver
            self.trace = trace
        }
    }

    public init(loop: EventLoop, kernel: KernelFiles, stateDirectory: String) throws(SyscallError) {
        loop.assertOnLoop()
        self.loop = loop
        self.kernel = kernel
        self.store = CoredumpStore(stateDirectory: stateDirectory)
        self.collector = CoredumpCollector(kernel: kernel, store: store, clock: { Self.realtime() })
        self.coredumpWorker = try SerialWorker(name: "rproc-coredump", loop: loop)
    }

    /// Stops the workers after their queued jobs.
    public func shutdown() {
        coredumpWorker.shutdown()
    }

    static func realtime() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    // MARK: Processors

    /// A processor adopted (discovery, hotplug) or reconfigured (`Reload()`).
    ///
    /// - Returns: the kernel writes that give it `Owner=` and `Mode=`; run them on its worker.
    public func adopt(device: String, name: String, state: ProcessorState, recovery: String, coredump: String, config: ProcessorConfig?) -> [PlanStep] {
        loop.assertOnLoop()
        let owner = config?.recovery.owner ?? .rprocd
        let settings = config?.restartSettings ?? RestartSettings()
        if let entry = processors[device] {
            entry.config = config
            entry.driver.update(owner: owner, settings: settings)
        } else {
            let timer = LoopRestartTimer(loop: loop) { [weak self] in self?.processors[device]?.driver.timerFired() }
            let driver = RestartDriver(device: device, owner: owner, settings: settings, timer: timer, clock: { Self.realtime() })
            driver.delegate = self
            processors[device] = Entry(
                name: name, config: config, driver: driver, trace: TraceFollower(device: device, adoptingExisting: state.isUp))
        }
        return CrashSettings.startSteps(owner: owner, coredump: config?.coredump.mode, current: (recovery, coredump), state: state)
    }

    /// A processor that went away.
    public func remove(device: String) {
        processors[device]?.driver.userStopped()
        processors[device] = nil
        logTail.forget(device)
    }

    /// The writes for a clean exit, per device (Owner=rprocd hands recovery back).
    public func exitSteps(current: [String: (recovery: String, state: ProcessorState)]) -> [String: [PlanStep]] {
        var steps: [String: [PlanStep]] = [:]
        for (device, entry) in processors {
            guard let now = current[device] else { continue }
            steps[device] = CrashSettings.exitSteps(owner: entry.driver.owner, currentRecovery: now.recovery, state: now.state)
        }
        return steps
    }

    // MARK: Inputs

    /// What the manager's mirror derived for `device`; `crashCount`/`bootCount` are the mirror's now.
    public func mirrorEvents(_ events: [MirrorEvent], device: String, crashCount: UInt32, bootCount: UInt32) {
        guard let entry = processors[device] else { return }
        entry.crashCount = crashCount
        entry.bootCount = bootCount
        var crashed = false
        for event in events {
            entry.driver.handle(event)
            switch event {
            case .crashed:
                crashed = true
                entry.crashedFirmware = try? kernel.firmware(of: device)
            case .stateChanged(_, let state, _): entry.driver.stateChanged(to: state)
            case .booted:
                let held = entry.trace.rebooted(at: Self.realtime())
                if !held.isEmpty { host?.crashWatch(traceLines: held, on: device) }
            default: break
            }
        }
        if crashed { collect() }
    }

    /// Every kernel log line about a processor (kept for the coredump metadata).
    public func kernelLog(_ line: RemoteprocLogLine) {
        logTail.append(device: line.device, line.record.text)
    }

    /// A udev event: a devcoredump `add` starts a collection at once.
    public func udev(_ event: UdevEvent) {
        if event.subsystem == "devcoredump", event.action == .add { collect() }
    }

    /// The poll: trace buffers of processors that are up, and a devcoredump scan. Both read on the
    /// loop, so an idle poll is one wakeup: listing `sys/class/devcoredump` is one directory read, and
    /// only a pending dump goes to the coredump worker (dump names are never reused within a boot:
    /// the kernel's `devcd_count` only grows); a debugfs `traceN` read copies from the carveout under
    /// no lock (`rproc_trace_read`).
    public func poll() {
        if (try? kernel.devcoredumps().isEmpty) != true { collect() }
        for (device, entry) in processors where host?.crashWatchState(of: device).isUp == true || entry.traceOpen {
            let contents = TraceFollower.read(kernel, device: device)
            let output = entry.trace.ingest(contents, at: Self.realtime())
            entry.traceOpen = !contents.isEmpty
            if !output.forward.isEmpty { host?.crashWatch(traceLines: output.forward, on: device) }
        }
    }

    /// A user operation is about to run (`start`/`restart` reset `RestartCount`; `stop` drops a
    /// scheduled restart). `false`: refuse it with `Failed` (the start limit is hit).
    public func userOperation(_ operation: Operation, device: String) -> Bool {
        guard let driver = processors[device]?.driver else { return true }
        switch operation {
        case .start, .restart:
            guard driver.admitUserStart() else { return false }
            driver.userStarted()
        case .stop, .detach: driver.userStopped()
        case .resetFailed: driver.resetFailed()
        default: break
        }
        return true
    }

    /// The readiness of a start timed out and rprocd stopped the processor: the restart policy decides.
    public func readinessTimedOut(device: String) { processors[device]?.driver.readinessTimedOut() }

    // MARK: D-Bus values

    public func driver(_ device: String) -> RestartDriver? { processors[device]?.driver }

    /// `GetLog(u lines)`.
    public func log(_ device: String, last count: Int) -> [String] { processors[device]?.trace.log(last: count) ?? [] }

    /// ListCoredumps, DescribeCoredump, OpenCoredump for the Manager interface.
    public func busMethods(validate: @escaping (String) throws(BusError) -> Void) -> [BusMethod] {
        CoredumpBusMethods.methods(store: store, validate: validate)
    }

    // MARK: Coredumps

    /// Queues one collection on the coredump worker (one at a time; a request meanwhile runs another after it).
    public func collect() {
        guard !collectionQueued else {
            collectionAgain = true
            return
        }
        collectionQueued = true
        var contexts: [String: CoredumpContext] = [:]
        for (device, entry) in processors {
            contexts[device] = CoredumpContext(
                device: device, name: entry.name, firmware: entry.crashedFirmware ?? (try? kernel.firmware(of: device)) ?? "",
                crashType: entry.driver.lastCrashType, crashCount: entry.crashCount, bootCount: entry.bootCount,
                kernelLog: logTail.lines(of: device), trace: entry.trace.tail.lines,
                retention: entry.config.map { CoredumpRetention($0.coredump) } ?? CoredumpRetention())
        }
        let collector = self.collector
        let snapshot = contexts
        coredumpWorker.submit({ collector.collect(snapshot) }) { [weak self] report in
            guard let self else { return }
            self.collectionQueued = false
            for problem in report.problems { self.host?.crashWatch(problem: problem) }
            for item in report.collected { self.host?.crashWatch(stored: item.entry, pruned: item.pruned) }
            if self.collectionAgain {
                self.collectionAgain = false
                self.collect()
            }
        }
    }
}

extension CrashWatch: RestartDriverDelegate {
    public func restartDriverState(_ driver: RestartDriver) -> ProcessorState {
        host?.crashWatchState(of: driver.device) ?? .crashed
    }

    public func restartDriver(_ driver: RestartDriver, perform request: RestartRequest, completion: @escaping (RestartOutcome) -> Void) {
        guard let host else { return }
        let device = driver.device
        // The recovery makes the dump while the write runs; an `inline` one holds the write until it
        // is released, so look for it every few milliseconds meanwhile (udev tells sooner on a board).
        processors[device]?.dumpScan = try? loop.addTimer(afterMicroseconds: Self.dumpScanInterval, accuracy: 1000) { [weak self] in
            guard let self, let entry = self.processors[device] else { return }
            self.collect()
            entry.dumpScan?.arm(afterMicroseconds: Self.dumpScanInterval)
        }
        host.crashWatch(perform: request, on: device) { [weak self] outcome in
            self?.processors[device]?.dumpScan?.cancel()
            self?.processors[device]?.dumpScan = nil
            completion(outcome)
            self?.collect()
        }
    }

    public func restartDriver(_ driver: RestartDriver, announce signal: CrashSignal) {
        host?.crashWatch(announce: signal, on: driver.device)
    }

    public func restartDriverChanged(_ driver: RestartDriver) { host?.crashWatchChanged(driver.device) }
}
