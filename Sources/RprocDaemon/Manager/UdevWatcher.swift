// udev as an accelerator when rprocd manages the host's own processors (root `/`): remoteproc
// add/remove (hotplug, driver bind/unbind) and the virtio/rpmsg/devcoredump child devices that
// come and go at boot, stop and recovery (kernel-contract.md §3.4) make the manager rescan at
// once. The poll stays the safety net: remoteproc itself emits no uevent on a state change.

import Logging
import RprocEventLoop
import RprocSystem

/// Watches the udev monitor on the event loop. Loop-owned.
final class UdevWatcher {
    private let monitor: UdevMonitor
    private var source: IOSource?
    private weak var manager: Manager?
    private let logger: Logger

    /// Nil (with the reason logged at debug level) where udev cannot be used: another root, or
    /// no udev (containers), as networkd's `manager_connect_udev` skips it.
    init?(manager: Manager, logger: Logger) {
        switch UdevMonitor.open(kernel: manager.kernel) {
        case .failure(let unavailable):
            logger.debug("Not watching udev: \(unavailable.reason).")
            return nil
        case .success(let monitor):
            self.monitor = monitor
        }
        self.manager = manager
        self.logger = logger
        do {
            source = try manager.loop.addIO(fd: monitor.fileDescriptor.rawValue, events: .readable) { [weak self] _ in
                self?.drain()
            }
        } catch {
            logger.warning("Failed to watch udev: \(error), ignoring; polling only.")
            return nil
        }
    }

    func cancel() {
        source?.cancel()
        source = nil
    }

    private func drain() {
        var relevant = false
        // A bounded batch per wakeup; one bad event never stops monitoring.
        for _ in 0..<256 {
            guard let event = monitor.receive() else { break }
            // A devcoredump `add` starts a collection at once (the crash watch matches it to its processor).
            manager?.crashWatch?.udev(event)
            if event.subsystem == "platform" && !event.devicePath.contains("remoteproc") { continue }
            relevant = true
        }
        if relevant { manager?.rescan(reason: "udev") }
    }
}
