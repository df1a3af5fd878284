// Which rpmsg channels each remote processor has announced, and since when: the input of
// readiness (`[Boot] ReadyOn=`) and of its latency figure.
//
// Wiring (the manager, on the loop thread):
// - In: after every scan, `update(device:channels:at:)` for each processor with the channels the
//   scan tied to it (`KernelScan.channels[device] ?? []`, grouped by `Manager.scanKernel` from
//   `KernelFiles.rpmsgChannels()`), with `loop.now()` (CLOCK_MONOTONIC µs). Scans come from udev
//   rpmsg add/remove (`UdevWatcher` → `rescan`), from kernel-log lines for which
//   `ChannelWatcher.concernsChannels(_:)` holds (`KernelLogWatcher` → `rescan`), from every state
//   change, and from the poll. `forget(device:)` when a processor is removed.
// - Out: a non-nil `Change` is handed to `ReadinessTracker.observe` (with `announcedAt`) and
//   means `Channels`/`Ready` changed (PropertiesChanged). `Channels` is `channels(of:)` as
//   `a(ssuu)`; `Ready` is `isReady(device:state:readyOn:)`.

import RprocModel

/// The rpmsg channels of every processor, with the time each was first seen.
public struct ChannelWatcher {
    public init() {}

    /// What one update changed for one processor.
    public struct Change: Equatable {
        public var device: String
        /// Names that appeared, in the scan's order.
        public var announced: [String]
        /// Names that went away (the remote destroyed them, or the processor stopped).
        public var withdrawn: [String]
    }

    private var current: [String: [ManagedProcessor.Channel]] = [:]
    private var firstSeen: [String: [String: UInt64]] = [:]

    /// Takes in one scan's channels of `device`.
    ///
    /// - Returns: what changed, or nil when the scan shows what the last one did.
    public mutating func update(device: String, channels: [ManagedProcessor.Channel], at now: UInt64) -> Change? {
        let before = current[device] ?? []
        guard before != channels else { return nil }
        current[device] = channels.isEmpty ? nil : channels
        let old = Set(before.map(\.name))
        let new = Set(channels.map(\.name))
        var seen = firstSeen[device] ?? [:]
        var announced: [String] = []
        for channel in channels where !old.contains(channel.name) && !announced.contains(channel.name) {
            announced.append(channel.name)
            seen[channel.name] = now
        }
        var withdrawn: [String] = []
        for channel in before where !new.contains(channel.name) && !withdrawn.contains(channel.name) {
            withdrawn.append(channel.name)
            seen[channel.name] = nil
        }
        firstSeen[device] = seen.isEmpty ? nil : seen
        // Only the addresses or the device node changed: still a change of `Channels`.
        return Change(device: device, announced: announced, withdrawn: withdrawn)
    }

    /// The processor is gone.
    public mutating func forget(device: String) {
        current[device] = nil
        firstSeen[device] = nil
    }

    /// The channels of `device` as the last scan showed them (D-Bus `Channels`).
    public func channels(of device: String) -> [ManagedProcessor.Channel] { current[device] ?? [] }

    /// The names announced on `device`.
    public func names(of device: String) -> Set<String> { Set(channels(of: device).map(\.name)) }

    /// When `name` was first seen on `device` (µs, the clock `update` was given).
    public func announcedAt(device: String, name: String) -> UInt64? { firstSeen[device]?[name] }

    /// D-Bus `Ready`: up, and every `ReadyOn=` channel announced.
    public func isReady(device: String, state: ProcessorState, readyOn: [String]) -> Bool {
        Readiness.evaluate(state: state, announced: names(of: device), readyOn: readyOn, timeout: nil, since: 0, now: 0) == .ready
    }

    /// Whether a kernel log line reports a channel created or destroyed (`rpmsg_ns_cb`:
    /// "creating channel %s addr 0x%x" / "destroying channel %s addr 0x%x", kernel-contract.md
    /// §7.3): the kernel-log watcher rescans at once instead of waiting for the poll.
    /// The channel name in rpmsg_ns_cb's "creating channel %s addr 0x%x", nil for any other line.
    public static func createdChannel(_ text: String) -> String? {
        guard let start = text.firstRange(of: "creating channel ")?.upperBound else { return nil }
        let rest = text[start...]
        guard let end = rest.firstRange(of: " addr 0x")?.lowerBound else { return nil }
        return String(rest[..<end])
    }

    public static func concernsChannels(_ text: String) -> Bool {
        text.hasPrefix("creating channel ") || text.hasPrefix("destroying channel ")
            || text.contains(": creating channel ") || text.contains(": destroying channel ")
    }
}

extension ManagedProcessor.Channel {
    /// A channel value from outside the module (benchmarks): the memberwise initializer is internal.
    public static func of(name: String, deviceNode: String = "", source: UInt32, destination: UInt32) -> Self {
        Self(name: name, deviceNode: deviceNode, source: source, destination: destination)
    }
}
