// The seam between the kernel model (this module: pure, no clock, no I/O) and the FUSE adapter
// (VirtualBoard: threads, the real clock, libfuse3, the real firmware directory).
//
// The model is a deterministic discrete-event simulation of the remoteproc core and the files it
// shows. The adapter owns one instance behind one mutex, and:
//   - maps every FUSE call to `stat`/`list`/`readLink`/`openCheck`/`read`/`write` here;
//   - for a write that the kernel would block (a slow `start`, a write waiting for `rproc->lock`,
//     an `inline` coredump holding the lock), gets `.pending(ticket)`, and waits on a condition
//     variable, re-checking `result(of:)` after every `advance(to:)`;
//   - runs one timer thread that calls `advance(to: now)` at `nextDeadline` (and whenever a write
//     was submitted), then wakes the waiters;
//   - keeps a per-open-file cursor into the kernel log (`kmsgRecord(atOrAfter:)`) and implements
//     /dev/kmsg's blocking read and poll over it;
//   - provides the firmware files through `FirmwareSource`.
// The model decides every errno, every string and every state; the adapter adds none of its own.

import RprocFirmware

/// Time on the simulated board: nanoseconds since the board was created ("since boot").
///
/// The model has no clock; every call that can depend on time takes the current `SimTime`.
public struct SimTime: Comparable, Hashable, Sendable {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public static let zero = SimTime(nanoseconds: 0)
    public static func milliseconds(_ ms: UInt64) -> SimTime { SimTime(nanoseconds: ms &* 1_000_000) }
    public var microseconds: UInt64 { nanoseconds / 1_000 }
    public static func < (a: SimTime, b: SimTime) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: SimTime, ms: UInt64) -> SimTime { SimTime(nanoseconds: a.nanoseconds &+ ms &* 1_000_000) }
}

/// What a path is. Paths are relative to the mount point, without a leading slash:
/// `"sys/class/remoteproc/remoteproc0/state"`, `"dev/kmsg"`, `".sim/remoteproc0/start_delay_ms"`.
public enum SimNode: Equatable, Sendable {
    case directory(mode: UInt16)
    /// `size` is what stat reports (4096 for sysfs attributes, as kernfs does; 0 for devcoredump `data`).
    case file(mode: UInt16, size: UInt64)
    case symlink(target: String)
    /// A character device node. `dev/kmsg`: reads go through the kmsg calls. With
    /// `BoardDescription.remoteprocCdev`, also `dev/remoteprocN` (CONFIG_REMOTEPROC_CDEV): any
    /// number of opens, `write` is the cdev's write, `read` answers EINVAL (ksim addition).
    case characterDevice(mode: UInt16)
}

/// The outcome of submitting a write.
public enum SimWriteStart: Equatable, Sendable {
    /// The write finished at once: the byte count returned by write(2), or the errno.
    case completed(Result<Int, KernelErrno>)
    /// The kernel would block this writer: wait until `result(of:)` is non-nil.
    case pending(SimTicket)
}

/// Identifies a blocked write until it completes.
public struct SimTicket: Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// One /dev/kmsg record, already formatted as a read(2) of /dev/kmsg returns it:
/// `"<prio>,<seq>,<usec>,<flags>;<text>\n"` followed by ` SUBSYSTEM=…\n DEVICE=…\n` lines.
public struct SimKmsgRecord: Equatable, Sendable {
    public let sequence: UInt64
    public let bytes: [UInt8]
    public init(sequence: UInt64, bytes: [UInt8]) { self.sequence = sequence; self.bytes = bytes }
}

/// Where the model reads firmware files. The adapter backs it with the real `lib/firmware`
/// directory; tests back it with a dictionary.
public protocol FirmwareSource: AnyObject {
    /// Reads the file at `path` (absolute inside the board: `"/lib/firmware/updates/fw.elf"`, or a
    /// `firmware_class.path` directory joined with the name). Errors as `kernel_read_file` gives
    /// them: `ENOENT` missing, `EINVAL` empty or not a regular file, `ETXTBSY` open for writing.
    func readFirmware(at path: String) -> Result<[UInt8], KernelErrno>
}

/// What the FUSE adapter needs from the kernel model. Not thread-safe: the caller serializes.
public protocol SimulatedKernel: AnyObject {
    func stat(_ path: String) -> Result<SimNode, KernelErrno>
    /// Directory entries (names only, without "." and "..").
    func list(_ path: String) -> Result<[String], KernelErrno>
    func readLink(_ path: String) -> Result<String, KernelErrno>
    /// The permission check at open(2): EACCES for writing a file without a write bit (even for
    /// root, as kernfs does), ENOENT for a missing path.
    func openCheck(_ path: String, forWriting: Bool) -> Result<Void, KernelErrno>
    /// The content a read at offset 0 shows (the attribute's show function). The adapter snapshots
    /// it per open file and serves later offsets from the snapshot, as sysfs does.
    func read(_ path: String, now: SimTime) -> Result<[UInt8], KernelErrno>
    /// One write(2) with exactly these bytes (one command).
    func write(_ path: String, bytes: [UInt8], now: SimTime) -> SimWriteStart
    /// The result of a pending write; nil while it is still blocked.
    func result(of ticket: SimTicket) -> Result<Int, KernelErrno>?
    /// Runs everything due at or before `now`: delayed completions, queued writers taking the
    /// lock, crash work, simulated watchdogs, devcoredump expiry, rpmsg announcements.
    func advance(to now: SimTime)
    /// The earliest time at which `advance` has something to do, or nil.
    var nextDeadline: SimTime? { get }
    /// The oldest kept kernel-log record with `sequence >= sequence`, or nil when none is newer.
    func kmsgRecord(atOrAfter sequence: UInt64) -> SimKmsgRecord?
    /// The sequence number the next record will get.
    var kmsgNextSequence: UInt64 { get }

    // Additions (ksim branch); defaults in SeamExtensions.swift keep older conformers compiling.

    /// A positional read for the files that are not snapshots (devcoredump `data`, debugfs
    /// `traceN`), or nil for a snapshot file (use `read(_:now:)`). See SeamExtensions.swift.
    func readRange(_ path: String, offset: UInt64, count: Int, now: SimTime) -> Result<[UInt8], KernelErrno>?
    /// A signal for a blocked writer (FUSE INTERRUPT); true if its write completed because of it.
    func interrupt(_ ticket: SimTicket, now: SimTime) -> Bool
    /// Whether a read would return at once (poll's POLLIN); nil = always readable.
    func readable(_ path: String, now: SimTime) -> Bool?
}
