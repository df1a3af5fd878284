// Backward-compatible additions to the seam (Seam.swift). An adapter written against the
// original protocol keeps working: every addition has a default.

import RprocFirmware

extension SimulatedKernel {
    /// A positional read, for the files whose read handler runs at every read(2) with the file
    /// offset instead of producing one snapshot at offset 0: devcoredump `data` (short reads
    /// inside the header, "Ramdump done" at the end) and debugfs `traceN` (live device memory).
    /// Returns nil for snapshot files: the adapter then uses `read(_:now:)` at offset 0 and serves
    /// later offsets from its snapshot.
    public func readRange(_ path: String, offset: UInt64, count: Int, now: SimTime) -> Result<[UInt8], KernelErrno>? {
        nil
    }

    /// A signal arrived for the writer of `ticket` (FUSE INTERRUPT). If that writer is still
    /// waiting for `rproc->lock` (`mutex_lock_interruptible`), its write completes now with the
    /// kernel's answer for an interrupted lock (EINTR for `state`, EINVAL for `firmware`, the byte
    /// count for `recovery`); returns true. Returns false when the writer already holds the lock
    /// (the kernel finishes the operation regardless) or the ticket is unknown.
    public func interrupt(_ ticket: SimTicket, now: SimTime) -> Bool { false }

    /// Whether a read of `path` would return at once (`poll` POLLIN), for files whose readiness
    /// changes (`dev/rpmsgN`: a message queued, or the endpoint gone). Nil for files that are
    /// always readable.
    public func readable(_ path: String, now: SimTime) -> Bool? { nil }
}
