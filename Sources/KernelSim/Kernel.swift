import RprocFirmware

/// The simulated remoteproc core of one board: every processor, its files, the kernel log.
///
/// Deterministic: given the same board, firmware and calls with the same times, it produces the
/// same answers. Not thread-safe: the adapter serializes all calls.
public final class Kernel: SimulatedKernel {
    public let board: BoardDescription
    let firmwareSource: FirmwareSource
    /// The firmware stages of the kernel this board runs (RprocFirmware).
    let loader: KernelLoader
    var line: KernelLine { board.kernelLine }
    var flavour: KernelFlavour { board.flavour }

    /// The model's current time: the time of the event being processed.
    var now: SimTime
    var log = KernelLog()
    var processors: [Processor] = []
    /// Device directories of removed processors: their files answer ENODEV (sysfs) / EIO (debugfs).
    var removedPaths: [String] = []
    /// `firmware_class.path` as stored.
    var firmwarePath: [UInt8]
    var debianHintShown = false

    // Scheduling
    struct Event {
        let time: SimTime
        let order: UInt64
        let action: () -> Void
    }
    var events: [Event] = []
    var eventOrder: UInt64 = 0
    var nextTicket: UInt64 = 1
    var results: [UInt64: Result<Int, KernelErrno>] = [:]
    var blocked: [UInt64: Job] = [:]

    // Global device numbering
    var platformIds = Set<Int>()
    var virtioIds = Set<Int>()
    /// The `rpmsg_ept_ida`: N of every `/dev/rpmsgN`.
    var rpmsgCharIds = Set<Int>()
    /// `dev/rpmsgN` paths whose endpoint went away and whose N is not reused yet.
    var goneRpmsgChars = Set<String>()
    var devcoredumps: [Devcoredump] = []
    var devcoredumpCount = 0
    var devcoredumpDisabled = false
    var dumpWaiters: [Int: Job] = [:]

    /// The file tree depends only on structure (processors, their trace files and child devices,
    /// devcoredumps); every change of those sets this to nil. File contents are computed at read.
    var treeCache: FileTree?

    /// Registers the board's processors in order (remoteproc0, 1, …) at `now`, as the drivers'
    /// probes do; auto-boot and auto-attach are scheduled, not run (call `advance`), except the
    /// CLASSIC synchronous auto-attach of a detached processor.
    public init(board: BoardDescription, firmware: FirmwareSource, now: SimTime = .zero) {
        self.board = board
        self.firmwareSource = firmware
        let profile: KernelProfile
        switch (board.kernelLine, board.flavour) {
        case (.v6_1, .classic): profile = .linux6_1Classic
        case (.v6_1, _): profile = .linux6_1New
        case (.v6_12, .classic): profile = .linux6_12Classic
        case (.v6_12, .new): profile = .linux6_12New
        case (.v6_12, .newPlus): profile = .linux6_12_117
        }
        self.loader = KernelLoader(profile: profile)
        self.now = now
        var path = Array(board.firmwareClassPath.utf8)
        if board.kernelLine == .v6_12, path.last == 0x0a { path.removeLast() }
        self.firmwarePath = path
        for description in board.processors { register(description) }
    }

    // MARK: Kernel log

    func logRproc(_ p: Processor, _ level: LogLevel, _ text: String) { log.append(level, p.log, text, at: now) }
    func logParent(_ p: Processor, _ level: LogLevel, _ text: String) { log.append(level, p.parentLog, text, at: now) }

    /// The texts of the kept kernel-log records, oldest first (for tests and diagnostics).
    public var kernelLogTexts: [String] { log.texts }

    public func kmsgRecord(atOrAfter sequence: UInt64) -> SimKmsgRecord? { log.record(atOrAfter: sequence) }
    public var kmsgNextSequence: UInt64 { log.nextSequence }

    // MARK: Events

    func schedule(at time: SimTime, _ action: @escaping () -> Void) {
        let e = Event(time: max(time, now), order: eventOrder, action: action)
        eventOrder += 1
        let i = events.firstIndex { ($0.time, $0.order) > (e.time, e.order) } ?? events.count
        events.insert(e, at: i)
    }

    func schedule(afterMs ms: UInt64, _ action: @escaping () -> Void) { schedule(at: now + ms, action) }

    public var nextDeadline: SimTime? { events.first?.time }

    public func advance(to time: SimTime) {
        while let e = events.first, e.time <= time {
            events.removeFirst()
            if e.time > now { now = e.time }
            e.action()
        }
        if time > now { now = time }
    }

    // MARK: rproc->lock

    /// Queues `job` on its processor's lock; runs it at once if the lock is free.
    func acquire(_ job: Job) {
        let p = job.processor
        if p.lockHolder == nil {
            p.lockHolder = job
            run(job)
        } else {
            p.lockQueue.append(job)
        }
    }

    /// Runs the lock holder until it finishes or waits.
    func run(_ job: Job) {
        guard let step = job.continuation else { return }
        job.continuation = nil
        switch step() {
        case .done(let r):
            let p = job.processor
            p.lockHolder = nil
            job.finish(r)
            if p.lockHolder == nil, !p.lockQueue.isEmpty {
                let next = p.lockQueue.removeFirst()
                p.lockHolder = next
                run(next)
            }
        case .sleep(let ms, let next):
            job.continuation = next
            schedule(afterMs: ms) { self.run(job) }
        case .waitDump(let id, let next):
            job.continuation = next
            dumpWaiters[id] = job
        }
    }

    /// Submits a write that takes `rproc->lock`: completed if it finishes without waiting.
    func submitLocked(
        _ p: Processor, body: @escaping () -> Flow, result: @escaping (Int32) -> Result<Int, KernelErrno>,
        interrupted: @escaping () -> Result<Int, KernelErrno>
    ) -> SimWriteStart {
        let ticket = SimTicket(rawValue: nextTicket)
        nextTicket += 1
        let raw = ticket.rawValue
        let job = Job(
            p, ticket: ticket, body: body,
            finish: { [unowned self] r in self.results[raw] = result(r); self.blocked[raw] = nil },
            interrupted: { [unowned self] in self.results[raw] = interrupted(); self.blocked[raw] = nil })
        blocked[raw] = job
        acquire(job)
        if let r = results[raw] {
            results[raw] = nil
            return .completed(r)
        }
        return .pending(ticket)
    }

    /// A background work item that takes the lock (crash work, auto-boot, recovery).
    func work(_ p: Processor, _ body: @escaping () -> Flow, then: @escaping (Int32) -> Void = { _ in }) {
        acquire(Job(p, ticket: nil, body: body, finish: then, interrupted: nil))
    }

    public func result(of ticket: SimTicket) -> Result<Int, KernelErrno>? { results[ticket.rawValue] }

    public func interrupt(_ ticket: SimTicket, now time: SimTime) -> Bool {
        advance(to: time)
        guard let job = blocked[ticket.rawValue], let interrupted = job.interrupted else { return false }
        let p = job.processor
        guard let i = p.lockQueue.firstIndex(where: { $0 === job }) else { return false }
        p.lockQueue.remove(at: i)
        interrupted()
        treeCache = nil
        return true
    }

    /// A control-file write (`.sim/remove`) that completes later.
    func pendingControl() -> (SimTicket, (Result<Int, KernelErrno>) -> Void) {
        let ticket = SimTicket(rawValue: nextTicket)
        nextTicket += 1
        return (ticket, { [unowned self] r in self.results[ticket.rawValue] = r })
    }

    // MARK: Registration (rproc_add) and removal (rproc_del)

    /// Registers a processor as `rproc_add` does; returns it.
    @discardableResult
    func register(_ d: ProcessorDescription) -> Processor {
        var index = 0
        while processors.contains(where: { $0.index == index }) { index += 1 }
        let p = Processor(description: d, index: index)
        if board.remoteprocCdev { p.cdevMajor = board.cdevMajor }
        processors.append(p)
        processors.sort { $0.index < $1.index }
        removedPaths.removeAll { $0 == p.devicePath || $0 == p.debugPath }
        treeCache = nil
        if d.initialState == .detached, let fw = d.preloadedFirmware { preload(p, fw) }
        logRproc(p, .info, "\(d.name) is available")
        guard d.autoBoot else { return p }
        if d.initialState == .detached {
            if flavour == .classic {
                work(p, { self.boot(p) }) { r in
                    if r != 0 { self.probeFailed(p, r) }
                }
            } else {
                schedule(afterMs: d.autoBootDelayMs) { if !p.removed { self.work(p, { self.boot(p) }) } }
            }
        } else {
            schedule(afterMs: d.autoBootDelayMs) {
                guard !p.removed else { return }
                // request_firmware_nowait, then rproc_auto_boot_callback → rproc_boot.
                _ = self.requestFirmware(p)
                self.work(p, { self.boot(p) })
            }
        }
        return p
    }

    /// CLASSIC: the synchronous auto-attach failed, so `rproc_add` and the probe fail.
    func probeFailed(_ p: Processor, _ r: Int32) {
        let last = p.description.parent.split(separator: "/").last.map(String.init) ?? p.description.parent
        vanish(p)
        log.append(.warn, nil, "\(p.description.driverName): probe of \(last) failed with error \(r)", at: now)
    }

    /// Loads the "bootloader" image of a detached processor into its device memory.
    func preload(_ p: Processor, _ name: String) {
        guard let bytes = searchFirmware(Array(name.utf8), logging: nil).success,
            let image = try? FirmwareImage(parsing: bytes)
        else { return }
        if case .success(let loads) = loader.loadSegments(image, isMapped: { p.translate($0, $1) != nil }) {
            for load in loads { copySegment(bytes, load, into: p) }
        }
        if case .success = loader.loadResourceTable(image), let s = image.resourceTable?.section {
            p.loadedTableLocation = (s.address, Int(s.size))
        }
    }

    /// `rproc_del` (driver unbind): runs `rproc_shutdown()` once, then removes the device after
    /// the board's deletion window; `done` is called when the device is gone.
    func unregister(_ p: Processor, done: @escaping () -> Void) {
        if flavour.isNew {
            p.deleting = true
        }
        work(p, { self.shutdown(p) }) { _ in
            if self.flavour == .classic { p.state = .deleted }
            self.schedule(afterMs: self.board.deletionWindowMs) {
                self.vanish(p)
                done()
            }
        }
    }

    /// `device_del`: the device and its debugfs directory disappear; its index is free again.
    func vanish(_ p: Processor) {
        guard !p.removed else { return }
        p.removed = true
        p.runGeneration &+= 1
        processors.removeAll { $0 === p }
        removedPaths.append(p.devicePath)
        removedPaths.append(p.debugPath)
        let queued = p.lockQueue
        p.lockQueue = []
        for job in queued { job.finish(KernelErrno.ENODEV.negative) }
        treeCache = nil
    }
}

extension Result {
    var success: Success? {
        if case .success(let s) = self { return s }
        return nil
    }
}

/// What the model knows about one processor that its files do not show (for `rproc-sim`
/// diagnostics and tests): the hidden power refcount, the crash count, the lock queue.
public struct ProcessorSnapshot: Sendable, Equatable {
    /// N of remoteprocN.
    public var index: Int
    public var name: String
    public var state: ProcessorStateValue
    /// `rproc->power`.
    public var power: Int
    /// `rproc->crash_cnt`.
    public var crashCount: UInt32
    /// NEW's `rproc->deleting`.
    public var deleting: Bool
    /// Whether an operation holds `rproc->lock`, and how many writers wait for it.
    public var lockHeld: Bool
    public var lockWaiters: Int
}

extension Kernel {
    /// The registered processors, by index.
    public var processorSnapshots: [ProcessorSnapshot] {
        processors.map {
            ProcessorSnapshot(
                index: $0.index, name: $0.name, state: $0.state, power: $0.power, crashCount: $0.crashCount,
                deleting: $0.deleting, lockHeld: $0.lockHolder != nil, lockWaiters: $0.lockQueue.count)
        }
    }
}
