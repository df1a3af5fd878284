// The input that describes a simulated board: which kernel it imitates and which remote
// processors its drivers register. The FUSE adapter (VirtualBoard) parses board files into these
// values; tests build them directly.

import RprocFirmware

/// The kernel version line the board imitates (§8.1 of docs/kernel-contract.md): RprocFirmware's
/// `KernelVersionLine` (`.v6_1`, `.v6_12`).
public typealias KernelLine = KernelVersionLine

extension KernelVersionLine {
    /// The spelling in board files: `"6.1"`, `"6.12"`.
    public var boardValue: String { rawValue }
    public init?(boardValue: String) { self.init(rawValue: boardValue) }
}

/// The remoteproc-core flavour (§0.2) is RprocFirmware's `KernelFlavour` (`.classic`, `.new`,
/// `.newPlus`): CLASSIC has `deleted`, EINVAL for stop on crashed, synchronous auto-attach at probe;
/// NEW has the `deleting` flag; NEW+ (6.12.117) adds the full-cleanup attach recovery and the
/// section-header checks.
extension KernelFlavour {
    /// The one table of board-file spellings.
    public static let boardTable: [(KernelFlavour, String)] = [
        (.classic, "CLASSIC"), (.new, "NEW"), (.newPlus, "NEW+"),
    ]
    /// `"CLASSIC"`, `"NEW"`, `"NEW+"`.
    public var boardValue: String { Self.boardTable.first { $0.0 == self }!.1 }
    public init?(boardValue: String) {
        guard let match = Self.boardTable.first(where: { $0.1 == boardValue }) else { return nil }
        self = match.0
    }
    /// True for NEW and NEW+.
    public var isNew: Bool { self != .classic }
}

/// The state a driver registers its processor in (`rproc_validate` allows only these two).
public enum InitialState: Sendable, Hashable {
    /// Mirrors `RPROC_OFFLINE`: the driver has `ops->start`; auto-boot loads firmware.
    case offline
    /// Mirrors `RPROC_DETACHED`: started by a bootloader; the driver has `ops->attach`.
    case detached

    public static let table: [(InitialState, String)] = [(.offline, "offline"), (.detached, "detached")]
    public var boardValue: String { Self.table.first { $0.0 == self }!.1 }
    public init?(boardValue: String) {
        guard let match = Self.table.first(where: { $0.1 == boardValue }) else { return nil }
        self = match.0
    }
}

/// A device-memory window the driver translates in `ops->da_to_va` (e.g. 1 MiB at 0x10000000).
public struct MemoryWindow: Sendable, Hashable {
    /// Device address of the first byte.
    public var deviceAddress: UInt64
    /// Length in bytes.
    public var length: Int
    public init(deviceAddress: UInt64, length: Int) {
        self.deviceAddress = deviceAddress
        self.length = length
    }
}

/// The ELF identity a driver gives its coredumps (`rproc_coredump_set_elf_info`).
public struct CoredumpElfInfo: Sendable, Hashable {
    /// `ELFCLASS32` (1) or `ELFCLASS64` (2).
    public var elfClass: UInt8
    /// `e_machine` (most drivers `EM_NONE` 0; xlnx_r5 `EM_ARM` 40).
    public var machine: UInt16
    public init(elfClass: UInt8, machine: UInt16) {
        self.elfClass = elfClass
        self.machine = machine
    }
}

/// When the simulated remote announces its rpmsg channels after the rpmsg host comes online.
public enum AnnounceTiming: Sendable, Hashable {
    /// The name-service messages arrive this many milliseconds after the virtio device starts.
    case after(milliseconds: UInt64)
    /// The remote never sends a name-service announcement.
    case never
}

/// An rpmsg channel the simulated remote announces (an `RPMSG_NS_CREATE` message to address 53).
public struct RpmsgChannelDescription: Sendable, Hashable {
    /// Service name (at most 31 bytes are kept, as the host forces `name[31] = 0`).
    public var name: String
    /// The remote endpoint address (`dst` of the created device).
    public var address: UInt32
    public init(name: String, address: UInt32) {
        self.name = name
        self.address = address
    }
}

/// The simulated driver's fault knobs (`.sim/remoteprocN/<knob>`), their initial values.
public struct FaultKnobs: Sendable, Hashable {
    /// How long `ops->start` (and `ops->attach`) takes, in milliseconds.
    public var startDelayMs: UInt64 = 0
    /// How long `ops->stop` (and `ops->detach`) takes, in milliseconds.
    public var stopDelayMs: UInt64 = 0
    /// The next N calls of `ops->start`/`ops->attach` return `-EIO`.
    public var failNextStart: UInt64 = 0
    /// The next N calls of `ops->stop`/`ops->detach` return `-EIO`.
    public var failNextStop: UInt64 = 0
    /// When set, a simulated watchdog reports a crash (type watchdog) this long after each start.
    public var crashAfterMs: UInt64? = nil
    /// Overrides the board's announcement delay for rpmsg channels (milliseconds); nil = board value.
    public var announceDelayMs: UInt64? = nil
    public init() {}
}

/// One remote processor as its driver registers it (`rproc_alloc` + `rproc_add`).
public struct ProcessorDescription: Sendable, Hashable {
    /// `rproc->name`, shown by `name` (not necessarily unique).
    public var name: String
    /// The parent platform device, as a path below `sys/devices/platform/` (e.g. `"soc/30000000.m4"`
    /// or `"sim-rproc.0"`); its last component is the device name used in log prefixes.
    public var parent: String
    /// The parent's driver name (log prefix `"<driver> <parent>: "` for messages logged against the
    /// parent, such as "can't change firmware while running").
    public var driverName: String = "rproc-sim"
    /// Initial state at registration.
    public var initialState: InitialState = .offline
    /// The firmware name the driver passes to `rproc_alloc`; nil gives `"rproc-<name>-fw"`.
    public var firmware: String? = nil
    /// `rproc->sysfs_read_only` set before `rproc_add`: `recovery`, `firmware`, `state`, `coredump`
    /// become 0444.
    public var sysfsReadOnly: Bool = false
    /// `rproc->auto_boot` (default true, as `rproc_alloc` sets it).
    public var autoBoot: Bool = true
    /// Delay between registration and the asynchronous auto-boot/auto-attach, in milliseconds.
    public var autoBootDelayMs: UInt64 = 1
    /// The driver's device-memory windows (`ops->da_to_va`).
    public var memory: [MemoryWindow] = [MemoryWindow(deviceAddress: 0x1000_0000, length: 1 << 20)]
    /// Whether the processor sits behind an IOMMU (`rproc->has_iommu`); without it `RSC_DEVMEM`
    /// fails the boot.
    public var hasIOMMU: Bool = false
    /// The driver registers every loaded segment as a dump segment (`rproc_coredump_add_segment`).
    public var dumpLoadedSegments: Bool = false
    /// The coredump ELF identity; nil = not set ("Elf class is not set", no dump).
    public var coredumpElf: CoredumpElfInfo? = nil
    /// Feature `RPROC_FEAT_ATTACH_ON_RECOVERY`.
    public var attachOnRecovery: Bool = false
    /// Whether the driver has `ops->detach`.
    public var hasDetach: Bool = true
    /// For a `detached` processor: the firmware (a name looked up like `request_firmware` does)
    /// the "bootloader" loaded before registration; its segments are in device memory and its
    /// `.resource_table` is what `get_loaded_rsc_table` returns. nil = no loaded table.
    public var preloadedFirmware: String? = nil
    /// Text the simulated remote writes (NUL-terminated) at the start of its first trace buffer
    /// on every start/attach; nil = writes nothing.
    public var traceText: String? = nil
    /// Channels the remote announces once the rpmsg host is online.
    public var rpmsgChannels: [RpmsgChannelDescription] = []
    /// When those announcements arrive.
    public var announce: AnnounceTiming = .after(milliseconds: 0)
    /// Initial values of the fault knobs.
    public var faults = FaultKnobs()

    public init(name: String, parent: String) {
        self.name = name
        self.parent = parent
    }

    /// The firmware name after `rproc_alloc_firmware`.
    public var effectiveFirmware: String { firmware ?? "rproc-\(name)-fw" }
}

/// The whole board: the kernel it imitates and the processors registered at boot.
public struct BoardDescription: Sendable {
    public var kernelLine: KernelLine
    public var flavour: KernelFlavour
    /// `UTS_RELEASE`, shown in `proc/sys/kernel/osrelease` and used in the firmware search path.
    public var osrelease: String
    /// Initial value of `firmware_class.path` (the kernel command line's `firmware_class.path=`).
    public var firmwareClassPath: String = ""
    /// devcoredump lifetime (`DEVCD_TIMEOUT`, 300 s).
    public var devcoredumpTimeoutMs: UInt64 = 300_000
    /// How long a CLASSIC processor stays visible with state `deleted` during removal, and a NEW
    /// one with its `deleting` flag set, in milliseconds.
    public var deletionWindowMs: UInt64 = 10
    /// The first free virtio index (other transports may hold lower ones).
    public var firstVirtioIndex: Int = 0
    /// CONFIG_REMOTEPROC_CDEV: `dev/remoteprocN` character devices (major `cdevMajor`, minor N),
    /// a `dev` attribute, MAJOR/MINOR/DEVNAME in `uevent`, and `DEVICE=c<major>:<minor>` in kmsg.
    /// Only `write(2)` is modelled (no ioctls, no shutdown-on-release).
    public var remoteprocCdev = false
    public var cdevMajor = 239
    /// Base and size of the DMA pool carveouts are allocated from.
    public var dmaBase: UInt64 = 0x7000_0000
    public var dmaPoolSize: UInt64 = 64 << 20
    /// Processors registered at boot, in probe order (remoteproc0, 1, …).
    public var processors: [ProcessorDescription]
    /// Processors that `.sim/add` can register by name.
    public var templates: [ProcessorDescription] = []
    /// Parses a `.sim/add` line that is not a template name; nil uses `ProcessorDescription(line:)`.
    public var addLineParser: (@Sendable (String) -> ProcessorDescription?)? = nil

    public init(
        kernelLine: KernelLine, flavour: KernelFlavour, osrelease: String,
        processors: [ProcessorDescription]
    ) {
        self.kernelLine = kernelLine
        self.flavour = flavour
        self.osrelease = osrelease
        self.processors = processors
    }
}

extension ProcessorDescription {
    /// Parses a `.sim/add` line: space-separated `key=value` words (a value may be double-quoted
    /// to hold spaces). Required: `name`, `parent`. Keys: `driver`, `state` (offline|detached),
    /// `firmware`, `read-only` (0|1), `auto-boot` (0|1), `memory` (`da:len[,da:len…]`, hex with
    /// `0x` or decimal), `iommu` (0|1), `dump-segments` (0|1), `elf` (`class:machine`, class 32|64),
    /// `attach-on-recovery` (0|1), `detach` (0|1), `preload` (firmware name), `trace` (text),
    /// `channels` (`name@addr[,name@addr…]`), `announce` (milliseconds or `never`), and the
    /// knobs `start_delay_ms`, `stop_delay_ms`, `fail_next_start`, `fail_next_stop`,
    /// `crash_after_ms`. Returns nil for an unknown key or a bad value.
    public init?(line: String) {
        guard let words = splitWords(line) else { return nil }
        var fields: [String: String] = [:]
        for word in words {
            guard let eq = word.firstIndex(of: "=") else { return nil }
            fields[String(word[..<eq])] = String(word[word.index(after: eq)...])
        }
        guard let name = fields.removeValue(forKey: "name"), !name.isEmpty,
            let parent = fields.removeValue(forKey: "parent"), !parent.isEmpty
        else { return nil }
        self.init(name: name, parent: parent)
        for (key, value) in fields {
            guard applyField(key, value) else { return nil }
        }
    }

    private mutating func applyField(_ key: String, _ value: String) -> Bool {
        func flag() -> Bool? { value == "1" ? true : value == "0" ? false : nil }
        switch key {
        case "driver": driverName = value
        case "state":
            guard let s = InitialState(boardValue: value) else { return false }
            initialState = s
        case "firmware": firmware = value
        case "preload": preloadedFirmware = value
        case "trace": traceText = value
        case "read-only", "auto-boot", "iommu", "dump-segments", "attach-on-recovery", "detach":
            guard let f = flag() else { return false }
            switch key {
            case "read-only": sysfsReadOnly = f
            case "auto-boot": autoBoot = f
            case "iommu": hasIOMMU = f
            case "dump-segments": dumpLoadedSegments = f
            case "attach-on-recovery": attachOnRecovery = f
            default: hasDetach = f
            }
        case "memory":
            var windows: [MemoryWindow] = []
            for part in value.split(separator: ",") {
                let pieces = part.split(separator: ":")
                guard pieces.count == 2, let da = parseNumber(pieces[0]), let len = parseNumber(pieces[1]),
                    len <= UInt64(Int.max)
                else { return false }
                windows.append(MemoryWindow(deviceAddress: da, length: Int(len)))
            }
            memory = windows
        case "elf":
            let pieces = value.split(separator: ":")
            guard pieces.count == 2, let c = parseNumber(pieces[0]), c == 32 || c == 64,
                let m = parseNumber(pieces[1]), m <= 0xffff
            else { return false }
            coredumpElf = CoredumpElfInfo(elfClass: c == 32 ? 1 : 2, machine: UInt16(m))
        case "channels":
            var channels: [RpmsgChannelDescription] = []
            for part in value.split(separator: ",") {
                let pieces = part.split(separator: "@")
                guard pieces.count == 2, let a = parseNumber(pieces[1]), a <= 0xffff_ffff else { return false }
                channels.append(RpmsgChannelDescription(name: String(pieces[0]), address: UInt32(a)))
            }
            rpmsgChannels = channels
        case "announce":
            if value == "never" {
                announce = .never
            } else {
                guard let ms = parseNumber(Substring(value)) else { return false }
                announce = .after(milliseconds: ms)
            }
        case "start_delay_ms", "stop_delay_ms", "fail_next_start", "fail_next_stop", "crash_after_ms":
            guard let n = parseNumber(Substring(value)) else { return false }
            switch key {
            case "start_delay_ms": faults.startDelayMs = n
            case "stop_delay_ms": faults.stopDelayMs = n
            case "fail_next_start": faults.failNextStart = n
            case "fail_next_stop": faults.failNextStop = n
            default: faults.crashAfterMs = n
            }
        default: return false
        }
        return true
    }
}

/// Splits on spaces/tabs, keeping double-quoted runs together (quotes removed); nil if a quote
/// is not closed.
private func splitWords(_ line: String) -> [String]? {
    var words: [String] = []
    var current = ""
    var inQuote = false
    var hasWord = false
    for ch in line {
        if ch == "\"" {
            inQuote.toggle()
            hasWord = true
        } else if !inQuote && (ch == " " || ch == "\t" || ch == "\n") {
            if hasWord { words.append(current) }
            current = ""
            hasWord = false
        } else {
            current.append(ch)
            hasWord = true
        }
    }
    if inQuote { return nil }
    if hasWord { words.append(current) }
    return words
}

/// A decimal or `0x` hexadecimal unsigned number.
func parseNumber(_ text: Substring) -> UInt64? {
    if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
    return UInt64(text, radix: 10)
}
