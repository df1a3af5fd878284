// A FUSE request and its replies. Every request gets exactly one reply, possibly later and from
// another thread (libfuse allows both): a blocked `state` write or a blocking `dev/kmsg` read is
// answered by the timer thread, so no FUSE worker thread ever waits for the model.

import CFuse3
import Glibc
import KernelSim
import RprocFirmware

/// One FUSE request. Call exactly one reply method, once.
struct FuseRequest: @unchecked Sendable {
    let raw: fuse_req_t

    /// The caller's credentials, as `fuse_req_ctx` gives them.
    var callerUID: uid_t { fuse_req_ctx(raw).pointee.uid }
    var callerGID: gid_t { fuse_req_ctx(raw).pointee.gid }

    /// A key for this request while it waits (the pointer is unique until the reply).
    var key: UInt { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(raw))) }

    func fail(_ code: Int32) { fuse_reply_err(raw, code) }
    func fail(_ errno: KernelErrno) { fuse_reply_err(raw, errno.rawValue) }
    func succeed() { fuse_reply_err(raw, 0) }

    func reply(bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { buffer in
            _ = fuse_reply_buf(raw, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
        }
    }

    func reply(bytes: [UInt8]) { reply(bytes: bytes[...]) }

    func reply(written: Int) { fuse_reply_write(raw, written) }

    /// The outcome of a model write: the byte count or the errno.
    func reply(write result: Result<Int, KernelErrno>) {
        switch result {
        case .success(let count): reply(written: count)
        case .failure(let errno): fail(errno)
        }
    }

    func reply(entry inode: UInt64, attributes: stat) {
        var entry = fuse_entry_param()
        entry.ino = inode
        entry.attr = attributes
        // Attributes are never cached (sizes, modes and existence change: devcdM, traceN, rpmsg
        // devices), so every stat and open reaches the model, which answers ENOENT for a name
        // that went away. Names are cached for a second to spare a LOOKUP per path component:
        // a cached name of a removed node still fails at getattr/open, and a new name is never
        // cached negatively (lookups of missing names reply ENOENT, not a negative entry).
        entry.attr_timeout = 0
        entry.entry_timeout = 1
        fuse_reply_entry(raw, &entry)
    }

    func reply(attributes: stat) {
        var attributes = attributes
        fuse_reply_attr(raw, &attributes, 0)
    }

    func reply(link target: String) { fuse_reply_readlink(raw, target) }

    func reply(open info: UnsafeMutablePointer<fuse_file_info>) { fuse_reply_open(raw, info) }

    /// The open reply of a model file: `FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES`.
    ///
    /// Direct I/O: every read(2) reaches the model (the page cache would hide state changes).
    /// Parallel direct writes (Linux 6.2+): a second writer of the same file reaches the model
    /// while the first is parked, instead of waiting on the kernel's inode lock, so it queues on
    /// the model's `rproc->lock` and a signal interrupts it there (EINTR, as the kernel's
    /// `mutex_lock_interruptible`). libfuse 3.14's `fuse_file_info` has no bit for the flag, so
    /// the `fuse_open_out` (fh, open_flags, padding) is sent as it is.
    func reply(openDirect info: UnsafeMutablePointer<fuse_file_info>) {
        let directIO: UInt64 = 1 << 0, parallelDirectWrites: UInt64 = 1 << 6
        let out: [UInt64] = [info.pointee.fh, directIO | parallelDirectWrites]  // little-endian u32 + padding
        out.withUnsafeBytes { bytes in
            var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
            _ = fuse_reply_iov(raw, &vector, 1)
        }
    }

    func reply(create inode: UInt64, attributes: stat, info: UnsafeMutablePointer<fuse_file_info>) {
        var entry = fuse_entry_param()
        entry.ino = inode
        entry.attr = attributes
        entry.entry_timeout = 1
        fuse_reply_create(raw, &entry, info)
    }

    func reply(poll events: Int32) { fuse_reply_poll(raw, UInt32(bitPattern: events)) }
}

/// The reply or notification a locked section decided on, sent after the lock is released.
enum DeferredReply {
    case write(FuseRequest, Result<Int, KernelErrno>)
    case bytes(FuseRequest, [UInt8])
    case failure(FuseRequest, Int32)
    /// `fuse_lowlevel_notify_poll`, then `fuse_pollhandle_destroy`.
    case pollWakeup(OpaquePointer)

    func send() {
        switch self {
        case .write(let request, let result): request.reply(write: result)
        case .bytes(let request, let bytes): request.reply(bytes: bytes)
        case .failure(let request, let code): request.fail(code)
        case .pollWakeup(let handle):
            fuse_lowlevel_notify_poll(handle)
            fuse_pollhandle_destroy(handle)
        }
    }
}
