// The FUSE filesystem over a `SimulatedKernel`: one mutex around the model, one timer thread that
// advances the model to the real clock, and the kernel's file semantics (sysfs show snapshots,
// one store per write(2), /dev/kmsg records) mapped onto FUSE requests. The model decides every
// errno, string and state; this file only carries them.

import CFuse3
import Glibc
import KernelSim
import RprocFirmware

/// A kernel model presented as files: the FUSE operations of a mounted virtual board.
///
/// All model calls happen with `monitor` held. Requests the kernel would block (a slow `start`, a
/// writer queued on `rproc->lock`, a `dev/kmsg` read with nothing new) are not answered on the FUSE
/// worker thread: they are parked, and whoever next advances the model (the timer thread, or any
/// other request) answers them, so a blocked writer never holds a worker thread or the lock.
public final class BoardFilesystem: @unchecked Sendable {
    let kernel: any SimulatedKernel
    /// The host directory behind `lib/firmware`.
    public let firmware: FirmwareDirectory
    let clock = BoardClock()
    let monitor = Monitor()
    /// The time stamps every model node shows (kernfs shows the creation time).
    let createdAt: timespec

    // Guarded by `monitor`.
    var nodes = NodeTable()
    var pendingWrites: [(ticket: SimTicket, request: FuseRequest)] = []
    var kmsgReaders: [UInt: KmsgWait] = [:]
    var kmsgFiles: [ObjectIdentifier: OpenFile] = [:]
    var kmsgSequenceSeen: UInt64 = 0
    private var stopping = false
    private var timerThread: pthread_t?

    /// - Parameters:
    ///   - kernel: the model; from now on only this object calls it.
    ///   - firmware: the directory the model's `FirmwareSource` reads (the same object).
    public init(kernel: any SimulatedKernel, firmware: FirmwareDirectory) {
        self.kernel = kernel
        self.firmware = firmware
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        createdAt = now
        kmsgSequenceSeen = kernel.kmsgNextSequence
    }

    /// The board's current time (monotonic, since this object was created).
    public var now: SimTime { clock.now }

    /// Runs `body` on the model with the lock held (for callers outside FUSE, e.g. a benchmark).
    public func withKernel<T>(_ body: (any SimulatedKernel) -> T) -> T {
        monitor.withLock { body(kernel) }
    }

    // MARK: The timer thread

    /// Starts the thread that advances the model at its deadlines and answers parked requests.
    func startTimer() {
        stopping = false
        timerThread = startThread { [self] in runTimer() }
    }

    /// Stops the timer thread. Parked requests stay unanswered: unmounting aborts the connection,
    /// which fails them in the kernel.
    func stopTimer() {
        monitor.withLock {
            stopping = true
            monitor.broadcast()
        }
        if let thread = timerThread { pthread_join(thread, nil) }
        timerThread = nil
    }

    private func runTimer() {
        monitor.lock()
        while !stopping {
            let now = clock.now
            for reply in serviceLocked(now: now) { reply.send() }
            var deadline = kernel.nextDeadline
            if let due = deadline, due <= now {
                // The model kept a deadline it has already run: do not spin on it.
                deadline = now + 1
            }
            monitor.wait(untilMonotonic: deadline.map { clock.monotonic(at: $0) })
        }
        monitor.unlock()
    }

    /// Advances the model to `now`, then collects the answers for parked writes and `dev/kmsg`
    /// readers and the poll wake-ups that are now due. Call with `monitor` held.
    func serviceLocked(now: SimTime) -> [DeferredReply] {
        kernel.advance(to: now)
        var replies: [DeferredReply] = []
        if !pendingWrites.isEmpty {
            pendingWrites.removeAll { pending in
                guard let result = kernel.result(of: pending.ticket) else { return false }
                replies.append(.write(pending.request, result))
                return true
            }
        }
        let next = kernel.kmsgNextSequence
        if next != kmsgSequenceSeen {
            kmsgSequenceSeen = next
            for (key, wait) in kmsgReaders {
                guard let outcome = kmsgAttempt(wait.file, size: wait.size) else { continue }
                kmsgReaders[key] = nil
                replies.append(outcome.reply(to: wait.request))
            }
            for file in kmsgFiles.values {
                if let handle = file.pollHandle {
                    file.pollHandle = nil
                    replies.append(.pollWakeup(handle))
                }
            }
        }
        return replies
    }

    /// Runs `body` with the lock held, after advancing the model to now; sends the replies that
    /// became due once the lock is released.
    func withService<T>(_ body: (SimTime) -> T) -> T {
        monitor.lock()
        let now = clock.now
        let due = serviceLocked(now: now)
        let deadline = kernel.nextDeadline
        let result = body(now)
        let after = serviceLocked(now: now)
        // A request that scheduled model work (a write whose rpmsg announcement is due in 5 ms)
        // wakes the timer thread, which otherwise sleeps until the deadline it saw before.
        if kernel.nextDeadline != deadline { monitor.broadcast() }
        monitor.unlock()
        for reply in due { reply.send() }
        for reply in after { reply.send() }
        return result
    }

    // MARK: Nodes

    /// What a board path is: a model node or a host file below `lib/firmware`.
    enum Resolved {
        case model(SimNode)
        case host(stat)
    }

    /// Resolves `path`. For model paths call with `monitor` held.
    func resolveLocked(_ path: String) -> Result<Resolved, KernelErrno> {
        if FirmwareDirectory.contains(path) {
            var info = stat()
            let host = firmware.hostPath(ofBoardPath: path)
            // The directory itself may be a symlink on the host: show what it points to.
            let result = path == FirmwareDirectory.boardPath ? stat(host, &info) : lstat(host, &info)
            guard result == 0 else { return .failure(KernelErrno(rawValue: errno)) }
            return .success(.host(info))
        }
        switch kernel.stat(path) {
        case .success(let node): return .success(.model(node))
        case .failure(let errno):
            // The root and `lib` are the adapter's when the model does not show them.
            if path.isEmpty || path == "lib" { return .success(.model(.directory(mode: 0o755))) }
            return .failure(errno)
        }
    }

    /// The names in directory `path` (without "." and ".."). Call with `monitor` held.
    func listLocked(_ path: String) -> Result<[String], KernelErrno> {
        if FirmwareDirectory.contains(path) { return hostList(firmware.hostPath(ofBoardPath: path)) }
        var names: [String]
        switch kernel.list(path) {
        case .success(let list): names = list
        case .failure(let errno):
            guard path.isEmpty || path == "lib" else { return .failure(errno) }
            names = []
        }
        let adapterChild = path.isEmpty ? "lib" : path == "lib" ? "firmware" : nil
        if let adapterChild, !names.contains(adapterChild) { names.append(adapterChild) }
        return .success(names)
    }

    /// The attributes of a resolved node. Call with `monitor` held. With `countLinks`, a
    /// directory's `st_nlink` counts its subdirectories (2 + n, as kernfs shows); lookups skip
    /// that (the kernel asks getattr again before it shows attributes: the timeout is 0).
    func attributesLocked(_ resolved: Resolved, path: String, inode: UInt64, countLinks: Bool = false) -> stat {
        var info: stat
        switch resolved {
        case .host(let host):
            info = host
        case .model(let node):
            info = stat()
            info.st_uid = 0
            info.st_gid = 0
            info.st_atim = createdAt
            info.st_mtim = createdAt
            info.st_ctim = createdAt
            info.st_blksize = 4096
            switch node {
            case .directory(let mode):
                info.st_mode = S_IFDIR | mode_t(mode)
                info.st_nlink = 2 + UInt(countLinks ? subdirectoryCountLocked(path) : 0)
            case .file(let mode, let size):
                info.st_mode = S_IFREG | mode_t(mode)
                info.st_nlink = 1
                info.st_size = Int(clamping: size)
            case .symlink(let target):
                info.st_mode = S_IFLNK | 0o777
                info.st_nlink = 1
                info.st_size = target.utf8.count
            case .characterDevice(let mode):
                // FUSE sends requests only for regular files: a device node on a FUSE mount would
                // open the host's device. `dev/kmsg` is a regular file with the device's mode.
                info.st_mode = S_IFREG | mode_t(mode)
                info.st_nlink = 1
            }
        }
        info.st_ino = UInt(inode)
        return info
    }

    private func subdirectoryCountLocked(_ path: String) -> Int {
        guard case .success(let names) = listLocked(path) else { return 0 }
        var count = 0
        for name in names {
            if case .success(.model(.directory)) = resolveLocked(NodeTable.join(path, name)) { count += 1 }
            else if case .success(.host(let info)) = resolveLocked(NodeTable.join(path, name)),
                info.st_mode & S_IFMT == S_IFDIR { count += 1 }
        }
        return count
    }

    /// The permission bits that apply to a caller that is not root, for a node owned by root:root.
    static func callerBits(mode: mode_t, request: FuseRequest) -> mode_t? {
        if request.callerUID == 0 { return nil }
        return request.callerGID == 0 ? (mode >> 3) & 7 : mode & 7
    }

    /// Whether the caller may access a model node with these mode bits (the VFS's generic check;
    /// root passes it, as the kernfs model's own `openCheck` handles root's special case).
    static func callerMay(_ want: mode_t, mode: mode_t, request: FuseRequest) -> Bool {
        guard let bits = callerBits(mode: mode, request: request) else { return true }
        return bits & want == want
    }

    // MARK: dev/kmsg

    /// A `dev/kmsg` read waiting for the next record.
    struct KmsgWait {
        let request: FuseRequest
        let file: OpenFile
        let size: Int
    }

    enum KmsgOutcome {
        case record([UInt8])
        case failure(Int32)

        func reply(to request: FuseRequest) -> DeferredReply {
            switch self {
            case .record(let bytes): .bytes(request, bytes)
            case .failure(let code): .failure(request, code)
            }
        }
    }

    /// One `devkmsg_read`: the record at the file's cursor, EPIPE when it was overwritten (the
    /// cursor moves to the oldest kept record), EINVAL when the buffer is too small for it (the
    /// cursor stays); nil when there is nothing newer. Call with `monitor` held.
    func kmsgAttempt(_ file: OpenFile, size: Int) -> KmsgOutcome? {
        guard let record = kernel.kmsgRecord(atOrAfter: file.cursor) else { return nil }
        if record.sequence > file.cursor {
            file.cursor = record.sequence
            return .failure(EPIPE)
        }
        if record.bytes.count > size { return .failure(EINVAL) }
        file.cursor = record.sequence + 1
        return .record(record.bytes)
    }

    /// The cursor of a new `dev/kmsg` open: the oldest record still kept.
    func kmsgFirstSequenceLocked() -> UInt64 {
        kernel.kmsgRecord(atOrAfter: 0)?.sequence ?? kernel.kmsgNextSequence
    }

    /// Parks `request` until the model or an interrupt answers it. Call with `monitor` held: the
    /// interrupt callback may run at once (if the request was already interrupted) and takes the
    /// lock again, and nobody can answer the request before it is registered.
    func registerForInterrupt(_ request: FuseRequest) {
        fuse_req_interrupt_func(request.raw, interruptCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    /// A FUSE interrupt (the caller got a signal): a parked `dev/kmsg` read ends with EINTR; a
    /// parked write is handed to the model, which decides (a writer still queued on `rproc->lock`
    /// gets the interrupted lock's answer; one holding it finishes regardless).
    func interrupted(_ request: FuseRequest) {
        monitor.lock()
        var replies: [DeferredReply] = []
        if kmsgReaders.removeValue(forKey: request.key) != nil {
            replies.append(.failure(request, EINTR))
        } else if let pending = pendingWrites.first(where: { $0.request.key == request.key }) {
            let now = clock.now
            if kernel.interrupt(pending.ticket, now: now) { replies = serviceLocked(now: now) }
        }
        monitor.unlock()
        for reply in replies { reply.send() }
    }
}

/// One open file description on the board.
final class OpenFile {
    enum Kind {
        /// A model file other than `dev/kmsg` (sysfs, debugfs, devcoredump, `.sim`).
        case attribute(String)
        /// `dev/kmsg`.
        case kmsg(String)
        /// A host file below `lib/firmware`; `writer` is set while it counts as open for writing.
        case host(fd: Int32, writer: FileIdentity?)
        /// A directory listing taken at opendir.
        case directory([DirectoryEntry])
    }

    let kind: Kind
    /// The show() output of the last read at offset 0.
    var snapshot: [UInt8]?
    /// `dev/kmsg`: the sequence number of the next record to read.
    var cursor: UInt64 = 0
    /// `dev/kmsg`: the poll handle to notify when a record arrives.
    var pollHandle: OpaquePointer?

    init(_ kind: Kind) { self.kind = kind }

    /// Stores this object in `fuse_file_info.fh` (retained until `take`).
    func store(in info: UnsafeMutablePointer<fuse_file_info>) {
        info.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(self).toOpaque()))
    }

    static func borrow(_ info: UnsafeMutablePointer<fuse_file_info>?) -> OpenFile? {
        guard let info, let pointer = UnsafeRawPointer(bitPattern: UInt(info.pointee.fh)) else { return nil }
        return Unmanaged<OpenFile>.fromOpaque(pointer).takeUnretainedValue()
    }

    static func take(_ info: UnsafeMutablePointer<fuse_file_info>?) -> OpenFile? {
        guard let info, let pointer = UnsafeRawPointer(bitPattern: UInt(info.pointee.fh)) else { return nil }
        info.pointee.fh = 0
        return Unmanaged<OpenFile>.fromOpaque(pointer).takeRetainedValue()
    }
}

struct DirectoryEntry {
    let name: String
    let inode: UInt64
    let mode: mode_t
}

/// The entries of a host directory, without "." and "..".
func hostList(_ path: String) -> Result<[String], KernelErrno> {
    guard let directory = opendir(path) else { return .failure(KernelErrno(rawValue: errno)) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return .success(names)
}

/// `fuse_req_interrupt_func` callback: `data` is the unretained `BoardFilesystem`.
private let interruptCallback: @convention(c) (fuse_req_t?, UnsafeMutableRawPointer?) -> Void = { raw, data in
    guard let raw, let data else { return }
    Unmanaged<BoardFilesystem>.fromOpaque(data).takeUnretainedValue().interrupted(FuseRequest(raw: raw))
}
