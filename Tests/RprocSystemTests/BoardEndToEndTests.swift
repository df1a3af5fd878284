import Foundation
import RprocModel
import RprocTestSupport
import SystemPackage
import Testing

@testable import RprocSystem

/// RprocSystem against a mounted virtual board (`rproc-sim` over FUSE, Resources/boards/lab.conf): the same
/// files, errnos and log lines as the kernel's.
@Suite(.serialized, .enabled(if: MountedBoard.available, "virtual boards cannot be mounted here"))
final class BoardEndToEndTests {
    let board: MountedBoard
    let kernel: KernelFiles
    static let firmware = ElfBuilder.minimalRemoteproc().build()

    init() throws {
        board = try MountedBoard(board: "lab", firmware: ["m4.elf": Self.firmware, "ro.elf": Self.firmware, "broken.elf": Self.firmware])
        kernel = KernelFiles(root: board.mountPoint)
    }

    /// Waits (bounded) for `condition`, re-checking as the board's own timers run.
    func eventually(_ what: String, timeout: Double = 5, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            if Date() > deadline { Issue.record("timed out waiting for \(what)"); return }
            usleep(2_000)
        }
    }

    /// Every remoteproc line readable now.
    func remoteprocLines(_ reader: KmsgReader) throws -> [RemoteprocLogLine] {
        var lines: [RemoteprocLogLine] = []
        while case let step = try reader.next(), step != .noMoreForNow {
            if case .record(let record) = step, let line = RemoteprocLogLine(record) { lines.append(line) }
        }
        return lines
    }

    @Test func discoversTheBoardsProcessors() throws {
        let devices = try kernel.remoteprocDevices()
        #expect(devices.map(\.name) == ["m4", "r5f", "bootcore", "ro-core", "slow", "broken", "auto"])
        #expect(devices[0].device == "remoteproc0")
        #expect(devices[0].devicePath == "/sys/devices/platform/sim-rproc.0/remoteproc/remoteproc0")
        #expect(devices[0].readOnlyAttributes == [.name])
        #expect(devices[3].readOnlyAttributes == [.name, .state, .firmware, .recovery, .coredump])
        let status = try kernel.status(of: "remoteproc0")
        #expect(status.state == .offline)
        #expect(status.firmware == "m4.elf")
        #expect(status.recovery == .enabled)
        #expect(status.coredump == .disabled)
        #expect(try kernel.state(of: "remoteproc2") == .detached)
    }

    @Test func startStopWithStateReadsAndKernelLog() throws {
        let log = try KmsgReader(kernel: kernel)
        let started = try kernel.perform(.start, on: "remoteproc0")
        #expect(started.stateBefore == .offline)
        #expect(started.stateAfter == .running)
        #expect(started.bytesWritten == 6)
        let lines = try remoteprocLines(log)
        #expect(lines.allSatisfy { $0.device == "remoteproc0" })
        #expect(lines.map(\.event).contains(.poweringUp(name: "m4")))
        #expect(lines.map(\.event).contains(.bootingFirmware(image: "m4.elf", size: Self.firmware.count)))
        #expect(lines.map(\.event).contains(.up(name: "m4")))

        let traces = try kernel.traceBuffers(of: "remoteproc0")
        #expect(traces.map(\.index) == [0])
        guard case .text(let text) = try kernel.readTrace(traces[0]) else { Issue.record("no trace text"); return }
        #expect(text.contains("m4: hello from the simulated remote"))

        try eventually("the announced rpmsg channels") { try kernel.rpmsgChannels().count >= 2 }
        let channels = try kernel.rpmsgChannels().filter { $0.name.hasPrefix("rpmsg-") }
        #expect(Set(channels.map(\.name)) == ["rpmsg-tty", "rpmsg-raw"])
        #expect(channels.allSatisfy { $0.remoteproc == "remoteproc0" })
        #expect(Set(channels.map(\.destination)) == [0x400, 0x401])

        let stopped = try kernel.perform(.stop, on: "remoteproc0")
        #expect(stopped.stateBefore == .running)
        #expect(stopped.stateAfter == .offline)
        #expect(try remoteprocLines(log).map(\.event).contains(.stopped(name: "m4")))
        #expect(try kernel.readTrace(traces[0]) == .vanished)
    }

    @Test func refusalsCarryTheKernelsErrnoAndState() throws {
        let log = try KmsgReader(kernel: kernel)
        // broken.elf is valid; the driver's ops->start fails with EIO.
        let broken = try #require(throws: KernelWriteError.self) { try kernel.perform(.start, on: "remoteproc5") }
        #expect(broken.errno == .ioError)
        #expect(broken.stateBefore == .offline)
        #expect(broken.stateAfter == .offline)
        #expect(try remoteprocLines(log).map(\.event).contains(.bootFailed(.ioError)))

        // r5f.elf is not in the firmware directory.
        let missing = try #require(throws: KernelWriteError.self) { try kernel.perform(.start, on: "remoteproc1") }
        #expect(missing.errno == .noSuchFileOrDirectory)
        let events = try remoteprocLines(log).map(\.event)
        #expect(events.contains(.requestFirmwareFailed(.noSuchFileOrDirectory)))
        #expect(events.contains(.bootFailed(.noSuchFileOrDirectory)))

        let unknown = try #require(throws: KernelWriteError.self) {
            try kernel.perform(KernelWrite(attribute: .state, value: "begin"), on: "remoteproc0")
        }
        #expect(unknown.errno == .invalidArgument)
        #expect(try kernel.state(of: "remoteproc0") == .offline)
    }

    @Test func readOnlyAttributesAreReportedAsSuch() throws {
        let error = try #require(throws: ReadOnlyAttributeError.self) { try kernel.perform(.start, on: "remoteproc3") }
        #expect(error.permissions == 0o444)
        #expect(error.stateBefore == .offline)
        #expect(try kernel.state(of: "remoteproc3") == .offline)
    }

    @Test func firmwareSearchOnTheBoard() throws {
        let search = kernel.firmwareSearchPath()
        #expect(search.release == "6.12.117-sim")
        let lookup = try kernel.lookUpFirmware("m4.elf", in: search)
        #expect(lookup.found?.path == "/lib/firmware/m4.elf")
        #expect(lookup.placesLooked.first == "/lib/firmware/updates/6.12.117-sim/m4.elf")
        let found = try #require(lookup.found)
        #expect(try kernel.readFirmware(found) == Self.firmware)
        #expect(try kernel.mapFirmware(found).bytes == Self.firmware)
    }

    @Test func crashRecoveryAndDevcoredump() throws {
        _ = try kernel.perform(.coredump(.enabled), on: "remoteproc0")
        #expect(try kernel.coredump(of: "remoteproc0") == .enabled)
        _ = try kernel.perform(.start, on: "remoteproc0")
        let log = try KmsgReader(kernel: kernel)
        // Inject a crash the way one does on a board: debugfs `crash` (2 = fatal error).
        _ = try kernel.operations.writeOnce(
            kernel.path("sys/kernel/debug/remoteproc/remoteproc0/crash"), Array("2\n".utf8))
        try eventually("the devcoredump") { try !kernel.devcoredumps().isEmpty }
        try eventually("the recovery") { try kernel.state(of: "remoteproc0") == .running }
        let events = try remoteprocLines(log).map(\.event)
        #expect(events.contains(.crashDetected(name: "m4", type: "fatal error")))
        #expect(events.contains { if case .handlingCrash(_, "m4") = $0 { true } else { false } })
        #expect(events.contains(.recovering(name: "m4")))

        let dump = try #require(try kernel.devcoredumps().first)
        #expect(dump.remoteproc == "remoteproc0")
        let data = try kernel.readDevcoredump(dump)
        #expect(data.starts(with: [0x7F, 0x45, 0x4C, 0x46]))
        #expect(data[16] == 4)  // e_type ET_CORE
        try kernel.releaseDevcoredump(dump)
        try eventually("the released dump to go") { try kernel.devcoredumps().isEmpty }
        _ = try kernel.perform(.stop, on: "remoteproc0")
    }

    @Test func aKeptStateFileFollowsTheProcessor() throws {
        let kept = try kernel.keepOpen(.state, of: "remoteproc0")
        #expect(try kept.readText() == "offline")
        _ = try kernel.perform(.start, on: "remoteproc0")
        #expect(try kept.readText() == "running")
        _ = try kernel.perform(.stop, on: "remoteproc0")
        #expect(try kept.readText() == "offline")
    }

    @Test func attachAndDetachABootloaderStartedProcessor() throws {
        let log = try KmsgReader(kernel: kernel)
        let attached = try kernel.perform(.start, on: "remoteproc2")
        #expect(attached.stateBefore == .detached)
        #expect(attached.stateAfter == .attached)
        #expect(try kernel.firmware(of: "remoteproc2") == "unknown")
        let detached = try kernel.perform(.detach, on: "remoteproc2")
        #expect(detached.stateAfter == .detached)
        let events = try remoteprocLines(log).map(\.event)
        #expect(events.contains(.attached(name: "bootcore")))
        #expect(events.contains(.detached(name: "bootcore")))
    }

    @Test func hotplugShowsInDiscoveryAndTheLog() throws {
        let log = try KmsgReader(kernel: kernel)
        _ = try kernel.operations.writeOnce(kernel.path(".sim/add"), Array("hotplug\n".utf8))
        let added = try #require(try kernel.remoteprocDevices().first { $0.name == "hotplug" })
        #expect(added.devicePath == "/sys/devices/platform/sim-rproc.9/remoteproc/\(added.device)")
        let lines = try remoteprocLines(log)
        #expect(lines.contains { $0.device == added.device && $0.event == .available(name: "hotplug") })
        _ = try kernel.operations.writeOnce(kernel.path(".sim/remove"), Array((added.device + "\n").utf8))
        try eventually("the removal") { try !kernel.remoteprocDevices().contains { $0.name == "hotplug" } }
        #expect(throws: SystemError.self) { try kernel.state(of: added.device) }
    }

    @Test func the61FirmwarePathNewlineOnA61Board() throws {
        let file = FileManager.default.temporaryDirectory.path + "/sys-61-\(UUID().uuidString).conf"
        try "[Board]\nKernel=6.1\nOSRelease=6.1.0-sim\n\n[Processor]\nName=m4\nParent=p\nFirmware=m4.elf\nAutoBoot=no\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let old = try MountedBoard(board: file, firmware: ["m4.elf": Self.firmware])
        let kernel = KernelFiles(root: old.mountPoint)
        // What `echo /lib/firmware > …/path` does: the newline is written too, and 6.1 keeps it.
        _ = try kernel.operations.writeOnce(
            kernel.path("sys/module/firmware_class/parameters/path"), Array("/lib/firmware\n".utf8))
        let search = kernel.firmwareSearchPath()
        #expect(search.directories.first == .init(path: "/lib/firmware\n", origin: .classPath))
        #expect(search.notes.contains { $0.contains("newline") })
        let lookup = try kernel.lookUpFirmware("m4.elf", in: search)
        #expect(lookup.candidates.first?.outcome == .missing)
        #expect(lookup.found?.path == "/lib/firmware/m4.elf")
    }
}
