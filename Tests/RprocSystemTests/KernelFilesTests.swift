import Foundation
import RprocModel
import SystemPackage
import Testing

@testable import RprocSystem

@Suite struct DiscoveryTests {
    @Test func discoversEveryProcessorInIndexOrderWithResolvedPaths() throws {
        let tree = try FakeTree()
        try tree.remoteproc(10, name: "dsp", parent: "dsp@30000000")
        try tree.remoteproc(2, name: "m4", parent: "imx-rproc")
        let devices = try tree.kernel.remoteprocDevices()
        #expect(devices.map(\.device) == ["remoteproc2", "remoteproc10"])
        #expect(devices.map(\.name) == ["m4", "dsp"])
        #expect(devices[0].devicePath == "/sys/devices/platform/imx-rproc/remoteproc/remoteproc2")
        #expect(devices[1].devicePath == "/sys/devices/platform/dsp@30000000/remoteproc/remoteproc10")
        #expect(devices[0].readOnlyAttributes == [.name])
        #expect(devices[0].isWritable(.state))
        #expect(!devices[0].isWritable(.name))
    }

    @Test func reportsReadOnlyAttributesFromTheMode() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "wkup_m3", parent: "wkup", readOnly: true)
        let device = try tree.kernel.remoteprocDevice("remoteproc0")
        #expect(device.readOnlyAttributes == [.name, .state, .firmware, .recovery, .coredump])
    }

    @Test func noClassDirectoryMeansNoProcessors() throws {
        let tree = try FakeTree()
        #expect(try tree.kernel.remoteprocDevices().isEmpty)
    }

    @Test func aDanglingClassEntryIsLeftOut() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "a")
        try tree.link("sys/class/remoteproc/remoteproc1", to: "../../devices/platform/gone/remoteproc/remoteproc1")
        #expect(try tree.kernel.remoteprocDevices().map(\.device) == ["remoteproc0"])
    }

    @Test func refusesDeviceNamesThatLeaveTheClassDirectory() throws {
        let tree = try FakeTree()
        for bad in ["", "..", ".", "../x", "a/b"] {
            #expect(throws: SystemError.self) { try tree.kernel.state(of: bad) }
        }
    }
}

@Suite struct AttributeReadTests {
    @Test func readsAndParsesEveryAttribute() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4 core", parent: "p", state: "running", firmware: "app.elf")
        try tree.file("sys/devices/platform/p/remoteproc/remoteproc0/coredump", "inline\n")
        try tree.file("sys/devices/platform/p/remoteproc/remoteproc0/recovery", "disabled\n")
        let status = try tree.kernel.status(of: "remoteproc0")
        #expect(status.state == .running)
        #expect(status.firmware == "app.elf")
        #expect(status.recovery == .disabled)
        #expect(status.coredump == .inline)
        #expect(status.name == "m4 core")
    }

    @Test func keepsAnUnknownStateVerbatim() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "p", state: "defunct")
        #expect(try tree.kernel.state(of: "remoteproc0") == .unrecognized("defunct"))
    }

    @Test func anUnknownRecoveryStringIsATypedError() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "p")
        try tree.file("sys/devices/platform/p/remoteproc/remoteproc0/recovery", "sometimes\n")
        #expect(throws: UnexpectedAttributeValueError(device: "remoteproc0", attribute: .recovery, value: "sometimes")) {
            try tree.kernel.recovery(of: "remoteproc0")
        }
    }

    @Test func readsWithPreadFromOffsetZero() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "p")
        let recorder = RecordingFileOperations()
        let kernel = KernelFiles(root: tree.root, operations: recorder)
        _ = try kernel.state(of: "remoteproc0")
        // One pread at offset 0: a short read of an attribute is the whole value.
        let reads = recorder.events.filter { $0.call == .read }
        #expect(reads.map(\.offset) == [0])
    }

    @Test func aKeptFileRereadsFromOffsetZeroEachTime() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "p")
        let recorder = RecordingFileOperations()
        let kernel = KernelFiles(root: tree.root, operations: recorder)
        let kept = try kernel.keepOpen(.state, of: "remoteproc0")
        #expect(try kept.readText() == "offline")
        try tree.overwrite("sys/devices/platform/p/remoteproc/remoteproc0/state", "running\n")
        #expect(try kept.readText() == "running")
        let opens = recorder.events.filter { $0.call == .openForReading }
        #expect(opens.count == 1)
        let offsets: [Int64?] = recorder.events.filter { $0.call == .read }.map(\.offset)
        #expect(offsets == [0, 0])
    }
}

@Suite struct KernelWriteTests {
    let tree: FakeTree
    let recorder = RecordingFileOperations()
    var kernel: KernelFiles { KernelFiles(root: tree.root, operations: recorder) }
    var statePath: String { tree.path("sys/devices/platform/p/remoteproc/remoteproc0/state") }

    init() throws {
        tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "p")
    }

    @Test func aCommandIsOneWriteOfExactlyItsBytesBetweenTwoStateReads() throws {
        let path = statePath
        // Play the kernel: the write to `state` boots the processor.
        recorder.beforeWrite { written, _ in
            if written.hasSuffix("/state") { _ = FileManager.default.createFile(atPath: path, contents: Data("running\n".utf8)) }
        }
        let outcome = try kernel.perform(.start, on: "remoteproc0")
        #expect(outcome.stateBefore == .offline)
        #expect(outcome.stateAfter == .running)
        #expect(outcome.bytesWritten == 6)
        #expect(recorder.writes.map(\.bytes) == [Array("start\n".utf8)])
        // read state, open for writing, write, read state: in that order.
        let calls = recorder.events.map(\.call).filter { $0 != .status }
        let write = try #require(calls.firstIndex(of: .write))
        #expect(calls[..<write].contains(.read))
        #expect(calls[(write + 1)...].contains(.read))
        #expect(calls.filter { $0 == .openForWriting }.count == 1)
    }

    @Test(arguments: [
        (KernelWrite.stop, "state", "stop\n"), (KernelWrite.detach, "state", "detach\n"),
        (KernelWrite.recover, "recovery", "recover\n"), (KernelWrite.recovery(.disable), "recovery", "disabled\n"),
        (KernelWrite.coredump(.inline), "coredump", "inline\n"), (KernelWrite.firmware("new fw.elf"), "firmware", "new fw.elf\n"),
    ])
    func everyCommandWritesItsAttribute(write: KernelWrite, file: String, bytes: String) throws {
        _ = try kernel.perform(write, on: "remoteproc0")
        #expect(recorder.writes.count == 1)
        #expect(recorder.writes[0].path.hasSuffix("/remoteproc0/" + file))
        #expect(recorder.writes[0].text == bytes)
        // A plain file is not truncated by the write (sysfs has no file content to truncate).
        #expect(try tree.read("sys/devices/platform/p/remoteproc/remoteproc0/" + file).hasPrefix(bytes))
    }

    @Test func aRefusedWriteCarriesEverything() throws {
        let path = statePath
        recorder.beforeWrite { _, _ in
            _ = FileManager.default.createFile(atPath: path, contents: Data("crashed\n".utf8))
        }
        recorder.fail(.write, pathSuffix: "/firmware", with: .resourceBusy)
        let error = try #require(throws: KernelWriteError.self) {
            try kernel.perform(.firmware("app.elf"), on: "remoteproc0")
        }
        #expect(error.device == "remoteproc0")
        #expect(error.attribute == .firmware)
        #expect(error.value == "app.elf")
        #expect(error.path.hasSuffix("sys/class/remoteproc/remoteproc0/firmware"))
        #expect(error.errno == .resourceBusy)
        #expect(error.stateBefore == .offline)
        #expect(error.stateAfter == .crashed)
        #expect(error.hint.contains("journalctl -k"))
        #expect(error.hint.contains("dmesg"))
        #expect(error.description.contains("'app.elf'"))
        #expect(error.description.contains("state 'offline' before, 'crashed' after"))
        #expect(error.description.contains(Errno.resourceBusy.description))
        #expect(recorder.writes.map(\.text) == ["app.elf\n"])
        #expect(recorder.writes[0].failure == .resourceBusy)
    }

    @Test func eaccesOnA0444FileIsReadOnlyNotAFailure() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "wkup", parent: "p", readOnly: true)
        let recorder = RecordingFileOperations()
        // As root a plain 0444 file opens for writing; sysfs refuses it with EACCES even for root.
        recorder.fail(.openForWriting, pathSuffix: "/state", with: .permissionDenied)
        let kernel = KernelFiles(root: tree.root, operations: recorder)
        let error = try #require(throws: ReadOnlyAttributeError.self) { try kernel.perform(.start, on: "remoteproc0") }
        #expect(error.attribute == .state)
        #expect(error.value == "start")
        #expect(error.permissions == 0o444)
        #expect(error.stateBefore == .offline)
        #expect(error.description.contains("read-only"))
        #expect(recorder.writes.isEmpty)
        #expect(try tree.read("sys/devices/platform/p/remoteproc/remoteproc0/state") == "offline\n")
    }

    @Test func eaccesOnAWritableFileIsAPermissionError() throws {
        recorder.fail(.openForWriting, pathSuffix: "/state", with: .permissionDenied)
        let error = try #require(throws: SystemError.self) { try kernel.perform(.start, on: "remoteproc0") }
        #expect(error.operation == "open")
        #expect(error.errno == .permissionDenied)
    }

    @Test(.enabled(if: getuid() != 0, "running as root: a 0444 plain file opens for writing; EACCES is injected above"))
    func aRealNonRootProcessCannotOpenA0444File() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "wkup", parent: "p", readOnly: true)
        #expect(throws: ReadOnlyAttributeError.self) { try tree.kernel.perform(.start, on: "remoteproc0") }
    }

    @Test(arguments: ["", "a\nb", "a\u{0}b", String(repeating: "x", count: 5000)])
    func valuesThatAreNotOneCommandAreRefusedBeforeAnyIO(value: String) throws {
        #expect(throws: InvalidKernelWriteError.self) {
            try kernel.perform(.firmware(value), on: "remoteproc0")
        }
        #expect(recorder.events.isEmpty)
    }

    @Test func anUnreadableStateBeforeStopsTheWrite() throws {
        recorder.fail(.openForReading, pathSuffix: "/state", with: .operationNotSupportedByDevice)
        #expect(throws: SystemError(operation: "open", path: statePath.replacingOccurrences(
            of: "devices/platform/p/remoteproc", with: "class/remoteproc"), errno: .operationNotSupportedByDevice)) {
            try kernel.perform(.stop, on: "remoteproc0")
        }
        #expect(recorder.writes.isEmpty)
    }

    @Test func aStateThatVanishesAfterTheWriteIsReportedInTheOutcome() throws {
        // The device goes away during the write: the state read after it fails.
        let recorder2 = RecordingFileOperations()
        let kernel2 = KernelFiles(root: tree.root, operations: recorder2)
        recorder2.beforeWrite { _, _ in
            recorder2.fail(.openForReading, pathSuffix: "/state", with: .operationNotSupportedByDevice)
        }
        let outcome = try kernel2.perform(.stop, on: "remoteproc0")
        #expect(outcome.stateBefore == .offline)
        #expect(outcome.stateAfter == nil)
        #expect(outcome.stateAfterError?.errno == .operationNotSupportedByDevice)
    }
}

@Suite struct SystemErrorTests {
    @Test func readsLikeSystemd() {
        let error = SystemError(operation: "open", path: "/sys/class/remoteproc/remoteproc0/state", errno: .noSuchFileOrDirectory)
        #expect(error.description == "Failed to open '/sys/class/remoteproc/remoteproc0/state': No such file or directory")
        #expect(SystemError(operation: "uname", path: nil, errno: .ioError).description == "Failed to uname: Input/output error")
    }

    @Test func realCallsThrowWithOperationPathAndErrno() throws {
        let missing = "/nonexistent-\(UUID().uuidString)"
        #expect(throws: SystemError(operation: "open", path: missing, errno: .noSuchFileOrDirectory)) {
            try SystemFileOperations().readWhole(missing)
        }
        #expect(throws: SystemError(operation: "stat", path: missing, errno: .noSuchFileOrDirectory)) {
            try SystemFileOperations().status(of: missing, followingSymlinks: true)
        }
    }

    @Test func fileOperationsAgreeWithTheFileSystem() throws {
        let tree = try FakeTree()
        try tree.file("d/a", "one\n")
        try tree.file("d/b", "")
        try tree.link("d/l", to: "a")
        let ops = SystemFileOperations()
        #expect(try ops.directoryEntries(tree.path("d")) == ["a", "b", "l"])
        #expect(try ops.readLink(tree.path("d/l")) == "a")
        #expect(try ops.realPath(tree.path("d/l")) == ops.realPath(tree.path("d/a")))
        #expect(try ops.status(of: tree.path("d/l"), followingSymlinks: false).kind == .symbolicLink)
        #expect(try ops.status(of: tree.path("d/l"), followingSymlinks: true).kind == .regular)
        #expect(try ops.status(of: tree.path("d"), followingSymlinks: true).kind == .directory)
        #expect(try ops.readWhole(tree.path("d/a"), chunkSize: 2) == Array("one\n".utf8))
        #expect(try ops.writeOnce(tree.path("d/b"), Array("xyz".utf8)) == 3)
        #expect(try tree.read("d/b") == "xyz")
    }
}
