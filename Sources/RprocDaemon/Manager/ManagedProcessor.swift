// One remote processor as the manager keeps it: what the kernel showed last, rprocd's job, the
// counters. Owned by the event loop thread; nothing else reads or writes it.

import RprocEventLoop
import RprocModel

/// A processor under management. Loop-owned (`EventLoop.assertOnLoop()`).
public final class ManagedProcessor {
    /// `remoteprocN`.
    public let device: String
    /// The kernel's `name`.
    public internal(set) var name: String
    /// The device directory with links resolved, as the board sees it.
    public internal(set) var devicePath: String
    /// The key of the counters file (`name@parent`).
    let counterKey: String
    /// Attributes the driver made read-only.
    public internal(set) var readOnlyAttributes: Set<String>

    /// State, job, counters, last crash, condition and result: RprocModel's mirror of the
    /// processor, fed with every observation.
    public internal(set) var mirror: ProcessorMirror
    public internal(set) var firmware: String
    public internal(set) var recovery: String
    public internal(set) var coredump: String

    public var state: ProcessorState { mirror.state }
    public var job: Job { mirror.job }
    public var condition: Condition? { mirror.condition }
    public var result: ProcessorResult { mirror.result }
    public var restartCount: UInt32 { mirror.restartCount }
    public var stateChangeMicroseconds: UInt64 { mirror.stateChangeUSec }

    /// What survives a daemon restart, as the state directory keeps it.
    public var counters: ProcessorCounters {
        var counters = ProcessorCounters()
        counters.boots = mirror.bootCount
        counters.crashes = mirror.crashCount
        counters.lastCrashMicroseconds = mirror.lastCrashUSec
        counters.lastCrashType = mirror.lastCrashType?.sysfsValue ?? ""
        counters.lastError = mirror.lastError ?? ""
        return counters
    }

    /// The rpmsg channels the remote announced (D-Bus `Channels`), from the last scan.
    public internal(set) var channels: [Channel] = []

    /// One rpmsg channel: the service name, its character device (`/dev/rpmsg0`, or empty), and the
    /// local and remote addresses.
    public struct Channel: Sendable, Equatable {
        public var name: String
        public var deviceNode: String
        public var source: UInt32
        public var destination: UInt32
    }

    /// The operation in flight and its job id, while a plan runs.
    var inFlight: (id: UInt32, operation: Operation)?
    /// The thread that performs this processor's kernel writes, one at a time.
    let worker: SerialWorker

    init(
        device: String, name: String, devicePath: String, readOnlyAttributes: Set<String>, snapshot: KernelSnapshot,
        counters: ProcessorCounters, now: UInt64, worker: SerialWorker
    ) {
        self.device = device
        self.name = name
        self.devicePath = devicePath
        self.counterKey = CounterStore.key(name: name, parent: Self.parentDevice(of: devicePath))
        self.readOnlyAttributes = readOnlyAttributes
        var mirror = ProcessorMirror(state: snapshot.state, at: now)
        mirror.restoreCounters(
            boots: counters.boots, crashes: counters.crashes, lastCrashUSec: counters.lastCrashMicroseconds,
            lastCrashType: RprocModel.CrashType(sysfs: counters.lastCrashType),
            lastError: counters.lastError.isEmpty ? nil : counters.lastError)
        self.mirror = mirror
        self.firmware = snapshot.firmware
        self.recovery = snapshot.recovery
        self.coredump = snapshot.coredump
        self.worker = worker
    }

    /// The parent device's directory name: `30000000.m4` in
    /// `/sys/devices/platform/30000000.m4/remoteproc/remoteproc0`.
    static func parentDevice(of devicePath: String) -> String {
        let components = devicePath.split(separator: "/")
        guard components.count >= 3, components[components.count - 2] == "remoteproc" else {
            return components.dropLast().last.map(String.init) ?? ""
        }
        return String(components[components.count - 3])
    }

    /// The D-Bus object path: `/org/daybreak/RemoteProc1/processor/remoteproc0`, the device
    /// escaped as `sd_bus_path_encode` does.
    public var objectPath: String { Self.objectPath(device: device) }

    public static func objectPath(device: String) -> String {
        "/org/daybreak/RemoteProc1/processor/" + pathEscape(device)
    }

    /// `sd_bus_path_encode`'s escaping: `[A-Za-z0-9]` stay, every other byte is `_XX` (lower-case
    /// hex); the empty string is `_`.
    public static func pathEscape(_ text: String) -> String {
        if text.isEmpty { return "_" }
        var result = ""
        for byte in text.utf8 {
            let alnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if alnum {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "_" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return result
    }

    /// Whether the driver made `attribute` (`state`, `firmware`, …) read-only.
    public var isReadOnly: Bool { readOnlyAttributes.contains("state") }
}
