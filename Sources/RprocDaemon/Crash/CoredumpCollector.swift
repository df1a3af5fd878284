// Collects the kernel's devcoredumps of managed processors (kernel-contract.md §3.5): read `data`
// whole, release it by a write at once (an unconsumed dump swallows the next one, and an `inline`
// dump holds the recovery, and `rproc->lock`, until released), then store it with its metadata.

import RprocModel
import RprocSystem

/// What the loop knows of a processor when it asks for a collection.
public struct CoredumpContext: Sendable {
    public var device: String
    public var name: String
    /// The kernel's `firmware`.
    public var firmware: String
    public var crashType: CrashType?
    public var crashCount: UInt32
    public var bootCount: UInt32
    /// `KernelLogTail.lines(of:)`.
    public var kernelLog: [String]
    /// `TraceFollower.tail`.
    public var trace: [String]
    public var retention: CoredumpRetention

    public init(
        device: String, name: String, firmware: String, crashType: CrashType?, crashCount: UInt32, bootCount: UInt32,
        kernelLog: [String], trace: [String], retention: CoredumpRetention
    ) {
        self.device = device
        self.name = name
        self.firmware = firmware
        self.crashType = crashType
        self.crashCount = crashCount
        self.bootCount = bootCount
        self.kernelLog = kernelLog
        self.trace = trace
        self.retention = retention
    }
}

/// What one collection did.
public struct CoredumpCollection: Sendable {
    public struct Collected: Sendable {
        public var devcoredump: String
        public var device: String
        public var entry: CoredumpEntry
        /// Ids deleted by retention.
        public var pruned: [String]
    }
    public var collected: [Collected] = []
    /// One sentence per problem (the daemon logs each, ending in ", ignoring").
    public var problems: [String] = []
    /// Dumps released without being stored (read or store failed).
    public var releasedUnstored: [String] = []
}

/// The collector. Not thread-safe: use it from one serial worker only (not the processor's own
/// worker: an `inline` dump is read while that worker's `recovery ← recover` write still blocks).
public final class CoredumpCollector: @unchecked Sendable {
    public let kernel: KernelFiles
    public let store: CoredumpStore
    private let clock: @Sendable () -> UInt64
    /// Dumps already taken: a released dump stays listed until the kernel's deletion work runs.
    private var handled: Set<String> = []
    /// Largest dump read (a dump is device memory: a few MiB on real boards).
    public var limit = 1 << 30

    /// - Parameters:
    ///   - clock: µs on CLOCK_REALTIME (the dump's time).
    public init(kernel: KernelFiles, store: CoredumpStore, clock: @escaping @Sendable () -> UInt64) {
        self.kernel = kernel
        self.store = store
        self.clock = clock
    }

    /// Takes every pending dump whose failing device is one of `processors` (by device); dumps of
    /// other devices are left alone. Call it on a udev `add` of subsystem `devcoredump`, after every
    /// crash, and with every poll.
    public func collect(_ processors: [String: CoredumpContext]) -> CoredumpCollection {
        var report = CoredumpCollection()
        let pending: [Devcoredump]
        do {
            pending = try kernel.devcoredumps()
        } catch {
            report.problems.append("Failed to list '\(kernel.devcoredumpClassDirectory)': \(error)")
            return report
        }
        handled.formIntersection(pending.map(\.name))
        for dump in pending where !handled.contains(dump.name) {
            guard let device = dump.remoteproc, let context = processors[device] else { continue }
            handled.insert(dump.name)
            let time = clock()
            var data: [UInt8]?
            do {
                data = try kernel.readDevcoredump(dump, limit: limit)
            } catch {
                report.problems.append("Failed to read the coredump '\(dump.name)' of '\(context.name)': \(error)")
            }
            do {
                try kernel.releaseDevcoredump(dump)
            } catch {
                report.problems.append("Failed to release the coredump '\(dump.name)' of '\(context.name)': \(error)")
            }
            guard let data else {
                report.releasedUnstored.append(dump.name)
                continue
            }
            let metadata = CoredumpMetadata(
                name: context.name, device: device, devcoredump: dump.name, firmware: context.firmware,
                firmwareSHA256: firmwareDigest(context.firmware), crashType: context.crashType,
                crashCount: context.crashCount, bootCount: context.bootCount, time: time, size: UInt64(data.count),
                kernelLog: context.kernelLog, trace: context.trace)
            do {
                let (entry, pruned) = try store.store(data, metadata: metadata, retention: context.retention)
                report.collected.append(.init(devcoredump: dump.name, device: device, entry: entry, pruned: pruned))
            } catch {
                report.problems.append("Failed to store the coredump '\(dump.name)' of '\(context.name)': \(error)")
                report.releasedUnstored.append(dump.name)
            }
        }
        return report
    }

    /// SHA-256 of the firmware file the kernel's search path finds; empty when none is found.
    func firmwareDigest(_ firmware: String) -> String {
        guard !firmware.isEmpty, let lookup = try? kernel.lookUpFirmware(firmware), let found = lookup.found,
            let bytes = try? kernel.operations.readWhole(found.absolutePath, chunkSize: 1 << 16, limit: 1 << 30)
        else { return "" }
        return SHA256.hex(of: bytes)
    }
}
