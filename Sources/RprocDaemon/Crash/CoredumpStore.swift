// Stored coredumps: `<state>/coredumps/<name>/<UTC time>-<boot>.core` with `<same>.json` beside
// it, written atomically; retention as systemd-coredump (coredump.conf(5): MaxUse=, KeepFree=,
// plus a file count, MaxFiles=). The D-Bus methods ListCoredumps, DescribeCoredump and
// OpenCoredump read from here.

import Glibc
import RprocJSON
import RprocModel
import RprocSystem
import SystemPackage

/// One stored dump, as `ListCoredumps` returns it (`a(sssttss)`).
public struct CoredumpEntry: Hashable, Sendable {
    /// `<name dir>/<stem>`, e.g. `m4/20261201T080925.123456Z-7`: what `DescribeCoredump` and `OpenCoredump` take.
    public var id: String
    public var device: String
    public var name: String
    /// µs, CLOCK_REALTIME, when the dump was collected.
    public var time: UInt64
    /// Bytes of the `.core` file.
    public var size: UInt64
    /// `mmufault`, …, or empty.
    public var crashType: String
    public var firmware: String

    /// The D-Bus structure `(sssttss)`.
    public var busFields: (String, String, String, UInt64, UInt64, String, String) {
        (id, device, name, time, size, crashType, firmware)
    }
}

/// What is kept beside a dump.
public struct CoredumpMetadata: Hashable, Sendable {
    public var name: String
    public var device: String
    /// `devcdM`.
    public var devcoredump: String
    public var firmware: String
    /// Lower-case hex; empty when the file could not be read.
    public var firmwareSHA256: String
    public var crashType: CrashType?
    public var crashCount: UInt32
    public var bootCount: UInt32
    /// µs, CLOCK_REALTIME.
    public var time: UInt64
    public var size: UInt64
    /// The kernel log lines about the processor around the crash.
    public var kernelLog: [String]
    /// The last lines of the remote's trace buffer.
    public var trace: [String]

    public init(
        name: String, device: String, devcoredump: String, firmware: String, firmwareSHA256: String, crashType: CrashType?,
        crashCount: UInt32, bootCount: UInt32, time: UInt64, size: UInt64, kernelLog: [String], trace: [String]
    ) {
        self.name = name
        self.device = device
        self.devcoredump = devcoredump
        self.firmware = firmware
        self.firmwareSHA256 = firmwareSHA256
        self.crashType = crashType
        self.crashCount = crashCount
        self.bootCount = bootCount
        self.time = time
        self.size = size
        self.kernelLog = kernelLog
        self.trace = trace
    }

    public var json: JSONValue {
        [
            "processor": .string(name), "device": .string(device), "devcoredump": .string(devcoredump),
            "firmware": .string(firmware), "firmwareSHA256": .string(firmwareSHA256),
            "crashType": .string(crashType?.sysfsValue ?? ""), "crashCount": .number(crashCount),
            "bootCount": .number(bootCount), "timeUSec": .number(time), "time": .string(UTCTime.iso8601(time)),
            "size": .number(size), "kernelLog": .array(kernelLog.map(JSONValue.string)), "trace": .array(trace.map(JSONValue.string)),
        ]
    }

    /// Reads back what `json` wrote; nil for a file that is not such metadata.
    public init?(json: JSONValue) {
        guard let name = json["processor"]?.stringValue, let device = json["device"]?.stringValue,
            let time = json["timeUSec"]?.uint64Value, let size = json["size"]?.uint64Value
        else { return nil }
        self.name = name
        self.device = device
        self.devcoredump = json["devcoredump"]?.stringValue ?? ""
        self.firmware = json["firmware"]?.stringValue ?? ""
        self.firmwareSHA256 = json["firmwareSHA256"]?.stringValue ?? ""
        self.crashType = json["crashType"]?.stringValue.flatMap { CrashType(sysfs: $0) }
        self.crashCount = UInt32(clamping: json["crashCount"]?.uint64Value ?? 0)
        self.bootCount = UInt32(clamping: json["bootCount"]?.uint64Value ?? 0)
        self.time = time
        self.size = size
        self.kernelLog = json["kernelLog"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.trace = json["trace"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

/// `[Coredump]` retention. nil: systemd-coredump's defaults (MaxUse= 10% and KeepFree= 15% of the
/// file system, each at most 4 GiB; no file limit).
public struct CoredumpRetention: Hashable, Sendable {
    public var maxFiles: UInt32?
    public var maxUse: UInt64?
    public var keepFree: UInt64?

    public init(maxFiles: UInt32? = nil, maxUse: UInt64? = nil, keepFree: UInt64? = nil) {
        self.maxFiles = maxFiles
        self.maxUse = maxUse
        self.keepFree = keepFree
    }

    public init(_ section: CoredumpSection) {
        self.init(maxFiles: section.maxFiles, maxUse: section.maxUse, keepFree: section.keepFree)
    }
}

/// Why a coredump id is refused (D-Bus `NoSuchCoredump`).
public struct NoSuchCoredump: Error, Hashable, Sendable, CustomStringConvertible {
    public var id: String
    public var description: String { "No coredump has the id '\(id)'; 'rprocctl coredump list' shows them." }
}

/// The coredump directory. A value: safe to use from any thread (each call is its own syscalls).
public struct CoredumpStore: Sendable {
    /// `<state>/coredumps`.
    public let directory: String
    /// Free and total bytes of the file system holding `path` (statvfs); injectable for tests.
    public var fileSystemSpace: @Sendable (String) -> (free: UInt64, total: UInt64)? = CoredumpStore.statvfsSpace

    public init(stateDirectory: String) {
        self.directory = (stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory) + "/coredumps"
    }

    // MARK: Writing

    /// Stores `data` with its metadata and applies `retention` to the processor's dumps.
    ///
    /// - Returns: the new entry and the ids pruned.
    /// - Throws: `SystemError`.
    public func store(_ data: [UInt8], metadata: CoredumpMetadata, retention: CoredumpRetention) throws -> (entry: CoredumpEntry, pruned: [String]) {
        let folder = CounterStore.key(name: metadata.name, parent: "")
        let stem = UTCTime.compact(metadata.time) + "-\(metadata.bootCount)"
        try CounterStore.makeDirectories(directory + "/" + folder)
        let base = directory + "/" + folder + "/" + stem
        var meta = metadata
        meta.size = UInt64(data.count)
        // The dump first, then its metadata: a listing only shows dumps whose metadata exists.
        try AtomicFile.write(data, to: base + ".core", permissions: 0o640)
        try AtomicFile.write(Array(meta.json.serialized(.pretty).utf8) + [0x0A], to: base + ".json", permissions: 0o640)
        let id = folder + "/" + stem
        let pruned = try prune(folder: folder, retention: retention, keep: id)
        return (entry(id: id, meta), pruned)
    }

    /// Deletes the oldest dumps of `folder` until `retention` holds; `keep` (the dump just stored) stays.
    func prune(folder: String, retention: CoredumpRetention, keep: String) throws -> [String] {
        var dumps = try entries(inFolder: folder).sorted { ($0.time, $0.id) < ($1.time, $1.id) }
        let space = fileSystemSpace(directory + "/" + folder)
        let cap: UInt64 = 4 << 30
        let maxUse = retention.maxUse ?? space.map { min($0.total / 10, cap) } ?? UInt64.max
        let keepFree = retention.keepFree ?? space.map { min($0.total / 100 * 15, cap) } ?? 0
        var used = dumps.reduce(0) { $0 + $1.size }
        var free = space?.free ?? UInt64.max
        var pruned: [String] = []
        while let oldest = dumps.first, oldest.id != keep {
            let tooMany = retention.maxFiles.map { dumps.count > Int($0) } ?? false
            guard tooMany || used > maxUse || free < keepFree else { break }
            remove(id: oldest.id)
            dumps.removeFirst()
            used -= oldest.size
            free = free == UInt64.max ? free : free + oldest.size
            pruned.append(oldest.id)
        }
        return pruned
    }

    private func remove(id: String) {
        _ = unlink(directory + "/" + id + ".json")
        _ = unlink(directory + "/" + id + ".core")
    }

    // MARK: Reading

    /// Every stored dump, newest last; `nameOrDevice` (empty: all) matches the name or the device.
    public func list(nameOrDevice: String = "") throws -> [CoredumpEntry] {
        let folders = try names(in: directory)
        let all = try folders.flatMap { try entries(inFolder: $0) }
        return all.filter { nameOrDevice.isEmpty || $0.name == nameOrDevice || $0.device == nameOrDevice }
            .sorted { ($0.time, $0.id) < ($1.time, $1.id) }
    }

    /// The metadata JSON kept beside a dump, as stored (`DescribeCoredump`).
    public func describe(id: String) throws -> String {
        let path = try self.path(of: id) + ".json"
        do {
            return String(decoding: try SystemFileOperations().readWhole(path, limit: 16 << 20), as: UTF8.self)
        } catch let error as SystemError where error.errno == .noSuchFileOrDirectory {
            throw NoSuchCoredump(id: id)
        }
    }

    /// A read-only descriptor of the dump (`OpenCoredump`); the caller closes it.
    public func open(id: String) throws -> Int32 {
        let path = try self.path(of: id) + ".core"
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { throw NoSuchCoredump(id: id) }
            throw SystemError(operation: "open", path: path, errno: Errno(rawValue: errno))
        }
        return fd
    }

    /// The path of `id` without its extension; ids are exactly `folder/stem`, no `..`, no other slash.
    func path(of id: String) throws -> String {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("\0") }), id.utf8.count < 512 else {
            throw NoSuchCoredump(id: id)
        }
        return directory + "/" + id
    }

    private func entries(inFolder folder: String) throws -> [CoredumpEntry] {
        let files = try names(in: directory + "/" + folder)
        let stems = files.filter { $0.hasSuffix(".core") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }
        let operations = SystemFileOperations()
        return stems.compactMap { stem in
            let id = folder + "/" + stem
            guard let bytes = try? operations.readWhole(directory + "/" + id + ".json", limit: 16 << 20),
                let json = try? JSONParser().parse(bytes), var meta = CoredumpMetadata(json: json)
            else { return nil }
            if let status = try? operations.status(of: directory + "/" + id + ".core", followingSymlinks: false) {
                meta.size = UInt64(max(status.size, 0))
            }
            return entry(id: id, meta)
        }
    }

    private func entry(id: String, _ meta: CoredumpMetadata) -> CoredumpEntry {
        CoredumpEntry(
            id: id, device: meta.device, name: meta.name, time: meta.time, size: meta.size,
            crashType: meta.crashType?.sysfsValue ?? "", firmware: meta.firmware)
    }

    private func names(in directory: String) throws -> [String] {
        do {
            return try SystemFileOperations().directoryEntries(directory)
        } catch let error as SystemError where error.errno == .noSuchFileOrDirectory {
            return []
        }
    }

    /// statvfs(3): available (to unprivileged users) and total bytes.
    public static let statvfsSpace: @Sendable (String) -> (free: UInt64, total: UInt64)? = { path in
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let unit = UInt64(info.f_frsize)
        return (UInt64(info.f_bavail) * unit, UInt64(info.f_blocks) * unit)
    }
}
