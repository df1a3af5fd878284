// `/dev/rpmsgN`: rpmsg_char.c's endpoint device of a channel bound to rpmsg_chrdev (`rpmsg-raw`),
// with the simulated remote behind it echoing every message back to its sender (as
// Tests/Kernel/driver/rproc_sim.c does; a crashed remote answers nothing).

import RprocFirmware

extension Kernel {
    /// Mirrors virtio_rpmsg_bus's `MAX_RPMSG_BUF_SIZE - sizeof(struct rpmsg_hdr)`.
    static let rpmsgPayloadLimit = 512 - 16

    /// `rpmsg_eptdev_write_iter`: EPIPE once the endpoint is gone, EMSGSIZE over the buffer size
    /// (virtio_rpmsg_bus logs "message is too big"); otherwise the whole write is one message.
    func sendRpmsgChar(_ p: Processor, _ r: RpmsgDevice, _ bytes: [UInt8]) -> Result<Int, KernelErrno> {
        guard r.registered else { return .failure(.EPIPE) }
        if bytes.count > Self.rpmsgPayloadLimit {
            if let v = p.vdevs.compactMap(\.virtio).first(where: { $0.rpmsgDevices.contains { $0 === r } }) {
                log.append(.err, .virtio(v.index), "message is too big (\(bytes.count))", at: now)
            }
            return .failure(.EMSGSIZE)
        }
        if p.state == .running || p.state == .attached { r.inbox.append(bytes) }
        return .success(bytes.count)
    }

    /// `rpmsg_eptdev_read_iter`: the oldest message, cut to `count` (the rest is dropped), EPIPE
    /// once the endpoint is gone. With nothing queued the kernel blocks (or EAGAIN with
    /// O_NONBLOCK); the model always answers EAGAIN: callers poll first.
    func readRpmsgChar(_ r: RpmsgDevice, count: Int) -> Result<[UInt8], KernelErrno> {
        guard r.registered else { return .failure(.EPIPE) }
        guard !r.inbox.isEmpty else { return .failure(.EAGAIN) }
        return .success(Array(r.inbox.removeFirst().prefix(max(count, 0))))
    }

    public func readable(_ path: String, now time: SimTime) -> Bool? {
        advance(to: time)
        guard case .success((.rpmsgChar(_, let r), _)) = fileKind(path) else { return nil }
        return !r.registered || !r.inbox.isEmpty
    }
}
