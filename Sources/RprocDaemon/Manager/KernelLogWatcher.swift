// The kernel log as an accelerator: remoteproc emits no uevent and no sysfs_notify on a state
// change (kernel-contract.md §3.4), but it logs boots, stops and crashes, and rpmsg logs every
// channel a remote announces (§7.3). Such a line makes the manager re-read at once instead of at
// the next poll.

import Logging
import RprocEventLoop
import RprocModel
import RprocSystem

/// Watches `dev/kmsg` under the root on the event loop. Loop-owned.
final class KernelLogWatcher {
    private let reader: KmsgReader
    private var source: IOSource?
    private weak var manager: Manager?
    private let logger: Logger

    /// Opens the kernel log (skipping what is already in the ring) and starts watching it.
    ///
    /// - Throws: `SystemError` when `dev/kmsg` cannot be opened (missing, or no CAP_SYSLOG), or
    ///   `SyscallError` when the loop refuses the descriptor.
    init(manager: Manager, logger: Logger) throws {
        self.manager = manager
        self.logger = logger
        reader = try KmsgReader(kernel: manager.kernel, start: .afterLastRecord)
        source = try manager.loop.addIO(fd: reader.fileDescriptor.rawValue, events: .readable) { [weak self] _ in
            self?.drain()
        }
    }

    func cancel() {
        source?.cancel()
        source = nil
        cancelled = true
    }

    private var cancelled = false

    /// Called when rpmsg logged channels created or destroyed, with the names created; true: it
    /// rescans by itself.
    var onChannelLines: (([String]) -> Bool)?

    /// Reads what is there now (also called at every poll, in case a wakeup was lost).
    func drain() {
        guard !cancelled else { return }
        var devices: Set<String> = []
        var channelLines = false
        var created: [String] = []
        // A bounded batch per wakeup, so a flood of kernel messages cannot starve the bus.
        for _ in 0..<256 {
            let step: KmsgRead
            do {
                step = try reader.next()
            } catch {
                logger.warning("Failed to read the kernel log: \(error), ignoring it from now on.")
                cancel()
                break
            }
            switch step {
            case .noMoreForNow:
                break
            case .lost(let count):
                logger.debug("Missed \(count) kernel log records.")
                devices.insert("*")
                continue
            case .malformed:
                continue
            case .record(let record):
                // rpmsg_ns_cb's "creating channel" (on the virtio device, not the remoteproc):
                // rescan now, so a start held for ReadyOn= completes on the announcement.
                if ChannelWatcher.concernsChannels(record.text) {
                    channelLines = true
                    if let name = ChannelWatcher.createdChannel(record.text) { created.append(name) }
                    continue
                }
                guard let line = RemoteprocLogLine(record) else { continue }
                manager?.noteKernelLog(line)
                switch line.event {
                case .crashDetected:
                    manager?.noteCrash(device: line.device, type: line.event.crashType ?? .unknown)
                case .handlingCrash(let number, _):
                    manager?.noteHandlingCrash(device: line.device, number: number)
                case .up:
                    manager?.noteBoot(device: line.device)
                case .other:
                    continue
                default:
                    break
                }
                devices.insert(line.device)
                continue
            }
            break
        }
        // A start waiting for ReadyOn= reads the channels alone first, then rescans (onChannelLines).
        if channelLines, onChannelLines?(created) != true { devices.insert("*") }
        if !devices.isEmpty { manager?.rescan(devices: devices, reason: "kernel log") }
    }
}
