import Foundation
import Glibc
import RprocJSON
import RprocModel
import RprocSystem
import Testing
@testable import RprocDaemon

/// A board root with one remote processor and a devcoredump tree as drivers/base/devcoredump.c
/// lays it out (kernel-contract.md §3.5), plus a state directory. Removed when the value goes.
final class CrashBoardTree {
    let base: String
    var root: String { base + "/root" }
    var stateDirectory: String { base + "/state" }
    var kernel: KernelFiles { KernelFiles(root: root) }

    init() throws {
        base = NSTemporaryDirectory() + "rprocd-crash-" + UUID().uuidString
        try remoteproc(0, name: "m4", parent: "imx-rproc")
        try remoteproc(1, name: "dsp", parent: "dsp")
        try file("lib/firmware/m4.elf", Array("abc".utf8))
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    func path(_ relative: String) -> String { root + "/" + relative }

    func file(_ relative: String, _ bytes: [UInt8], mode: Int = 0o644) throws {
        let path = path(relative)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: mode])
    }

    func link(_ relative: String, to target: String) throws {
        let path = path(relative)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    func remoteproc(_ index: Int, name: String, parent: String) throws {
        let directory = "sys/devices/platform/\(parent)/remoteproc/remoteproc\(index)"
        try file(directory + "/name", Array((name + "\n").utf8))
        try file(directory + "/state", Array("running\n".utf8))
        try FileManager.default.createDirectory(atPath: path("sys/class/remoteproc"), withIntermediateDirectories: true)
        try link(directory + "/subsystem", to: "../../../../../class/remoteproc")
        try link("sys/class/remoteproc/remoteproc\(index)", to: "../../devices/platform/\(parent)/remoteproc/remoteproc\(index)")
    }

    /// `devcdN` failing on `parent`'s `device`.
    func dump(_ index: Int, of parent: String, device: String, data: [UInt8]) throws {
        let directory = "sys/devices/virtual/devcoredump/devcd\(index)"
        try file(directory + "/data", data, mode: 0o600)
        try link(directory + "/failing_device", to: "../../../platform/\(parent)/remoteproc/\(device)")
        try link("sys/class/devcoredump/devcd\(index)", to: "../../devices/virtual/devcoredump/devcd\(index)")
    }

    func contents(_ relative: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(relative)))) }
}

@Suite struct CrashCoredumpTests {
    let time: UInt64 = 1_796_112_565_123_456  // 2026-12-01T08:09:25.123456Z

    func context(_ device: String = "remoteproc0", name: String = "m4", retention: CoredumpRetention = .init()) -> CoredumpContext {
        CoredumpContext(
            device: device, name: name, firmware: "m4.elf", crashType: .watchdog, crashCount: 3, bootCount: 7,
            kernelLog: ["remoteproc remoteproc0: crash detected in m4: type watchdog"], trace: ["tick 41", "tick 42"],
            retention: retention)
    }

    func metadata(time: UInt64, boot: UInt32 = 1) -> CoredumpMetadata {
        CoredumpMetadata(
            name: "m4", device: "remoteproc0", devcoredump: "devcd1", firmware: "m4.elf", firmwareSHA256: "", crashType: nil,
            crashCount: 1, bootCount: boot, time: time, size: 0, kernelLog: [], trace: [])
    }

    @Test func collectsReadsWholeReleasesAndStoresWithMetadata() throws {
        let tree = try CrashBoardTree()
        let core = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try tree.dump(3, of: "imx-rproc", device: "remoteproc0", data: core)
        let store = CoredumpStore(stateDirectory: tree.stateDirectory)
        let collector = CoredumpCollector(kernel: tree.kernel, store: store, clock: { [time] in time })
        let report = collector.collect(["remoteproc0": context()])
        #expect(report.problems.isEmpty)
        #expect(report.collected.map(\.devcoredump) == ["devcd3"])
        let entry = try #require(report.collected.first?.entry)
        #expect(entry.id == "m4/20261201T080925.123456Z-7")
        #expect(entry.size == 10_000)
        // Released by a write: the fake's `data` now starts with the byte written.
        #expect(try tree.contents("sys/devices/virtual/devcoredump/devcd3/data").first == UInt8(ascii: "1"))
        // Stored whole, as read before the release.
        #expect(try tree.contents("../state/coredumps/m4/20261201T080925.123456Z-7.core") == core)
        let json = try JSONParser().parse(try store.describe(id: entry.id))
        #expect(json["processor"]?.stringValue == "m4")
        #expect(json["device"]?.stringValue == "remoteproc0")
        #expect(json["devcoredump"]?.stringValue == "devcd3")
        #expect(json["firmware"]?.stringValue == "m4.elf")
        #expect(json["firmwareSHA256"]?.stringValue == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(json["crashType"]?.stringValue == "watchdog")
        #expect(json["time"]?.stringValue == "2026-12-01T08:09:25.123456Z")
        #expect(json["kernelLog"]?.arrayValue?.count == 1)
        #expect(json["trace"]?.arrayValue?.compactMap(\.stringValue) == ["tick 41", "tick 42"])
        // The dump is still listed until the kernel deletes it: not taken twice.
        #expect(collector.collect(["remoteproc0": context()]).collected.isEmpty)
        let listed = try store.list()
        #expect(listed == [entry])
        #expect(listed.first?.busFields.5 == "watchdog")
    }

    @Test func dumpsOfOtherDevicesAreLeftAlone() throws {
        let tree = try CrashBoardTree()
        try tree.dump(1, of: "dsp", device: "remoteproc1", data: [9, 9, 9])
        let collector = CoredumpCollector(
            kernel: tree.kernel, store: CoredumpStore(stateDirectory: tree.stateDirectory), clock: { [time] in time })
        let report = collector.collect(["remoteproc0": context()])
        #expect(report.collected.isEmpty)
        #expect(try tree.contents("sys/devices/virtual/devcoredump/devcd1/data") == [9, 9, 9])
    }

    @Test func anUnreadableDumpIsStillReleased() throws {
        let tree = try CrashBoardTree()
        try tree.dump(2, of: "imx-rproc", device: "remoteproc0", data: [1, 2, 3])
        let data = tree.path("sys/devices/virtual/devcoredump/devcd2/data")
        chmod(data, 0o200)  // write-only: the read fails (unless root, who reads anyway)
        let collector = CoredumpCollector(
            kernel: tree.kernel, store: CoredumpStore(stateDirectory: tree.stateDirectory), clock: { [time] in time })
        let report = collector.collect(["remoteproc0": context()])
        chmod(data, 0o600)
        #expect(try tree.contents("sys/devices/virtual/devcoredump/devcd2/data").first == UInt8(ascii: "1"))
        if getuid() != 0 {
            #expect(report.releasedUnstored == ["devcd2"])
            #expect(report.problems.count == 1)
        }
    }

    @Test func retentionByMaxFilesKeepsTheNewest() throws {
        let tree = try CrashBoardTree()
        let store = CoredumpStore(stateDirectory: tree.stateDirectory)
        var pruned: [String] = []
        for i in 0..<4 {
            pruned += try store.store([UInt8](repeating: 1, count: 10), metadata: metadata(time: time + UInt64(i) * 1_000_000, boot: UInt32(i)),
                                      retention: CoredumpRetention(maxFiles: 2)).pruned
        }
        let ids = try store.list().map(\.id)
        #expect(ids == ["m4/20261201T080927.123456Z-2", "m4/20261201T080928.123456Z-3"])
        #expect(pruned == ["m4/20261201T080925.123456Z-0", "m4/20261201T080926.123456Z-1"])
        // Both files of a pruned dump are gone.
        let files = try FileManager.default.contentsOfDirectory(atPath: tree.stateDirectory + "/coredumps/m4").filter { !$0.hasPrefix(".") }
        #expect(files.count == 4)
    }

    @Test func retentionByMaxUse() throws {
        let tree = try CrashBoardTree()
        let store = CoredumpStore(stateDirectory: tree.stateDirectory)
        for i in 0..<3 {
            _ = try store.store([UInt8](repeating: 2, count: 100), metadata: metadata(time: time + UInt64(i)), retention: CoredumpRetention(maxUse: 250))
        }
        #expect(try store.list().map(\.size) == [100, 100])
        #expect(try store.list().map(\.time) == [time + 1, time + 2])
        // A single dump larger than MaxUse= is kept: the newest always stays.
        _ = try store.store([UInt8](repeating: 3, count: 1000), metadata: metadata(time: time + 9), retention: CoredumpRetention(maxUse: 250))
        #expect(try store.list().map(\.time) == [time + 9])
    }

    @Test func retentionByKeepFree() throws {
        let tree = try CrashBoardTree()
        var store = CoredumpStore(stateDirectory: tree.stateDirectory)
        store.fileSystemSpace = { _ in (free: 10_000, total: 1 << 40) }
        for i in 0..<3 {
            _ = try store.store([UInt8](repeating: 4, count: 1000), metadata: metadata(time: time + UInt64(i)),
                                retention: CoredumpRetention(keepFree: 12_500))
        }
        // 10 000 free; each pruned dump frees 1 000: two must go to reach 12 000, a third would be the newest.
        #expect(try store.list().map(\.time) == [time + 2])
        store.fileSystemSpace = { _ in (free: 1 << 30, total: 1 << 40) }
        _ = try store.store([4], metadata: metadata(time: time + 5), retention: CoredumpRetention(keepFree: 12_500))
        #expect(try store.list().count == 2)
    }

    @Test func openDescribeAndBadIds() throws {
        let tree = try CrashBoardTree()
        let store = CoredumpStore(stateDirectory: tree.stateDirectory)
        let (entry, _) = try store.store([0x7F, 0x45, 0x4C, 0x46], metadata: metadata(time: time), retention: .init())
        let fd = try store.open(id: entry.id)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(fd, &buffer, 16) == 4)
        #expect(Array(buffer.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])
        #expect(fcntl(fd, F_GETFL) & O_ACCMODE == O_RDONLY)
        for bad in ["m4/nope", "../m4", "m4/../../etc/passwd", "m4", "", "m4/.x", "a/b/c"] {
            #expect(throws: NoSuchCoredump.self, "\(bad)") { try store.describe(id: bad) }
            #expect(throws: NoSuchCoredump.self, "\(bad)") { _ = try store.open(id: bad) }
        }
        #expect(try store.list(nameOrDevice: "remoteproc0").count == 1)
        #expect(try store.list(nameOrDevice: "m4").count == 1)
        #expect(try store.list(nameOrDevice: "dsp").isEmpty)
    }

    @Test func utcTimes() {
        #expect(UTCTime.iso8601(0) == "1970-01-01T00:00:00.000000Z")
        #expect(UTCTime.iso8601(951_782_400_000_000) == "2000-02-29T00:00:00.000000Z")
        #expect(UTCTime.compact(time) == "20261201T080925.123456Z")
    }
}
