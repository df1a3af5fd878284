// The manager: every processor the kernel shows, adopted as it is; operations planned, then run
// on the processor's worker; the kernel's `state` polled as the safety net. All state here
// belongs to the event loop's thread.

import Glibc
import Logging
import RprocEventLoop
import RprocFirmware
import RprocModel
import RprocSystem

/// What the manager announces; the bus layer turns these into signals and PropertiesChanged.
/// Called on the loop thread.
public protocol ManagerObserver: AnyObject {
    func processorAdded(_ processor: ManagedProcessor)
    func processorRemoved(_ processor: ManagedProcessor)
    /// Some property of `processor` may have changed (the observer compares with what it sent).
    func processorChanged(_ processor: ManagedProcessor)
    func stateChanged(_ processor: ManagedProcessor, old: String, new: String, reason: String)
    /// A crash was counted (`type` is empty when the kernel log did not name it yet).
    func crashed(_ processor: ManagedProcessor, type: String, count: UInt32)
    /// The kernel recovered the processor by itself.
    func recovered(_ processor: ManagedProcessor)
    /// The processor became `failed`.
    func failed(_ processor: ManagedProcessor, reason: String)
    func jobNew(id: UInt32, processor: ManagedProcessor, operation: Operation)
    func jobRemoved(id: UInt32, processor: ManagedProcessor, operation: Operation, result: ProcessorResult, error: DaemonError?)
    /// New lines of the remote's trace log (the `LogLines` signal).
    func logLines(_ processor: ManagedProcessor, lines: [String])
    /// The restart policy gave up and carries out `FailureAction=` (reboot goes through systemd).
    func failureAction(_ action: FailureAction, processor: ManagedProcessor)
}

extension ManagerObserver {
    public func logLines(_ processor: ManagedProcessor, lines: [String]) {}
    public func failureAction(_ action: FailureAction, processor: ManagedProcessor) {}
}

/// One scan of the kernel's processors (read and applied on the loop).
struct KernelScan: Sendable {
    struct Entry: Sendable {
        var device: RemoteprocDevice
        var snapshot: KernelSnapshot
        var savedCounters: ProcessorCounters?
    }
    var entries: [Entry]
    /// rpmsg channels by remote processor.
    var channels: [String: [ManagedProcessor.Channel]] = [:]
    /// Devices listed but unreadable (vanished mid-scan): kept as they were.
    var unreadable: Set<String>
    var error: String?
}

/// The manager of all processors. Create, use and release it on the loop thread.
public final class Manager {
    public let loop: EventLoop
    public let kernel: KernelFiles
    public let store: CounterStore
    public internal(set) var settings: DaemonSettings
    /// The processor files (`*.rproc`); nil when none could be loaded.
    public var configuration: Configuration?
    let logger: Logger
    public weak var observer: (any ManagerObserver)?

    /// By device name, and the device order of the last scan.
    public private(set) var processors: [String: ManagedProcessor] = [:]
    public private(set) var order: [String] = []

    private var nextJobID: UInt32 = 1
    /// Which remoteproc core the kernel has, as far as rprocd could tell (contract §0.2).
    private var flavour: RprocModel.KernelFlavour = .unknown
    private let storeWorker: SerialWorker
    private var pollTimer: TimerSource?
    private var channelCache = RpmsgChannelCache()
    /// Called once after the first scan (discovery); READY=1 follows it.
    private var discoveryDone: (() -> Void)?
    /// The crash watchdog (restart policy, coredumps, trace logs) of the configured processors.
    public private(set) var crashWatch: CrashWatch?

    public init(loop: EventLoop, kernel: KernelFiles, store: CounterStore, settings: DaemonSettings, logger: Logger) throws(SyscallError) {
        loop.assertOnLoop()
        self.loop = loop
        self.kernel = kernel
        self.store = store
        self.settings = settings
        self.logger = logger
        self.storeWorker = try SerialWorker(name: "rproc-store", loop: loop)
        self.crashWatch = try CrashWatch(loop: loop, kernel: kernel, stateDirectory: String(store.directory.dropLast("/processors".count)))
        crashWatch?.host = self
    }

    /// Stops the poll and the worker threads, after the kernel write in flight on each (if any)
    /// returns. Never writes to a processor.
    public func shutdown() {
        loop.assertOnLoop()
        pollTimer?.cancel()
        pollTimer = nil
        for processor in processors.values {
            if let job = processor.inFlight {
                // Let the kernel finish what it was asked: killing the writer could abort a boot
                // half-way. The bus is already closed, so nothing new starts.
                logger.notice(
                    "Waiting for job \(job.id) ('\(job.operation.sysfsValue)' on '\(processor.name)') to finish in the kernel.",
                    metadata: metadata(processor))
            }
            processor.worker.shutdown()
        }
        storeWorker.shutdown()
        crashWatch?.shutdown()
    }

    /// Takes new `[Daemon]` settings (SIGHUP, `Reload()`); the poll interval applies at once.
    public func reload(settings: DaemonSettings) {
        loop.assertOnLoop()
        self.settings = settings
        if pollTimer?.isArmed == true { pollTimer?.arm(afterMicroseconds: max(settings.pollIntervalMicroseconds, 10_000)) }
    }

    // MARK: Discovery and polling

    /// Scans the kernel's processors and adopts each as it is (nothing is written), then calls
    /// `completion` on the loop and starts polling every `PollIntervalSec=`.
    public func start(completion: @escaping () -> Void) {
        loop.assertOnLoop()
        discoveryDone = completion
        scan(reason: "discovery")
    }

    /// Re-reads everything now.
    public func rescan(reason: String) {
        loop.assertOnLoop()
        scan(reason: reason)
    }

    /// Re-reads the processors kernel log lines named (their attributes only: a full scan also lists
    /// the processors and reads every rpmsg device, which on a busy board costs a crash's recovery
    /// several milliseconds per line batch). `*`, or a device not known yet (a processor added): a
    /// full scan. The poll stays as it is.
    public func rescan(devices: Set<String>, reason: String) {
        loop.assertOnLoop()
        guard !devices.contains("*"), devices.allSatisfy({ processors[$0] != nil }) else { return scan(reason: reason) }
        for device in devices.sorted(by: Self.deviceOrder) {
            guard let processor = processors[device], processor.inFlight == nil else { continue }
            guard let snapshot = try? Executor.snapshot(kernel, device: device) else { return scan(reason: reason) }
            observe(processor, snapshot)
        }
    }

    static let hostRpmsgDevices: Set<String> = ["rpmsg_ns", "rpmsg_ctrl"]

    /// Runs before every poll: the kernel-log watcher drains what a lost wakeup left unread.
    var beforePoll: (() -> Void)?

    /// Reads the kernel and applies what it shows, on the loop. The reads never block: the kernel's
    /// `state`, `firmware`, `recovery`, `coredump` and `name` handlers take no lock (a boot in flight
    /// holds `rproc->lock`, not them), and the virtual board answers reads while a write is parked.
    /// Reading here rather than on a worker keeps an idle poll to one wakeup.
    private func scan(reason: String) {
        if reason == "poll" {
            beforePoll?()
            crashWatch?.poll()
        }
        apply(Self.scanKernel(kernel, store: store, known: Set(processors.keys), channels: &channelCache), reason: reason)
    }

    /// Lists `sys/class/remoteproc` and reads every processor. Counters are loaded for devices not
    /// yet known.
    static func scanKernel(_ kernel: KernelFiles, store: CounterStore, known: Set<String>, channels: inout RpmsgChannelCache) -> KernelScan {
        var scan = KernelScan(entries: [], unreadable: [], error: nil)
        let devices: [RemoteprocDevice]
        do {
            devices = try kernel.remoteprocDevices()
        } catch {
            scan.error = "\(error)"
            return scan
        }
        for channel in (try? channels.read(kernel)) ?? [] {
            // `rpmsg_ns` and `rpmsg_ctrl` are the host's own devices on every rpmsg bus, not
            // channels the remote announced (kernel-contract.md §7.1).
            guard let owner = channel.remoteproc, !Self.hostRpmsgDevices.contains(channel.name) else { continue }
            let node = channel.characterDevices.first { $0.hasPrefix("rpmsg") && !$0.hasPrefix("rpmsg_ctrl") }.map { "/dev/" + $0 } ?? ""
            scan.channels[owner, default: []].append(
                .init(name: channel.name, deviceNode: node, source: channel.source, destination: channel.destination))
        }
        for device in devices {
            do {
                let snapshot = try Executor.snapshot(kernel, device: device.device)
                var saved: ProcessorCounters?
                if !known.contains(device.device) {
                    let key = CounterStore.key(name: device.name, parent: ManagedProcessor.parentDevice(of: device.devicePath))
                    saved = (try? store.load(key: key)) ?? nil
                }
                scan.entries.append(.init(device: device, snapshot: snapshot, savedCounters: saved))
            } catch {
                scan.unreadable.insert(device.device)
            }
        }
        return scan
    }

    private func apply(_ scan: KernelScan, reason: String) {
        loop.assertOnLoop()
        defer {
            if let done = discoveryDone {
                discoveryDone = nil
                done()
            }
            armPoll()
        }
        if let error = scan.error {
            logger.warning("Failed to list remote processors: \(error), ignoring.")
            return
        }
        let now = loop.now(CLOCK_REALTIME)
        let seen = Set(scan.entries.map(\.device.device)).union(scan.unreadable)
        for device in order where !seen.contains(device) {
            guard let processor = processors.removeValue(forKey: device) else { continue }
            logger.notice("Remote processor '\(processor.name)' ('\(device)') is gone.", metadata: metadata(processor))
            crashWatch?.remove(device: device)
            observer?.processorRemoved(processor)
        }
        for entry in scan.entries {
            if let processor = processors[entry.device.device] {
                let channels = scan.channels[processor.device] ?? []
                if channels != processor.channels {
                    processor.channels = channels
                    observer?.processorChanged(processor)
                }
                // A processor whose kernel writes are in flight is updated by the job itself: this
                // reading may predate the job's writes.
                if processor.inFlight == nil {
                    observe(processor, entry.snapshot)
                }
                continue
            }
            adopt(entry, now: now, reason: reason)
        }
        order = processors.keys.sorted(by: Self.deviceOrder)
    }

    private func adopt(_ entry: KernelScan.Entry, now: UInt64, reason: String) {
        let device = entry.device
        let worker: SerialWorker
        do {
            worker = try SerialWorker(name: "rproc-" + device.device.replacingOccurrences("remoteproc", "rp"), loop: loop)
        } catch {
            logger.error("Failed to start a worker for '\(device.device)': \(error), ignoring the processor.")
            return
        }
        let readOnly = Set(device.readOnlyAttributes.map(\.fileName))
        let processor = ManagedProcessor(
            device: device.device, name: device.name, devicePath: device.devicePath, readOnlyAttributes: readOnly,
            snapshot: entry.snapshot, counters: entry.savedCounters ?? ProcessorCounters(), now: now, worker: worker)
        processors[device.device] = processor
        let how = reason == "discovery" ? "" : " (hotplug)"
        logger.info(
            "Adopted remote processor '\(processor.name)' ('\(processor.device)'), '\(processor.state.sysfsValue)'\(how).",
            metadata: metadata(processor))
        observer?.processorAdded(processor)
        watchCrashes(of: processor)
    }

    private func armPoll() {
        let interval = max(settings.pollIntervalMicroseconds, 10_000)
        if pollTimer == nil {
            pollTimer = try? loop.addTimer(afterMicroseconds: interval, accuracy: interval / 10) { [weak self] in
                self?.scan(reason: "poll")
            }
        } else {
            pollTimer?.arm(afterMicroseconds: interval)
        }
    }

    /// Device order: by the N of `remoteprocN`, then by name.
    static func deviceOrder(_ a: String, _ b: String) -> Bool {
        func number(_ device: String) -> Int {
            device.hasPrefix("remoteproc") ? Int(device.dropFirst("remoteproc".count)) ?? Int.max : Int.max
        }
        return (number(a), a) < (number(b), b)
    }

    // MARK: Applying what the kernel shows

    /// Takes in a fresh snapshot of `processor`: the mirror derives boots, crashes, recoveries and
    /// conditions from the transition.
    func observe(_ processor: ManagedProcessor, _ snapshot: KernelSnapshot) {
        loop.assertOnLoop()
        processor.firmware = snapshot.firmware
        processor.recovery = snapshot.recovery
        processor.coredump = snapshot.coredump
        apply(processor.mirror.observe(state: snapshot.state, at: loop.now(CLOCK_REALTIME)), to: processor)
        let grace = max(3 * settings.pollIntervalMicroseconds, Self.recoveryGrace)
        apply(processor.mirror.check(now: loop.now(CLOCK_REALTIME), recoveryGrace: grace), to: processor)
        observer?.processorChanged(processor)
    }

    /// How long a kernel recovery may keep a crashed processor `offline` before rprocd calls it
    /// stuck (a boot recovery is offline for as long as a boot takes).
    static let recoveryGrace: UInt64 = 10_000_000

    /// Announces and logs what the mirror derived; saves the counters when they changed.
    func apply(_ events: [MirrorEvent], to processor: ManagedProcessor) {
        var save = false
        for event in events {
            switch event {
            case .stateChanged(let from, let to, let reason):
                logger.info(
                    "Remote processor '\(processor.name)' changed from '\(from.sysfsValue)' to '\(to.sysfsValue)' (\(reason)).",
                    metadata: metadata(processor))
                observer?.stateChanged(processor, old: from.sysfsValue, new: to.sysfsValue, reason: reason.description)
            case .crashed(let type, let count):
                save = true
                logger.error(
                    "Remote processor '\(processor.name)' crashed\(type.map { " (\($0.sysfsValue))" } ?? ""), crash #\(count).",
                    metadata: metadata(processor))
                observer?.crashed(processor, type: type?.sysfsValue ?? "", count: count)
            case .crashTypeLearned:
                save = true
            case .recoveredByKernel:
                logger.notice("The kernel recovered '\(processor.name)'.", metadata: metadata(processor))
                observer?.recovered(processor)
            case .booted:
                save = true
            case .conditionChanged(let condition):
                if let condition {
                    logger.warning("Remote processor '\(processor.name)' is '\(condition.sysfsValue)'.", metadata: metadata(processor))
                }
            case .failed(let reason):
                observer?.failed(processor, reason: reason)
            case .jobChanged, .jobFinished:
                continue
            }
        }
        if save { saveCounters(processor) }
        if !events.isEmpty {
            crashWatch?.mirrorEvents(events, device: processor.device, crashCount: processor.mirror.crashCount, bootCount: processor.mirror.bootCount)
        }
    }

    /// A kernel log line about a processor (kept for the coredump metadata).
    func noteKernelLog(_ line: RemoteprocLogLine) {
        crashWatch?.kernelLog(line)
    }

    /// The kernel logged "crash detected in …: type T" for `device`.
    func noteCrash(device: String, type: RprocModel.CrashType) {
        guard let processor = processors[device] else { return }
        apply(processor.mirror.noteCrash(type: type, at: loop.now(CLOCK_REALTIME)), to: processor)
        observer?.processorChanged(processor)
    }

    /// The kernel logged "handling crash #N" for `device`.
    func noteHandlingCrash(device: String, number: UInt32) {
        guard let processor = processors[device] else { return }
        let events = processor.mirror.noteHandlingCrash(number: number, at: loop.now(CLOCK_REALTIME))
        guard !events.isEmpty else { return }
        apply(events, to: processor)
        observer?.processorChanged(processor)
    }

    /// The kernel logged "remote processor … is now up" for `device`.
    func noteBoot(device: String) {
        guard let processor = processors[device], processor.inFlight == nil else { return }
        // Scans read and apply on the loop, so none read before this line (during the kernel's
        // recovery: `offline`) can be applied after it and count the crash twice (kernel tier, 6.1).
        apply(processor.mirror.noteBoot(at: loop.now(CLOCK_REALTIME)), to: processor)
        observer?.processorChanged(processor)
    }

    func saveCounters(_ processor: ManagedProcessor) {
        let counters = processor.counters
        let key = processor.counterKey
        let store = self.store
        let name = processor.name
        let logger = self.logger
        storeWorker.submit {
            do {
                try store.save(counters, key: key)
            } catch {
                logger.warning("Failed to save the counters of '\(name)': \(error), ignoring.")
            }
        }
    }

    /// `[Boot] AutoStart=`: boots every configured offline processor (attaches a detached one),
    /// in `After=`/`Requires=` order, once, after discovery. A processor already up is adopted as is.
    public func autoStart() {
        loop.assertOnLoop()
        guard let configuration else { return }
        var pending: [(ManagedProcessor, ProcessorConfig)] = []
        for processor in sortedProcessors {
            guard let config = configuration.processor(name: processor.name, device: processor.device), config.boot.autoStart,
                processor.state == .offline || processor.state == .detached
            else { continue }
            pending.append((processor, config))
        }
        let rank = Dictionary(configuration.startOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        pending.sort { (rank[$0.1.id] ?? Int.max) < (rank[$1.1.id] ?? Int.max) }
        for (processor, config) in pending {
            let firmware = processor.state == .offline ? config.firmware.file ?? "" : ""
            let name = processor.name
            let accepted = enqueue(.start, on: processor.device, argument: firmware) { [logger] result in
                if case .success = result { logger.info("Started '\(name)' (AutoStart=yes).") }
            }
            if case .failure(let error) = accepted {
                logger.warning("Failed to start '\(name)' (AutoStart=yes): \(error.message) Ignoring.", metadata: metadata(processor))
            }
        }
    }

    // MARK: Lookup

    /// The processor named by a device (`remoteproc0`) or a kernel name (`m4`).
    public func lookup(_ nameOrDevice: String) -> Result<ManagedProcessor, DaemonError> {
        if let processor = processors[nameOrDevice] { return .success(processor) }
        let matches = order.compactMap { processors[$0] }.filter { $0.name == nameOrDevice }
        if matches.count == 1 { return .success(matches[0]) }
        if matches.isEmpty {
            let known = order.compactMap { processors[$0] }.map { "'\($0.name)' (\($0.device))" }.joined(separator: ", ")
            return .failure(DaemonError(
                .noSuchProcessor,
                "No remote processor is called '\(nameOrDevice)'" + (known.isEmpty ? "; the kernel shows none." : "; known: \(known).")))
        }
        let devices = matches.map { "'\($0.device)'" }.joined(separator: ", ")
        return .failure(DaemonError(.noSuchProcessor, "The name '\(nameOrDevice)' is ambiguous: use one of the devices \(devices)."))
    }

    /// Processors in device order.
    public var sortedProcessors: [ManagedProcessor] { order.compactMap { processors[$0] } }

    /// `2 processors, 1 running`: the STATUS= line.
    public var statusLine: String {
        let all = processors.count
        let up = processors.values.filter { $0.state.isUp }.count
        return "\(all) processor\(all == 1 ? "" : "s"), \(up) running"
    }

    // MARK: Operations

    /// Validates a firmware name from a client: InvalidArgs for what the kernel would refuse or
    /// cut (`..`, a newline, NUL, longer than a page).
    static func validateFirmwareName(_ firmware: String) -> DaemonError? {
        if firmware.utf8.count > 255 {
            return DaemonError(.invalidArgs, "The firmware name is \(firmware.utf8.count) bytes long; the limit is 255.")
        }
        if firmware.utf8.contains(where: { $0 == 0x0A || $0 == 0 || $0 == 0x0D }) {
            return DaemonError(.invalidArgs, "The firmware name contains a newline or NUL byte, which the kernel would cut it at.")
        }
        if firmware.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            return DaemonError(.invalidArgs, "The firmware name '\(firmware)' contains a '..' component, which the kernel refuses.")
        }
        return nil
    }

    /// Accepts an operation or refuses it at once. On acceptance returns the job id, announces
    /// JobNew, and calls `completion` on the loop when the job is over (after JobRemoved).
    public func enqueue(
        _ operation: Operation, on nameOrDevice: String, argument: String,
        completion: @escaping (Result<Void, DaemonError>) -> Void
    ) -> Result<(id: UInt32, processor: ManagedProcessor), DaemonError> {
        loop.assertOnLoop()
        let processor: ManagedProcessor
        switch lookup(nameOrDevice) {
        case .success(let found): processor = found
        case .failure(let error): return .failure(error)
        }
        return begin(operation, on: processor, argument: argument, byPolicy: false, completion: completion)
    }

    /// Accepts an operation on `processor` (a user's, or the restart policy's with `byPolicy`).
    func begin(
        _ operation: Operation, on processor: ManagedProcessor, argument: String, byPolicy: Bool,
        completion: @escaping (Result<Void, DaemonError>) -> Void
    ) -> Result<(id: UInt32, processor: ManagedProcessor), DaemonError> {
        if let error = Self.validateFirmwareName(argument) { return .failure(error) }
        if let inFlight = processor.inFlight {
            return .failure(DaemonError(
                .busy, "'\(processor.name)' is busy with '\(inFlight.operation.sysfsValue)' (job \(inFlight.id)); try again when it is done."))
        }
        // Only a planned operation with writes counts as a start (StartLimitBurst=), as in systemd:
        // not a refused one, nor a start of a processor already up.
        if !byPolicy, operation == .resetFailed { _ = admitUserOperation(operation, processor) }
        if operation == .resetFailed {
            let id = takeJobID()
            observer?.jobNew(id: id, processor: processor, operation: operation)
            apply(processor.mirror.resetFailed(), to: processor)
            observer?.processorChanged(processor)
            observer?.jobRemoved(id: id, processor: processor, operation: operation, result: processor.result, error: nil)
            completion(.success(()))
            return .success((id, processor))
        }
        if operation == .update || operation == .rollback {
            return .failure(DaemonError(
                .notSupported, "An update is not a single job: call the processor's Update(s path) or Rollback() ('rprocctl update', 'rprocctl rollback')."))
        }
        flavour = flavour.refined(bySeeing: processor.state)
        let facts = ProcessorFacts(
            flavour: flavour, readOnly: processor.isReadOnly,
            kernelFirmware: processor.firmware.isEmpty || processor.state == .attached ? nil : processor.firmware,
            condition: processor.condition)
        let plan: Plan
        switch Planner.plan(operation, firmware: argument, state: processor.state, job: processor.job, facts: facts) {
        case .success(let planned): plan = planned
        case .failure(let refusal): return .failure(DaemonError(refusal, processor: processor.name))
        }
        if !byPolicy, !plan.steps.isEmpty, let refusal = admitUserOperation(operation, processor) { return .failure(refusal) }
        let id = takeJobID()
        processor.inFlight = (id, operation)
        apply(
            processor.mirror.beginJob(operation, job: plan.steps.first(where: { $0.job != .idle })?.job ?? .idle, byPolicy: byPolicy),
            to: processor)
        observer?.jobNew(id: id, processor: processor, operation: operation)
        observer?.processorChanged(processor)
        if plan.steps.isEmpty {
            finish(processor, id: id, operation: operation, report: nil, completion: completion)
            return .success((id, processor))
        }
        logger.info("Job \(id): \(operation.sysfsValue) '\(processor.name)'.", metadata: metadata(processor))
        let kernel = self.kernel
        let device = processor.device
        let name = processor.name
        let steps = plan.steps
        let memory = memoryWindows(of: processor)
        let stepStarted = LoopBound({ [weak self, weak processor] (step: PlanStep) in
            guard let self, let processor else { return }
            self.apply(processor.mirror.beginStep(step), to: processor)
            self.observer?.processorChanged(processor)
        }, loop: loop)
        let loop = self.loop
        let onStep: @Sendable (PlanStep) -> Void = { step in loop.post { stepStarted.value(step) } }
        processor.worker.submit({
            Executor.run(steps, kernel: kernel, device: device, name: name, memory: memory, onStep: onStep)
        }) { [weak self, weak processor] report in
            guard let self, let processor else { return }
            self.finish(processor, id: id, operation: operation, report: report, completion: completion)
        }
        return .success((id, processor))
    }

    /// `Ready`: up, and every `[Boot] ReadyOn=` channel announced (just up when none is configured).
    public func isReady(_ processor: ManagedProcessor) -> Bool {
        guard processor.state.isUp else { return false }
        let wanted = configuration?.processor(name: processor.name, device: processor.device)?.boot.readyOn ?? []
        return wanted.allSatisfy { name in processor.channels.contains { $0.name == name } }
    }

    /// `[Memory] Window=` of the processor's configuration; nil (unknown) when none is configured.
    func memoryWindows(of processor: ManagedProcessor) -> [MemoryRegion]? {
        guard let windows = configuration?.processor(name: processor.name, device: processor.device)?.memoryWindows,
            !windows.isEmpty
        else { return nil }
        return windows.map { MemoryRegion(da: $0.deviceAddress, length: $0.length) }
    }

    private func takeJobID() -> UInt32 {
        defer { nextJobID = nextJobID == UInt32.max ? 1 : nextJobID + 1 }
        return nextJobID
    }

    private func finish(
        _ processor: ManagedProcessor, id: UInt32, operation: Operation, report: ExecutionReport?,
        completion: (Result<Void, DaemonError>) -> Void
    ) {
        loop.assertOnLoop()
        processor.inFlight = nil
        let now = loop.now(CLOCK_REALTIME)
        for (step, outcome) in report?.outcomes ?? [] {
            apply(processor.mirror.finishStep(step, outcome: outcome, at: now).events, to: processor)
        }
        if let after = report?.after {
            processor.firmware = after.firmware
            processor.recovery = after.recovery
            processor.coredump = after.coredump
            apply(processor.mirror.observe(state: after.state, at: now), to: processor)
        }
        let error = report?.error
        let result: ProcessorResult = error == nil ? .success : (report?.kernelRefused == true ? .kernelRefused : processor.result)
        apply(processor.mirror.endJob(result: result, error: error?.message), to: processor)
        if let error {
            saveCounters(processor)
            logger.error("Failed to \(operation.sysfsValue) '\(processor.name)': \(error.message)", metadata: metadata(processor))
        }
        observer?.processorChanged(processor)
        observer?.jobRemoved(id: id, processor: processor, operation: operation, result: processor.result, error: error)
        if let error { completion(.failure(error)) } else { completion(.success(())) }
    }

    func metadata(_ processor: ManagedProcessor) -> Logger.Metadata {
        [LogKey.device: "\(processor.device)", LogKey.name: "\(processor.name)", LogKey.state: "\(processor.state.sysfsValue)"]
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
