/// A pending device coredump, `sys/class/devcoredump/devcdM` (kernel-contract.md §3.5,
/// `drivers/base/devcoredump.c`). It lives until something writes to its `data` or 300 s pass, and while it
/// lives the next dump of the same device is discarded: read it, then release it, promptly.
public struct Devcoredump: Sendable, Hashable {
    /// `devcdM`; M counts from 1 and is never reused.
    public var name: String
    /// The dump's directory under the root.
    public var directory: String
    /// Where `failing_device` points, as the board sees it.
    public var failingDevicePath: String?
    /// The remote processor that failed (`remoteprocN`), when `failing_device` is one.
    public var remoteproc: String?

    /// The `data` file.
    public var dataPath: String { directory + "/data" }
}

extension KernelFiles {
    /// `sys/class/devcoredump` under the root.
    public var devcoredumpClassDirectory: String { path("sys/class/devcoredump") }

    /// The pending device coredumps (`devcd*` entries), each tied to its failing device. An absent class
    /// (CONFIG_DEV_COREDUMP off, or no dump ever) gives an empty list; a dump that vanishes meanwhile is left out.
    public func devcoredumps() throws -> [Devcoredump] {
        let entries = try entriesIfPresent(devcoredumpClassDirectory)
        let dumps = entries.filter { $0.hasPrefix("devcd") }.compactMap(devcoredump(named:))
        return dumps.sorted { (Int($0.name.dropFirst(5)) ?? 0, $0.name) < (Int($1.name.dropFirst(5)) ?? 0, $1.name) }
    }

    /// One pending dump by name (`devcd3`, the `systemName` of its udev event), or nil when it is gone.
    public func devcoredump(named name: String) -> Devcoredump? {
        guard name.hasPrefix("devcd"), !name.contains("/") else { return nil }
        let directory = devcoredumpClassDirectory + "/" + name
        guard operations.exists(directory + "/data") else { return nil }
        let failing = try? operations.realPath(directory + "/failing_device")
        return Devcoredump(
            name: name, directory: directory, failingDevicePath: failing.map(boardPath),
            remoteproc: failing.flatMap(owningRemoteproc(ofResolved:)))
    }

    /// Reads a dump's `data` whole: chunks of at most a page until a read returns 0. Reading alone does not
    /// release the dump (an `inline` dump keeps recovery waiting until `releaseDevcoredump`).
    public func readDevcoredump(_ dump: Devcoredump, limit: Int = Int.max) throws -> [UInt8] {
        try operations.readWhole(dump.dataPath, chunkSize: 4096, limit: limit)
    }

    /// Releases a dump by writing one byte to its `data` (any write schedules its deletion).
    public func releaseDevcoredump(_ dump: Devcoredump) throws {
        _ = try operations.writeOnce(dump.dataPath, [UInt8(ascii: "1")])
    }
}
