// The manager: every processor the kernel shows, adopted as it is; operations planned, then run
// on the processor's worker; the kernel's `state` polled as the safety net. All state here
// belongs to the event loop's thread.

import Glibc
import Logging
import RprocEventLoop
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
    func jobNew(id: UInt32, processor: ManagedProcessor, operation: Operation)
    func jobRemoved(id: UInt32, processor: ManagedProcessor, operation: Operation, result: ProcessorResult, error: DaemonError?)
}

/// One scan of the kernel's processors, made off the loop.
struct KernelScan: Sendable {
    struct Entry: Sendable {
        var device: RemoteprocDevice
        var snapshot: KernelSnapshot
        var savedCounters: ProcessorCounters?
    }
    var entries: [Entry]
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
    private var flavour: KernelFlavour = .unknown
    private let reader: SerialWorker
    private let storeWorker: SerialWorker
    private var pollTimer: TimerSource?
    private var scanInFlight = false
    /// A rescan was asked for while one was in flight: run another when it is done.
    private var rescanRequested = false
    /// Called once after the first scan (discovery); READY=1 follows it.
    private var discoveryDone: (() -> Void)?

    public init(loop: EventLoop, kernel: KernelFiles, store: CounterStore, settings: DaemonSettings, logger: Logger) throws(SyscallError) {
        loop.assertOnLoop()
        self.loop = loop
        self.kernel = kernel
        self.store = store
        self.settings = settings
        self.logger = logger
        self.reader = try SerialWorker(name: "rproc-scan", loop: loop)
        self.storeWorker = try SerialWorker(name: "rproc-store", loop: loop)
    }

    /// Stops the poll and the worker threads (after their queued jobs). Never writes to a processor.
    public func shutdown() {
        loop.assertOnLoop()
        pollTimer?.cancel()
        pollTimer = nil
        reader.shutdown()
        for processor in processors.values { processor.worker.shutdown() }
        storeWorker.shutdown()
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

    /// Re-reads everything now (also what the kernel-log accelerator calls).
    public func rescan(reason: String) {
        loop.assertOnLoop()
        scan(reason: reason)
    }

    /// Calls `body` on the loop once the scans queued so far have been applied.
    func afterScans(_ body: @escaping () -> Void) {
        reader.submit({ () }) { _ in body() }
    }

    private func scan(reason: String) {
        guard !scanInFlight else {
            rescanRequested = true
            return
        }
        scanInFlight = true
        let kernel = self.kernel
        let store = self.store
        let known = Set(processors.keys)
        reader.submit({ Self.scanKernel(kernel, store: store, known: known) }) { [weak self] scan in
            self?.apply(scan, reason: reason)
        }
    }

    /// Off the loop: lists `sys/class/remoteproc` and reads every processor. Counters are loaded
    /// for devices not yet known.
    static func scanKernel(_ kernel: KernelFiles, store: CounterStore, known: Set<String>) -> KernelScan {
        var scan = KernelScan(entries: [], unreadable: [], error: nil)
        let devices: [RemoteprocDevice]
        do {
            devices = try kernel.remoteprocDevices()
        } catch {
            scan.error = "\(error)"
            return scan
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
        scanInFlight = false
        defer {
            if let done = discoveryDone {
                discoveryDone = nil
                done()
            }
            if rescanRequested {
                rescanRequested = false
                self.scan(reason: "kernel log")
            } else {
                armPoll()
            }
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
            observer?.processorRemoved(processor)
        }
        for entry in scan.entries {
            if let processor = processors[entry.device.device] {
                // A processor whose kernel writes are in flight is updated by the job itself.
                if processor.inFlight == nil { observe(processor, entry.snapshot, reason: reason == "discovery" ? reason : "kernel") }
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

    /// Takes in a fresh snapshot of `processor`: counts boots and crashes from the transitions,
    /// announces StateChanged, infers conditions.
    func observe(_ processor: ManagedProcessor, _ snapshot: KernelSnapshot, reason: String) {
        loop.assertOnLoop()
        let old = processor.state
        let new = snapshot.state
        processor.firmware = snapshot.firmware
        processor.recovery = snapshot.recovery
        processor.coredump = snapshot.coredump
        if old != new {
            processor.state = new
            processor.stateChangeMicroseconds = loop.now(CLOCK_REALTIME)
            var countersChanged = false
            if new == .running && old != .running {
                processor.counters.boots &+= 1
                countersChanged = true
            }
            if new == .crashed {
                processor.counters.crashes &+= 1
                processor.counters.lastCrashMicroseconds = processor.stateChangeMicroseconds
                processor.result = .crash
                countersChanged = true
                logger.error("Remote processor '\(processor.name)' crashed.", metadata: metadata(processor))
            }
            if new.isUp { processor.condition = processor.condition == .heldByOtherUser ? .heldByOtherUser : nil }
            if new == .offline && old == .crashed && processor.inFlight == nil {
                // Recovery passes through `offline`; if it stays there, the recovery failed (contract §3.2).
                processor.condition = .stuckAfterFailedRecovery
            }
            if new == .offline && old != .crashed { processor.condition = nil }
            if countersChanged { saveCounters(processor) }
            logger.info(
                "Remote processor '\(processor.name)' changed from '\(old.sysfsValue)' to '\(new.sysfsValue)' (\(reason)).",
                metadata: metadata(processor))
            observer?.stateChanged(processor, old: old.sysfsValue, new: new.sysfsValue, reason: reason)
        }
        observer?.processorChanged(processor)
    }

    /// The kernel logged "crash detected in …: type T" for `device`: the type of its last crash.
    func noteCrashType(device: String, type: String) {
        guard let processor = processors[device] else { return }
        processor.counters.lastCrashType = type
        saveCounters(processor)
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
        if let error = Self.validateFirmwareName(argument) { return .failure(error) }
        if let inFlight = processor.inFlight {
            return .failure(DaemonError(
                .busy, "'\(processor.name)' is busy with '\(inFlight.operation.sysfsValue)' (job \(inFlight.id)); try again when it is done."))
        }
        if processor.job == .failed && operation != .resetFailed && operation != .stop {
            return .failure(DaemonError(.failed, "'\(processor.name)' is failed: call ResetFailed before starting it again."))
        }
        if operation == .resetFailed {
            processor.job = processor.job == .failed ? .idle : processor.job
            processor.restartCount = 0
            processor.result = .success
            let id = takeJobID()
            observer?.jobNew(id: id, processor: processor, operation: operation)
            observer?.processorChanged(processor)
            observer?.jobRemoved(id: id, processor: processor, operation: operation, result: .success, error: nil)
            completion(.success(()))
            return .success((id, processor))
        }
        if operation == .update || operation == .rollback {
            return .failure(DaemonError(.notSupported, "Firmware updates are not implemented by this rprocd yet."))
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
        let id = takeJobID()
        processor.inFlight = (id, operation)
        processor.job = plan.steps.first(where: { $0.job != .idle })?.job ?? .idle
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
        processor.worker.submit({ Executor.run(steps, kernel: kernel, device: device, name: name) }) { [weak self, weak processor] report in
            guard let self, let processor else { return }
            self.finish(processor, id: id, operation: operation, report: report, completion: completion)
        }
        return .success((id, processor))
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
        processor.job = processor.job == .failed ? .failed : .idle
        var result: ProcessorResult = .success
        if let report {
            if let after = report.after { observe(processor, after, reason: operation.sysfsValue) }
            if let condition = report.condition { processor.condition = condition }
            if let error = report.error {
                result = report.kernelRefused ? .kernelRefused : processor.result
                processor.counters.lastError = error.message
                saveCounters(processor)
                logger.error("Failed to \(operation.sysfsValue) '\(processor.name)': \(error.message)", metadata: metadata(processor))
            } else if operation == .start || operation == .restart || operation == .attach {
                processor.condition = processor.condition == .heldByOtherUser ? nil : processor.condition
            }
        }
        if report?.error == nil && operation == .stop { processor.condition = nil }
        processor.result = report?.error == nil ? (processor.state == .crashed ? .crash : .success) : result
        observer?.processorChanged(processor)
        observer?.jobRemoved(id: id, processor: processor, operation: operation, result: processor.result, error: report?.error)
        if let error = report?.error { completion(.failure(error)) } else { completion(.success(())) }
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
