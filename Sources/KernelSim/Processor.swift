// Per-processor state of the simulated remoteproc core (`struct rproc` and what hangs off it).

import RprocFirmware

/// Mirrors `enum rproc_state`; `sysfsValue` is what the `state` file shows.
public enum ProcessorStateValue: Sendable, Hashable {
    /// Mirrors `RPROC_OFFLINE`, sysfs `offline`.
    case offline
    /// Mirrors `RPROC_SUSPENDED`, sysfs `suspended`.
    case suspended
    /// Mirrors `RPROC_RUNNING`, sysfs `running`.
    case running
    /// Mirrors `RPROC_CRASHED`, sysfs `crashed`.
    case crashed
    /// Mirrors `RPROC_DELETED` (CLASSIC only), sysfs `deleted`.
    case deleted
    /// Mirrors `RPROC_ATTACHED`, sysfs `attached`.
    case attached
    /// Mirrors `RPROC_DETACHED`, sysfs `detached`.
    case detached

    /// The one table from which both directions derive (`rproc_state_string`).
    public static let table: [(ProcessorStateValue, String)] = [
        (.offline, "offline"), (.suspended, "suspended"), (.running, "running"), (.crashed, "crashed"),
        (.deleted, "deleted"), (.attached, "attached"), (.detached, "detached"),
    ]
    public var sysfsValue: String { Self.table.first { $0.0 == self }!.1 }
    public init?(sysfsValue: String) {
        guard let match = Self.table.first(where: { $0.1 == sysfsValue }) else { return nil }
        self = match.0
    }
}

/// Mirrors `enum rproc_dump_mechanism`; sysfs/debugfs `coredump`.
enum CoredumpMode: Equatable {
    case disabled, enabled, inline
    static let table: [(CoredumpMode, String)] = [(.disabled, "disabled"), (.enabled, "enabled"), (.inline, "inline")]
    var sysfsValue: String { Self.table.first { $0.0 == self }!.1 }
}

/// Device memory: the driver's windows, allocated carveouts, a cached resource table.
final class DeviceMemory {
    let deviceAddress: UInt64
    var bytes: [UInt8]
    init(deviceAddress: UInt64, length: Int) {
        self.deviceAddress = deviceAddress
        self.bytes = [UInt8](repeating: 0, count: length)
    }
    init(copying bytes: [UInt8]) {
        self.deviceAddress = 0
        self.bytes = bytes
    }
}

/// Where `rproc->table_ptr` points: into device memory (the loaded copy) or a cached copy.
struct TableRef {
    let region: DeviceMemory
    let offset: Int
    let size: Int

    /// Reads a little-endian u32 at `at` inside the table; bytes outside the region read as 0
    /// (the kernel reads whatever memory follows; the model cannot).
    func u32(_ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in (0..<4).reversed() { v = v << 8 | UInt32(byte(at + i)) }
        return v
    }
    func byte(_ at: Int) -> UInt8 {
        let i = offset + at
        return at >= 0 && i >= 0 && i < region.bytes.count ? region.bytes[i] : 0
    }
    func setU32(_ at: Int, _ value: UInt32) {
        for i in 0..<4 { setByte(at + i, UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }
    func setByte(_ at: Int, _ value: UInt8) {
        let i = offset + at
        if at >= 0 && i >= 0 && i < region.bytes.count { region.bytes[i] = value }
    }
    /// A NUL-terminated name of at most `max` bytes at `at`.
    func name(_ at: Int, max: Int = 32) -> String {
        var out: [UInt8] = []
        for i in 0..<max {
            let b = byte(at + i)
            if b == 0 { break }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }
    var bytes: [UInt8] { (0..<size).map { byte($0) } }
}

/// Mirrors `struct rproc_mem_entry` on `rproc->carveouts`.
final class Carveout {
    let name: String
    var deviceAddress: UInt64
    let length: Int
    var flags: UInt32
    /// Offset of the entry's payload in the table (`rsc_offset`); nil = `FW_RSC_ADDR_ANY`.
    var tableOffset: Int?
    var dmaAddress: UInt64?
    var memory: DeviceMemory?
    init(name: String, deviceAddress: UInt64, length: Int, flags: UInt32, tableOffset: Int?) {
        self.name = name
        self.deviceAddress = deviceAddress
        self.length = length
        self.flags = flags
        self.tableOffset = tableOffset
    }
}

/// A debugfs `traceN` file (`struct rproc_debug_trace`).
struct TraceBuffer {
    let fileName: String
    let deviceAddress: UInt64
    let length: Int
}

/// An rpmsg bus device (`struct rpmsg_device`) under a virtio device.
final class RpmsgDevice {
    let name: String
    var src: UInt32
    let dst: UInt32
    let announce: Bool
    var driverOverride: [UInt8]?
    /// The bound driver's name, if any.
    var driver: String?
    /// `src` as it was at creation: the device name embeds it.
    let nameSrc: UInt32
    /// `N` of `/dev/rpmsgN` while rpmsg_chrdev is bound (`rpmsg_chrdev_eptdev_create`).
    var charIndex: Int?
    /// Messages the remote sent to this endpoint, not read yet (the eptdev's `queue`).
    var inbox: [[UInt8]] = []
    /// False once the device is unregistered: an open `/dev/rpmsgN` then answers EPIPE.
    var registered = true
    init(name: String, src: UInt32, dst: UInt32, announce: Bool, driverOverride: String?, driver: String?) {
        self.name = name
        self.src = src
        self.nameSrc = src
        self.dst = dst
        self.announce = announce
        self.driverOverride = driverOverride.map { Array($0.utf8) }
        self.driver = driver
    }
}

/// A registered virtio device `virtioM` (`rproc_add_virtio_dev`).
final class VirtioState {
    let index: Int
    let deviceId: UInt32
    /// True once virtio_rpmsg_bus probed (rpmsg vdev with two valid vrings).
    var rpmsg: Bool
    var rpmsgDevices: [RpmsgDevice] = []
    /// The negotiated feature bits (`virtio_device.features`; rpmsg: `VIRTIO_RPMSG_F_NS`).
    var features: UInt64 = 0
    init(index: Int, deviceId: UInt32, rpmsg: Bool) {
        self.index = index
        self.deviceId = deviceId
        self.rpmsg = rpmsg
    }
    func deviceName(_ d: RpmsgDevice) -> String {
        "virtio\(index).\(d.name).\(Int32(bitPattern: d.nameSrc)).\(Int32(bitPattern: d.dst))"
    }
}

/// An `rproc-virtio.K.auto` platform device and its `struct rproc_vdev`.
final class VirtioPlatformDevice {
    let platformId: Int
    let vdevIndex: Int
    let tableOffset: Int
    let deviceId: UInt32
    /// The rproc-virtio probe succeeded (vrings sane, vring carveouts registered).
    var probed = false
    var vringCount = 0
    var vringCarveouts: [Carveout] = []
    var virtio: VirtioState?
    init(platformId: Int, vdevIndex: Int, tableOffset: Int, deviceId: UInt32) {
        self.platformId = platformId
        self.vdevIndex = vdevIndex
        self.tableOffset = tableOffset
        self.deviceId = deviceId
    }
    var name: String { "rproc-virtio.\(platformId).auto" }
}

/// A segment on `rproc->dump_segments`.
struct DumpSegment {
    let deviceAddress: UInt64
    let size: Int
}

/// One remote processor (`struct rproc`).
final class Processor {
    let description: ProcessorDescription
    let index: Int
    var state: ProcessorStateValue
    var power = 0
    var firmware: [UInt8]
    var recoveryDisabled = false
    var dumpMode = CoredumpMode.disabled
    var crashCount: UInt32 = 0
    /// NEW: `rproc->deleting`.
    var deleting = false
    /// Set once the device is gone from sysfs.
    var removed = false
    var knobs: FaultKnobs

    // rproc->lock
    var lockHolder: Job?
    var lockQueue: [Job] = []
    var crashWorkQueued = false

    // Resources
    var windows: [DeviceMemory]
    var carveouts: [Carveout] = []
    var devmemMappings = 0
    var powerControlOn = false
    var traces: [TraceBuffer] = []
    var vdevs: [VirtioPlatformDevice] = []
    var cachedTable: DeviceMemory?
    var tablePtr: TableRef?
    /// The copy of a loaded table kept for detach (`rproc->clean_table`).
    var cleanTable: [UInt8]?
    var bootAddress: UInt64 = 0
    var dumpSegments: [DumpSegment] = []
    var notifyIds = Set<Int>()
    /// Where the preloaded firmware's resource table lives (for `get_loaded_rsc_table`).
    var loadedTableLocation: (address: UInt64, size: Int)?
    /// Bumped at every `ops->start`/`ops->stop`: cancels the simulated watchdog.
    var runGeneration: UInt64 = 0

    init(description: ProcessorDescription, index: Int) {
        self.description = description
        self.index = index
        self.state = description.initialState == .offline ? .offline : .detached
        self.firmware = Array(description.effectiveFirmware.utf8)
        self.knobs = description.faults
        self.windows = description.memory.map { DeviceMemory(deviceAddress: $0.deviceAddress, length: $0.length) }
    }

    var deviceName: String { "remoteproc\(index)" }
    var name: String { description.name }
    /// The cdev major when the board has CONFIG_REMOTEPROC_CDEV.
    var cdevMajor: Int?
    var log: LogDevice { .rproc(index, major: cdevMajor) }
    var parentLog: LogDevice {
        let last = description.parent.split(separator: "/").last.map(String.init) ?? description.parent
        return .platform(driver: description.driverName, name: last)
    }
    /// `sys/devices/platform/<parent>/remoteproc/remoteprocN`.
    var devicePath: String { "sys/devices/platform/\(description.parent)/remoteproc/\(deviceName)" }
    var debugPath: String { "sys/kernel/debug/remoteproc/\(deviceName)" }

    /// `rproc_da_to_va`: the driver's windows first, then allocated carveouts.
    func translate(_ da: UInt64, _ length: UInt64) -> (DeviceMemory, Int)? {
        for w in windows where da >= w.deviceAddress {
            let off = da - w.deviceAddress
            if off <= UInt64(w.bytes.count), UInt64(w.bytes.count) - off >= length { return (w, Int(off)) }
        }
        for c in carveouts {
            guard let m = c.memory, da >= c.deviceAddress else { continue }
            let off = da - c.deviceAddress
            if off <= UInt64(c.length), UInt64(c.length) - off >= length { return (m, Int(off)) }
        }
        return nil
    }
}

/// Control flow of an operation running under `rproc->lock`: finished with a kernel return value
/// (0 or a negative errno), or waiting (a driver delay, an inline coredump) before continuing.
indirect enum Flow {
    case done(Int32)
    case sleep(UInt64, () -> Flow)
    case waitDump(Int, () -> Flow)
}

/// Sequences `f` then `k` with `f`'s return value.
func bind(_ f: Flow, _ k: @escaping (Int32) -> Flow) -> Flow {
    switch f {
    case .done(let r): return k(r)
    case .sleep(let ms, let next): return .sleep(ms, { bind(next(), k) })
    case .waitDump(let id, let next): return .waitDump(id, { bind(next(), k) })
    }
}

/// `f` after a driver delay (none when 0).
func after(_ ms: UInt64, _ f: @escaping () -> Flow) -> Flow { ms == 0 ? f() : .sleep(ms, f) }

/// One holder/waiter of `rproc->lock`.
final class Job {
    let processor: Processor
    var continuation: (() -> Flow)?
    let finish: (Int32) -> Void
    /// What an interrupted `mutex_lock_interruptible` makes of this job; nil = not interruptible.
    let interrupted: (() -> Void)?
    let ticket: SimTicket?
    init(
        _ processor: Processor, ticket: SimTicket?, body: @escaping () -> Flow,
        finish: @escaping (Int32) -> Void, interrupted: (() -> Void)?
    ) {
        self.processor = processor
        self.ticket = ticket
        self.continuation = body
        self.finish = finish
        self.interrupted = interrupted
    }
}

extension KernelErrno {
    /// The kernel's negative return value.
    var negative: Int32 { -rawValue }
}
