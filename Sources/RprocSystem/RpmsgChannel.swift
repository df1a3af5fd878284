/// An rpmsg channel device, `sys/bus/rpmsg/devices/virtioM.<name>.<src>.<dst>` (kernel-contract.md §7.2),
/// tied to the remote processor it runs on.
public struct RpmsgChannel: Sendable, Hashable {
    /// The device name, `virtioM.<name>.<src>.<dst>` (src/dst in signed decimal, `-1` for ANY).
    public var device: String
    /// The service name (sysfs `name`).
    public var name: String
    /// The local address (sysfs `src`, `"0x%x"`); `0xffffffff` (RPMSG_ADDR_ANY) until a driver binds.
    public var source: UInt32
    /// The remote address (sysfs `dst`).
    public var destination: UInt32
    /// The device directory, resolved, as the board sees it.
    public var devicePath: String
    /// The remote processor it belongs to (`remoteprocN`), found by walking up its resolved path.
    public var remoteproc: String?
    /// Character devices under it (`rpmsgX`, `rpmsg_ctrlY`), from `sys/class/rpmsg`; `/dev/<name>` on the board.
    public var characterDevices: [String]

    /// `RPMSG_ADDR_ANY`.
    public static let anyAddress: UInt32 = 0xFFFF_FFFF
}

extension KernelFiles {
    /// The rpmsg channel devices, each tied to its remote processor and character devices. An absent bus
    /// (no rpmsg, nothing booted) gives an empty list; a channel that vanishes during the scan is left out.
    public func rpmsgChannels() throws -> [RpmsgChannel] {
        let devicesDirectory = path("sys/bus/rpmsg/devices")
        let entries = try entriesIfPresent(devicesDirectory)
        let classDirectory = path("sys/class/rpmsg")
        let characterDevices: [(name: String, resolved: String)] =
            ((try? operations.directoryEntries(classDirectory)) ?? []).compactMap { name in
                (try? operations.realPath(classDirectory + "/" + name)).map { (name, $0) }
            }
        var channels: [RpmsgChannel] = []
        for entry in entries {
            let link = devicesDirectory + "/" + entry
            guard let resolved = try? operations.realPath(link),
                let name = try? readText(link + "/name"),
                let source = (try? readText(link + "/src")).flatMap(Self.parseHexAddress),
                let destination = (try? readText(link + "/dst")).flatMap(Self.parseHexAddress)
            else { continue }
            channels.append(
                RpmsgChannel(
                    device: entry, name: name, source: source, destination: destination,
                    devicePath: boardPath(resolved), remoteproc: owningRemoteproc(ofResolved: resolved),
                    characterDevices: characterDevices.filter { $0.resolved.hasPrefix(resolved + "/") }.map(\.name)))
        }
        return channels
    }

    /// The remote processors (`remoteprocN`) on which a channel named in `names` is announced, without
    /// reading any attribute: the bus names each device `<parent>.<name>.<src>.<dst>`
    /// (`rpmsg_register_device`), so only the devices of those names are resolved to their processor.
    /// What a start waiting for `ReadyOn=` reads on the kernel log's "creating channel" line.
    public func rpmsgChannelOwners(named names: Set<String>) throws -> [(name: String, remoteproc: String)] {
        let devicesDirectory = path("sys/bus/rpmsg/devices")
        var owners: [(name: String, remoteproc: String)] = []
        for entry in try entriesIfPresent(devicesDirectory) {
            guard let name = Self.channelName(ofDevice: entry), names.contains(name),
                let resolved = try? operations.realPath(devicesDirectory + "/" + entry),
                let owner = owningRemoteproc(ofResolved: resolved)
            else { continue }
            owners.append((name, owner))
        }
        return owners
    }

    /// The service name in a device name `<parent>.<name>.<src>.<dst>`: a name may hold dots, the
    /// parent (`virtioM`) and the signed decimal addresses do not. Nil for any other shape.
    static func channelName(ofDevice device: String) -> String? {
        let parts = device.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4, Int32(parts[parts.count - 1]) != nil, Int32(parts[parts.count - 2]) != nil else { return nil }
        return parts[1..<(parts.count - 2)].joined(separator: ".")
    }

    /// Parses `"0x%x"` as rpmsg prints addresses.
    static func parseHexAddress(_ text: String) -> UInt32? {
        guard text.hasPrefix("0x") else { return nil }
        return UInt32(text.dropFirst(2), radix: 16)
    }
}

/// The rpmsg channels as the last full read found them, read again only when `sys/bus/rpmsg/devices`
/// or `sys/class/rpmsg` list other entries: a channel's attributes do not change while it exists,
/// except `src` when a driver binds, which adds its character device to the class. Two directory
/// reads instead of four files per channel at every poll.
public struct RpmsgChannelCache: Sendable {
    private var listing: (devices: [String], classes: [String])?
    private var channels: [RpmsgChannel] = []

    public init() {}

    /// The channels now, from the cache when both listings are unchanged.
    public mutating func read(_ kernel: KernelFiles) throws -> [RpmsgChannel] {
        let now = (
            devices: try kernel.entriesIfPresent(kernel.path("sys/bus/rpmsg/devices")),
            classes: try kernel.entriesIfPresent(kernel.path("sys/class/rpmsg")))
        if let listing, listing.devices == now.devices, listing.classes == now.classes { return channels }
        channels = try kernel.rpmsgChannels()
        listing = now
        return channels
    }
}
