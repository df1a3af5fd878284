// The extension that ties readiness, ordering, systemd targets, updates and metrics to the
// manager, through the manager's one write path (`Manager.enqueue`) only. Loop-owned.
//
// How the daemon wires it (DaemonRuntime, Daemon.swift; BusAPI):
// - one `ReadinessCoordinator(manager:systemd:metricsFile:)` after the manager (systemd: a
//   `SystemdManager` on the system bus unless `SystemBus=no`; `MetricsFile=` of `[Daemon]`);
// - `ManagerObserver.processorChanged` → `processorChanged(_:)` (before the bus compares the
//   properties); `crashed` → `crashed(_:type:)`; `processorRemoved` → `processorRemoved(_:)`;
//   `failureAction` → `failureAction(_:processor:)`; `jobRemoved` asks `holdJobRemoved` first and
//   `onJobRemoved` announces a held start once readiness settles; `shutdown()` at exit;
// - `autoStart()` after discovery, instead of the manager's;
// - `Start`/`Restart`/`Attach` and `EnqueueJob` of those: `start(_:operation:firmware:completion:)`;
//   `Stop` and `EnqueueJob stop`: `stop(_:completion:)` (stops those that `Requires=` it first);
// - `Update(s)`, `Rollback()`, `ListFirmwareImages()`: `update`, `rollback`, `firmwareImages`;
// - `Ready`: `isReady(_:)`; `Job` reads `starting` while `isAwaitingReadiness(_:)`.
// What stays in the manager: the kernel writes, job ids, JobNew/JobRemoved.

import Glibc
import Logging
import RprocEventLoop
import RprocModel
import RprocSystem
import SystemdIni

public final class ReadinessCoordinator {
    let manager: Manager
    private let systemd: SystemdManager?
    private let worker: SerialWorker
    private var channels = ChannelWatcher()
    private var tracker = ReadinessTracker()
    private var targets = ReadyTargets()
    private var timer: TimerSource?
    /// Start jobs held for readiness: their completions.
    private var waiting: [String: (Result<Void, DaemonError>) -> Void] = [:]
    private var updates: [String: UpdateRun] = [:]
    private var rollbacks: [String: UInt32] = [:]
    private var readySeconds: [String: Double] = [:]
    private var metrics: MetricsWriter?
    /// How many latencies and journal entries are kept.
    static let kept = 256
    /// Readiness latencies measured (announcement → completion, µs), newest last (the last `kept`); for the benchmark.
    public private(set) var latencies: [UInt64] = []
    /// Every update step recorded (device, step, outcome, firmware), the last `kept`, for tests and Describe.
    private(set) var journal: [(device: String, step: String, outcome: String, firmware: String)] = []

    /// Without systemd targets (benchmarks, boards without systemd).
    public convenience init(manager: Manager, metricsFile: String? = nil) throws(SyscallError) {
        try self.init(manager: manager, systemd: nil, metricsFile: metricsFile)
    }

    init(manager: Manager, systemd: SystemdManager?, metricsFile: String? = nil) throws(SyscallError) {
        self.manager = manager
        self.systemd = systemd
        worker = try SerialWorker(name: "rproc-update", loop: manager.loop)
        metrics = metricsFile.map(MetricsWriter.init(path:))
    }

    private var isShutDown = false

    public func shutdown() {
        isShutDown = true
        timer?.cancel()
        worker.shutdown()
        systemd?.shutdown()
    }

    private var logger: Logger { manager.logger }
    private var now: UInt64 { manager.loop.now() }

    func config(_ p: ManagedProcessor) -> ProcessorConfig? { manager.configuration?.processor(name: p.name, device: p.device) }

    // MARK: Events in

    /// After every scan or job (ManagerObserver.processorChanged).
    public func processorChanged(_ p: ManagedProcessor) {
        manager.loop.assertOnLoop()
        let change = channels.update(device: p.device, channels: p.channels, at: now)
        if change != nil || tracker.isWaiting(p.device) {
            let outcome = tracker.observe(device: p.device, state: p.state, announced: channels.names(of: p.device), now: now) {
                self.channels.announcedAt(device: p.device, name: $0)
            }
            if let outcome { settle(outcome) }
        }
        if readByChannelRead.contains(p.device),
            !p.state.isUp || channels.isReady(device: p.device, state: p.state, readyOn: config(p)?.boot.readyOn ?? [])
        {
            readByChannelRead.remove(p.device)
        }
        if !tracker.isWaiting(p.device) { systemdCall(targets.readyChanged(name: p.name, ready: isReady(p))) }
        writeMetrics()
    }

    public func crashed(_ p: ManagedProcessor, type: String) {
        updates[p.device]?.handle(.crashed(type: type.isEmpty ? "unknown" : type))
        processorChanged(p)
    }

    public func processorRemoved(_ p: ManagedProcessor) {
        channels.forget(device: p.device)
        readByChannelRead.remove(p.device)
        tracker.cancel(device: p.device)
        heldJobs[p.device] = nil
        waiting.removeValue(forKey: p.device)?(.failure(DaemonError(.noSuchProcessor, "'\(p.name)' is gone.")))
    }

    /// D-Bus `Ready`.
    public func isReady(_ p: ManagedProcessor) -> Bool {
        guard !isAwaitingReadiness(p.device) else { return false }
        let readyOn = config(p)?.boot.readyOn ?? []
        return channels.isReady(device: p.device, state: p.state, readyOn: readyOn) || (p.state.isUp && readByChannelRead.contains(p.device))
    }

    // MARK: The channels alone, on "creating channel"

    /// Devices found ready by `channelsAnnounced()`'s read before a manager scan showed it: `Ready`
    /// holds for them until a scan catches up (a scan begun before the announcement is stale).
    private var readByChannelRead: Set<String> = []
    /// The channel names the kernel log reported created since each wait began.
    private var logged: [String: Set<String>] = [:]

    /// The kernel logged rpmsg channels created or destroyed. While a start waits for `ReadyOn=`,
    /// reads the rpmsg channels alone first (a full scan reads every processor's attributes too) and
    /// settles the waits they complete, then has the manager rescan fully.
    ///
    /// - Returns: whether it rescans by itself (false: nothing waits; rescan as usual).
    public func channelsAnnounced(_ created: [String] = []) -> Bool {
        guard !tracker.waiting.isEmpty, !isShutDown else { return false }
        // Read once the log named every channel a wait still misses (each read costs the board
        // a pass over every rpmsg device; until then the manager rescans as for any line); lines
        // about other processors' channels of the same name cost one read.
        var complete = false
        for device in tracker.waiting {
            guard let p = manager.processors[device] else { continue }
            logged[device, default: []].formUnion(created)
            let missing = Set(config(p)?.boot.readyOn ?? []).subtracting(channels.names(of: device))
            if missing.isSubset(of: logged[device] ?? []) { complete = true }
        }
        guard complete else { return false }
        // On the loop, like the manager's scans (reads of sysfs never block); only the device names of
        // the channels waited for, and their processors.
        var awaited: Set<String> = []
        for device in tracker.waiting {
            if let p = manager.processors[device] { awaited.formUnion(config(p)?.boot.readyOn ?? []) }
        }
        let found = (try? manager.kernel.rpmsgChannelOwners(named: awaited.subtracting(Manager.hostRpmsgDevices))) ?? []
        for device in tracker.waiting {
            guard let p = manager.processors[device] else { continue }
            let names = Set(found.filter { $0.remoteproc == device }.map(\.name))
            guard let outcome = tracker.observe(device: device, state: p.state, announced: names, now: now) else { continue }
            if case .ready = outcome { readByChannelRead.insert(device) }
            settle(outcome)
        }
        manager.rescan(reason: "kernel log")
        return true
    }


    // MARK: Start with readiness

    /// Enqueues `start` (or `restart`, `attach`) and completes when the processor is ready (every
    /// `ReadyOn=` channel), or fails with `Timeout` after `ReadyTimeoutSec=` (the processor is then
    /// stopped). The job's `JobRemoved` is held until then (`holdJobRemoved`), so a client waiting
    /// for the job waits for readiness. Returns the manager's acceptance (the job id).
    @discardableResult
    public func start(
        _ p: ManagedProcessor, operation: Operation = .start, firmware: String,
        completion: @escaping (Result<Void, DaemonError>) -> Void
    ) -> Result<(id: UInt32, processor: ManagedProcessor), DaemonError> {
        starting.insert(p.device)
        let device = p.device
        let accepted = manager.enqueue(operation, on: device, argument: firmware) { [weak self] result in
            guard let self else { return }
            if case .failure = result {
                self.starting.remove(device)
                if let p = self.manager.processors[device] { self.manager.observer?.processorChanged(p) }
                return completion(result)
            }
            // The channels a scan read before the start ended may be the previous boot's (a stop
            // leaves them in place until a scan sees them gone): begin after a scan read since the
            // start (scans apply on the loop, so this one is applied when `rescan` returns).
            self.manager.rescan(reason: "readiness")
            self.beginWait(device, completion: completion)
        }
        if case .failure(let error) = accepted {
            starting.remove(p.device)
            completion(.failure(error))
        }
        return accepted
    }

    /// The start's kernel writes are over: wait for its `ReadyOn=` channels (or settle at once).
    private func beginWait(_ device: String, completion: @escaping (Result<Void, DaemonError>) -> Void) {
        starting.remove(device)
        guard let p = manager.processors[device] else {
            return completion(.failure(DaemonError(.noSuchProcessor, "'\(device)' is gone.")))
        }
        // `Job` read `starting` through the kernel writes; now it follows the wait (or not).
        defer { manager.observer?.processorChanged(p) }
        let boot = config(p)?.boot ?? BootSection()
        logged[device] = nil
        waiting[device] = completion
        let outcome = tracker.begin(
            device: device, readyOn: boot.readyOn, timeout: boot.readyTimeout, state: p.state, announced: channels.names(of: device),
            now: now)
        if let outcome { settle(outcome) } else { armTimer() }
    }

    /// Devices whose start this coordinator enqueued and whose kernel writes are not over yet.
    private var starting: Set<String> = []
    /// `JobRemoved` of start jobs held until readiness settles, by device.
    private var heldJobs: [String: (id: UInt32, operation: Operation)] = [:]
    /// Where a held `JobRemoved` goes once readiness settles (the bus's `JobRemoved`).
    public var onJobRemoved: (UInt32, ManagedProcessor, Operation, ProcessorResult, DaemonError?) -> Void = { _, _, _, _, _ in }

    /// Called with every `JobRemoved` the manager announces: true when it is a start this
    /// coordinator holds for readiness (announce nothing now; `onJobRemoved` follows).
    public func holdJobRemoved(id: UInt32, processor p: ManagedProcessor, operation: Operation, error: DaemonError?) -> Bool {
        guard error == nil, starting.contains(p.device), [.start, .restart, .attach].contains(operation) else { return false }
        heldJobs[p.device] = (id, operation)
        return true
    }

    /// A start of `device` this coordinator enqueued is not over: its kernel writes, or the wait
    /// for its `ReadyOn=` channels (D-Bus `Job` reads `starting` while the manager's is idle).
    public func isAwaitingReadiness(_ device: String) -> Bool { starting.contains(device) || tracker.isWaiting(device) }

    private func releaseJob(_ device: String, error: DaemonError?) {
        guard let job = heldJobs.removeValue(forKey: device), let p = manager.processors[device] else { return }
        onJobRemoved(job.id, p, job.operation, p.result, error)
    }

    private func settle(_ outcome: ReadinessTracker.Outcome) {
        switch outcome {
        case .ready(let device, let latency, let waited):
            if let latency { latencies = Array((latencies + [latency]).suffix(Self.kept)) }
            readySeconds[device] = Double(waited) / 1_000_000
            if let p = manager.processors[device] {
                systemdCall(targets.readyChanged(name: p.name, ready: true))
                manager.observer?.processorChanged(p)
            }
            releaseJob(device, error: nil)
            waiting.removeValue(forKey: device)?(.success(()))
        case .timedOut(let device, let missing):
            let p = manager.processors[device]
            let name = p?.name ?? device
            let error = DaemonError(
                .timeout,
                "'\(name)' did not announce \(missing.map { "'\($0)'" }.joined(separator: ", ")) within ReadyTimeoutSec=; it was stopped.")
            if let p {
                manager.apply(p.mirror.endJob(result: .timeout, error: error.message), to: p)
                logger.error("Failed to start '\(name)': \(error.message)", metadata: manager.metadata(p))
                // The stop ends the failed start: keep its result, as systemd keeps a unit's Result=
                // through the stop that follows a failure (the stop job itself ends in `success`).
                _ = manager.enqueue(.stop, on: device, argument: "") { [weak self] _ in
                    guard let self, let p = self.manager.processors[device] else { return }
                    self.manager.apply(p.mirror.endJob(result: .timeout, error: error.message), to: p)
                    self.manager.observer?.processorChanged(p)
                    self.manager.crashWatch?.readinessTimedOut(device: device)
                }
                manager.observer?.processorChanged(p)
            }
            releaseJob(device, error: error)
            waiting.removeValue(forKey: device)?(.failure(error))
        case .wentDown(let device, let state):
            let error = DaemonError(
                .notRunning, "'\(manager.processors[device]?.name ?? device)' went '\(state.sysfsValue)' before it was ready.")
            releaseJob(device, error: error)
            waiting.removeValue(forKey: device)?(.failure(error))
        }
        armTimer()
    }

    private func armTimer() {
        guard let deadline = tracker.nextDeadline else {
            timer?.disarm()
            return
        }
        let after = deadline > now ? deadline - now : 0
        if let timer {
            timer.arm(afterMicroseconds: after)
        } else {
            timer = try? manager.loop.addTimer(afterMicroseconds: after, accuracy: 1000) { [weak self] in self?.expire() }
        }
    }

    private func expire() {
        let outcomes = tracker.expire(
            now: now, state: { self.manager.processors[$0]?.state ?? .offline }, announced: { self.channels.names(of: $0) })
        for outcome in outcomes { settle(outcome) }
        armTimer()
    }

    // MARK: Ordering

    /// `AutoStart=yes` processors in `After=`/`Requires=` order, each after those it needs are ready.
    public func autoStart() {
        guard let configuration = manager.configuration else { return }
        var byID: [String: ManagedProcessor] = [:]
        var up: Set<String> = []
        for p in manager.sortedProcessors {
            guard let config = configuration.processor(name: p.name, device: p.device), byID[config.id] == nil else { continue }
            if config.boot.autoStart, p.state == .offline || p.state == .detached { byID[config.id] = p }
            if isReady(p) { up.insert(config.id) }
        }
        let box = OrdererBox(StartOrderer(configuration: configuration, pending: Set(byID.keys), up: up))
        func run(_ actions: [StartOrderer.Action]) {
            for action in actions {
                switch action {
                case .skip(let id, let reason):
                    logger.warning("Not starting '\(id)' (AutoStart=yes): \(reason), ignoring.")
                case .start(let id):
                    guard let p = byID[id] else { continue }
                    let firmware = p.state == .offline ? configuration.processor(name: p.name, device: p.device)?.firmware.file ?? "" : ""
                    start(p, firmware: firmware) { [weak self] result in
                        guard self != nil else { return }
                        switch result {
                        case .success: run(box.value.ready(id))
                        case .failure(let error):
                            self?.logger.warning("Failed to start '\(p.name)' (AutoStart=yes): \(error.message) Ignoring.")
                            run(box.value.failed(id))
                        }
                    }
                }
            }
        }
        run(box.value.begin())
    }

    /// Stops the processors that `Requires=` this one (dependents first), then it. Returns the
    /// acceptance of its own stop when none of them is up (nil: it follows theirs).
    @discardableResult
    public func stop(
        _ p: ManagedProcessor, completion: @escaping (Result<Void, DaemonError>) -> Void
    ) -> Result<(id: UInt32, processor: ManagedProcessor)?, DaemonError> {
        let ids = manager.configuration.flatMap { c in config(p).map { StartOrderer.stopCascade($0.id, configuration: c) } } ?? []
        let dependents = ids.compactMap { id in
            manager.sortedProcessors.first { config($0)?.id == id && $0.state.isUp && $0 !== p }
        }
        guard !dependents.isEmpty else { return manager.enqueue(.stop, on: p.device, argument: "", completion: completion).map { $0 } }
        func next(_ rest: ArraySlice<ManagedProcessor>) {
            guard let first = rest.first else {
                if case .failure(let error) = manager.enqueue(.stop, on: p.device, argument: "", completion: completion) {
                    completion(.failure(error))
                }
                return
            }
            logger.info("Stopping '\(first.name)' first: it requires '\(p.name)' (Requires=).", metadata: manager.metadata(first))
            let accepted = manager.enqueue(.stop, on: first.device, argument: "") { _ in next(rest.dropFirst()) }
            if case .failure = accepted { next(rest.dropFirst()) }
        }
        next(dependents[...])
        return .success(nil)
    }

    // MARK: systemd, metrics

    private func systemdCall(_ call: SystemdCall?) {
        guard let call, let systemd else { return }
        systemd.perform(call) { [weak self] outcome in
            switch outcome {
            case .done: break
            case .skipped(let reason):
                if let reason { self?.logger.notice("Not managing rproc-ready@ targets: \(reason).") }
            case .failed(let name, let message):
                self?.logger.warning("Failed to \(call.member) '\(call.unit)': \(name): \(message), ignoring.")
            }
        }
    }

    /// `FailureAction=` when the restart policy gave up (reboot goes through systemd).
    func failureAction(_ action: FailureAction, processor p: ManagedProcessor) {
        guard let call = ReadyTargets.failureAction(action) else { return }
        logger.critical("'\(p.name)' failed and FailureAction=reboot: asking systemd to reboot.", metadata: manager.metadata(p))
        systemdCall(call)
    }

    /// A metrics write is on the worker; `metricsDirty`: something changed since its snapshot.
    private var metricsInFlight = false
    private var metricsDirty = false

    /// Writes the metrics file off the loop, at most one write at a time: changes that come while
    /// one is in flight are coalesced into the next (every poll announces every processor; one
    /// fsync per announcement would fall behind).
    private func writeMetrics() {
        guard let metrics, !isShutDown else { return }
        guard !metricsInFlight else {
            metricsDirty = true
            return
        }
        metricsInFlight = true
        metricsDirty = false
        let snapshot = manager.sortedProcessors.map {
            ProcessorMetrics($0, rollbacks: rollbacks[$0.device] ?? 0, readySeconds: readySeconds[$0.device])
        }
        worker.submit({ () -> String? in
            do {
                try metrics.write(snapshot)
                return nil
            } catch {
                return "\(error)"
            }
        }) { [weak self] failure in
            guard let self else { return }
            self.metricsInFlight = false
            if let failure { self.logger.warning("Failed to write '\(metrics.path)': \(failure), ignoring.") }
            if self.metricsDirty { self.writeMetrics() }
        }
    }

    // MARK: Updates

    /// `Update(s path)`: validate, stage, stop, switch, start, wait for readiness, probation; keep or roll back.
    public func update(_ p: ManagedProcessor, path: String, completion: @escaping (Result<UpdateRunner.Outcome, DaemonError>) -> Void) {
        guard path.hasPrefix("/") else { return completion(.failure(DaemonError(.invalidArgs, "Update needs an absolute path, not '\(path)'."))) }
        guard updates[p.device] == nil, p.inFlight == nil else {
            return completion(.failure(DaemonError(.busy, "'\(p.name)' is busy; try again when it is done.")))
        }
        let kernel = manager.kernel
        let memory = manager.memoryWindows(of: p)
        let name = p.name
        let now = manager.loop.now(CLOCK_REALTIME)
        let base = FirmwareStager.base(forProcessor: p.name)
        updates[p.device] = UpdateRun.placeholder
        worker.submit({ () -> Result<StagedImage, DaemonError> in
            let bytes: [UInt8]
            do {
                bytes = try SystemFileOperations().readWhole(path, chunkSize: 1 << 16)
            } catch {
                return .failure(DaemonError(.firmwareNotFound, "Failed to read '\(path)': \(error)."))
            }
            if let problem = FirmwareStager.validate(bytes, memory: memory, processor: name, path: path) { return .failure(problem) }
            guard let directory = FirmwareStager.directory(kernel) else {
                return .failure(DaemonError(.firmwareNotFound, "No directory of the kernel's firmware search path is writable."))
            }
            do {
                return .success(try FirmwareStager.stage(bytes, base: base, in: directory.absolute, now: now))
            } catch {
                return .failure(DaemonError(.internalFailure, "Failed to stage '\(path)': \(error)."))
            }
        }) { [weak self] staged in
            guard let self else { return }
            switch staged {
            case .failure(let error):
                self.updates[p.device] = nil
                self.record(p, "validate", "refused", path)
                completion(.failure(error))
            case .success(let image):
                self.record(p, "stage", "done", image.fileName)
                self.run(UpdateRunner(
                    newFirmware: image.fileName, previousFirmware: p.firmware,
                    probation: self.config(p)?.boot.updateProbation.map(\.microseconds), isUp: p.state.isUp), on: p, completion: completion)
            }
        }
    }

    /// `Rollback()`: boots the newest staged image other than the current one.
    public func rollback(_ p: ManagedProcessor, completion: @escaping (Result<UpdateRunner.Outcome, DaemonError>) -> Void) {
        guard updates[p.device] == nil, p.inFlight == nil else {
            return completion(.failure(DaemonError(.busy, "'\(p.name)' is busy; try again when it is done.")))
        }
        guard let directory = FirmwareStager.directory(manager.kernel),
            let previous = FirmwareStager.previous(in: directory.absolute, base: FirmwareStager.base(forProcessor: p.name), current: p.firmware)
        else { return completion(.failure(DaemonError(.notConfigured, "'\(p.name)' has no staged image to roll back to."))) }
        run(UpdateRunner(newFirmware: previous.fileName, previousFirmware: p.firmware, probation: nil, isUp: p.state.isUp),
            on: p, completion: completion)
    }

    /// `ListFirmwareImages()`: the staged images of the processor, oldest first, with `current`.
    func firmwareImages(_ p: ManagedProcessor) -> [(image: StagedImage, current: Bool)] {
        guard let directory = FirmwareStager.directory(manager.kernel) else { return [] }
        return FirmwareStager.list(in: directory.absolute, base: FirmwareStager.base(forProcessor: p.name)).map { ($0, $0.fileName == p.firmware) }
    }

    private func record(_ p: ManagedProcessor, _ step: String, _ outcome: String, _ firmware: String) {
        journal = Array((journal + [(p.device, step, outcome, firmware)]).suffix(Self.kept))
        var metadata = manager.metadata(p)
        metadata["update_step"] = "\(step)"
        metadata["update_outcome"] = "\(outcome)"
        metadata["firmware"] = "\(firmware)"
        logger.info("Update of '\(p.name)': \(step) \(outcome) ('\(firmware)').", metadata: metadata)
    }

    private func run(_ runner: UpdateRunner, on p: ManagedProcessor, completion: @escaping (Result<UpdateRunner.Outcome, DaemonError>) -> Void) {
        let run = UpdateRun(runner: runner)
        updates[p.device] = run
        run.execute = { [weak self, weak p, weak run] commands in
            guard let self, let p, let run else { return }
            for command in commands { self.perform(command, run: run, on: p, completion: completion) }
        }
        run.execute(runner.begin())
    }

    private func perform(
        _ command: UpdateRunner.Command, run: UpdateRun, on p: ManagedProcessor,
        completion: @escaping (Result<UpdateRunner.Outcome, DaemonError>) -> Void
    ) {
        switch command {
        case .record(let step, let outcome, let firmware):
            record(p, step, outcome, firmware)
        case .stop:
            stopForUpdate(p, run: run, attempts: 20)
        case .start(let firmware):
            start(p, firmware: firmware) { result in
                switch result {
                case .success:
                    run.handle(.started(error: nil))
                    run.handle(.ready)
                case .failure(let error) where error.name == .timeout:
                    run.handle(.started(error: nil))
                    run.handle(.readinessTimedOut(missing: self.config(p)?.boot.readyOn ?? []))
                case .failure(let error):
                    run.handle(.started(error: error.message))
                }
            }
        case .armProbation(let after):
            run.timer = try? manager.loop.addTimer(afterMicroseconds: after, accuracy: 1000) { run.handle(.probationElapsed) }
        case .cancelProbation:
            run.timer?.cancel()
            run.timer = nil
        case .finish(let outcome):
            run.timer?.cancel()
            updates[p.device] = nil
            finish(outcome, on: p)
            completion(.success(outcome))
        }
    }

    /// Enqueues the runner's `stop`. A crash the kernel log reported may not be in rprocd's state
    /// yet (the planner then plans a stop from `running` and the executor refuses it against
    /// `crashed`), or may come while the start is still in flight (busy): rescan and try again,
    /// every 50 ms, `attempts` times.
    private func stopForUpdate(_ p: ManagedProcessor, run: UpdateRun, attempts: Int) {
        guard p.state.isUp || p.state == .crashed else { return run.handle(.stopped(error: nil)) }
        func retry(_ error: DaemonError) {
            // Busy: the crash came while the start's kernel writes were still in flight.
            guard error.name == .invalidTransition || error.name == .busy, attempts > 1 else {
                return run.handle(.stopped(error: error.message))
            }
            manager.rescan(reason: "update")
            run.timer = try? manager.loop.addTimer(afterMicroseconds: 50_000) { [weak self, weak p] in
                guard let self, let p else { return }
                self.stopForUpdate(p, run: run, attempts: attempts - 1)
            }
        }
        let accepted = manager.enqueue(.stop, on: p.device, argument: "") { result in
            if case .failure(let error) = result { retry(error) } else { run.handle(.stopped(error: nil)) }
        }
        if case .failure(let error) = accepted { retry(error) }
    }

    private func finish(_ outcome: UpdateRunner.Outcome, on p: ManagedProcessor) {
        switch outcome {
        case .kept:
            manager.apply(p.mirror.endJob(result: .success), to: p)
        case .rolledBack(_, let reason):
            rollbacks[p.device, default: 0] += 1
            manager.apply(p.mirror.endJob(result: .rolledBack, error: "The update was rolled back: \(reason)."), to: p)
            logger.warning("Rolled back the update of '\(p.name)': \(reason).", metadata: manager.metadata(p))
        case .failed(let reason):
            manager.apply(p.mirror.endJob(result: p.result, error: reason), to: p)
            logger.error("Failed to update '\(p.name)': \(reason)", metadata: manager.metadata(p))
        }
        manager.observer?.processorChanged(p)
        // Keep the current image and KeepFirmware= previous ones.
        let keep = config(p)?.firmware.keep ?? 2
        let current = p.firmware
        let base = FirmwareStager.base(forProcessor: p.name)
        guard let directory = FirmwareStager.directory(manager.kernel), !isShutDown else { return }
        let logger = self.logger
        worker.submit {
            do {
                _ = try FirmwareStager.prune(in: directory.absolute, base: base, previous: keep, keep: [current])
            } catch {
                logger.warning("Failed to prune staged firmware in '\(directory.board)': \(error), ignoring.")
            }
        }
        writeMetrics()
    }
}

/// One update in progress: its state machine, its probation timer, and how its commands run.
final class UpdateRun {
    var runner: UpdateRunner?
    var timer: TimerSource?
    var execute: ([UpdateRunner.Command]) -> Void = { _ in }

    init(runner: UpdateRunner?) { self.runner = runner }

    /// Held while the image is validated and staged (the processor counts as busy).
    static var placeholder: UpdateRun { UpdateRun(runner: nil) }

    func handle(_ event: UpdateRunner.Event) {
        guard var runner else { return }
        let commands = runner.handle(event)
        self.runner = runner
        execute(commands)
    }
}

/// The orderer shared by the completions of one auto-start.
final class OrdererBox {
    var value: StartOrderer
    init(_ value: StartOrderer) { self.value = value }
}

extension Result where Failure == DaemonError {
    var failureMessage: String? { if case .failure(let error) = self { error.message } else { nil } }
}

extension Manager {
    /// A manager over the kernel files under `root` with swift-log's default handler, for
    /// programs outside the package that do not link swift-log themselves (benchmarks).
    public convenience init(loop: EventLoop, root: String, stateDirectory: String, pollIntervalMicroseconds: UInt64) throws(SyscallError) {
        var settings = DaemonSettings()
        settings.pollIntervalMicroseconds = pollIntervalMicroseconds
        try self.init(
            loop: loop, kernel: KernelFiles(root: root), store: CounterStore(stateDirectory: stateDirectory), settings: settings,
            logger: Logger(label: "rprocd"))
    }

    /// Sets the configuration from processor files given as text (`m4` → the text of `m4.rproc`),
    /// for programs that do not read `/etc/rprocd` (benchmarks).
    public func configure(processorFiles: [String: String]) throws(ConfigError) {
        configuration = try Configuration.parse(files: processorFiles.map {
            ConfigFile(path: Configuration.processorDirectories[0] + "/\($0.key).rproc", text: $0.value)
        })
    }
}
