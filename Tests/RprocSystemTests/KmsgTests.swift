import Foundation
import RprocModel
import Synchronization
import SystemPackage
import Testing

@testable import RprocSystem

/// Real records as the kernel formats them (printk.c `info_print_ext_header`/`msg_print_ext_body`).
enum KmsgSamples {
    static let poweringUp = "6,339,5140900,-;remoteproc remoteproc0: powering up imx-rproc\n SUBSYSTEM=remoteproc\n DEVICE=+remoteproc:remoteproc0\n"
    static let escaped = "4,2001,98765432,-;tab\\x09and\\x5cbackslash \\xe2\\x9c\\x93 done\n"
    static let withCaller = "3,17,42,-,caller=T123;remoteproc remoteproc1: Boot failed: -22\n SUBSYSTEM=remoteproc\n DEVICE=+remoteproc:remoteproc1\n"
    static let userFacility = "14,900,100,-;rprocd test\n"
    static let continuation = "6,5,6,c;fragment\n"
    static let escapedProperty = "6,7,8,-;x\n KEY=a\\x0ab\n EMPTY=\n"
}

@Suite struct KmsgRecordTests {
    @Test func parsesHeaderTextAndContinuationLines() throws {
        let record = try KmsgRecord(parsing: Array(KmsgSamples.poweringUp.utf8))
        #expect(record.level == 6)
        #expect(record.facility == 0)
        #expect(record.sequence == 339)
        #expect(record.timestampMicroseconds == 5_140_900)
        #expect(record.flag == "-")
        #expect(record.extraFields == [])
        #expect(record.text == "remoteproc remoteproc0: powering up imx-rproc")
        #expect(record.properties.map(\.key) == ["SUBSYSTEM", "DEVICE"])
        #expect(record[property: "DEVICE"] == "+remoteproc:remoteproc0")
        #expect(record[property: "MISSING"] == nil)
    }

    @Test func decodesEscapes() throws {
        let record = try KmsgRecord(parsing: Array(KmsgSamples.escaped.utf8))
        #expect(record.level == 4)
        #expect(record.text == "tab\tand\\backslash ✓ done")
        let property = try KmsgRecord(parsing: Array(KmsgSamples.escapedProperty.utf8))
        #expect(property[property: "KEY"] == "a\nb")
        #expect(property[property: "EMPTY"] == "")
    }

    @Test func keepsExtraHeaderFieldsFacilityAndFlag() throws {
        let record = try KmsgRecord(parsing: Array(KmsgSamples.withCaller.utf8))
        #expect(record.extraFields == ["caller=T123"])
        #expect(record.level == 3)
        let user = try KmsgRecord(parsing: Array(KmsgSamples.userFacility.utf8))
        #expect(user.facility == 1)
        #expect(user.level == 6)
        #expect(try KmsgRecord(parsing: Array(KmsgSamples.continuation.utf8)).flag == "c")
    }

    @Test func anEmptyMessageIsARecord() throws {
        let record = try KmsgRecord(parsing: Array("6,1,2,-;\n".utf8))
        #expect(record.text == "")
        #expect(record.properties.isEmpty)
    }

    @Test func unfinishedEscapesStayAsTheyAre() {
        #expect(KmsgRecord.unescape(Array("a\\x4".utf8)) == "a\\x4")
        #expect(KmsgRecord.unescape(Array("\\xzz\\x41".utf8)) == "\\xzzA")
    }

    @Test(arguments: [
        "no header", "6,1,2;text\n", "x,1,2,-;t\n", "6,x,2,-;t\n", "6,1,x,-;t\n", "6,1,2,--;t\n", "6,1,2,-;",
        "6,1,2,-;t\nNOSPACE=1\n", "6,1,2,-;t\n NOEQUALS\n",
    ])
    func rejectsMalformedRecords(text: String) {
        #expect(throws: KmsgParseError.self) { try KmsgRecord(parsing: Array(text.utf8)) }
    }
}

@Suite struct RemoteprocLogLineTests {
    static func record(_ text: String, properties: [(key: String, value: String)] = []) -> KmsgRecord {
        KmsgRecord(
            level: 6, facility: 0, sequence: 1, timestampMicroseconds: 1, flag: "-", extraFields: [], text: text,
            properties: properties)
    }

    @Test(arguments: [
        ("m4 is available", RemoteprocLogEvent.available(name: "m4")),
        ("powering up m4", .poweringUp(name: "m4")),
        ("Booting fw image rproc-m4-fw, size 151236", .bootingFirmware(image: "rproc-m4-fw", size: 151_236)),
        ("Booting fw image a, size 9.elf, size 12", .bootingFirmware(image: "a, size 9.elf", size: 12)),
        ("remote processor m4 is now up", .up(name: "m4")),
        ("stopped remote processor m4", .stopped(name: "m4")),
        ("crash detected in m4: type watchdog", .crashDetected(name: "m4", type: "watchdog")),
        ("crash detected in m4: type fatal error", .crashDetected(name: "m4", type: "fatal error")),
        ("crash detected in a: type b: type mmufault", .crashDetected(name: "a: type b", type: "mmufault")),
        ("handling crash #3 in m4", .handlingCrash(count: 3, name: "m4")),
        ("recovering m4", .recovering(name: "m4")),
        ("Boot failed: -22", .bootFailed(.invalidArgument)),
        ("request_firmware failed: -2", .requestFirmwareFailed(.noSuchFileOrDirectory)),
        ("detached remote processor m4", .detached(name: "m4")),
        ("remote processor m4 is now attached", .attached(name: "m4")),
        ("remote processor with spaces is now up", .up(name: "with spaces")),
        ("Unrecognised option: begin\n", .other("Unrecognised option: begin\n")),
        ("Boot failed: soon", .other("Boot failed: soon")),
        ("handling crash #x in m4", .other("handling crash #x in m4")),
    ])
    func classifiesEveryLineRprocdActsOn(message: String, event: RemoteprocLogEvent) throws {
        let line = try #require(RemoteprocLogLine(Self.record("remoteproc remoteproc7: " + message)))
        #expect(line.device == "remoteproc7")
        #expect(line.event == event)
    }

    @Test func crashTypes() {
        #expect(RemoteprocLogEvent(message: "crash detected in m4: type mmufault").crashType == .mmuFault)
        #expect(RemoteprocLogEvent(message: "crash detected in m4: type watchdog").crashType == .watchdog)
        #expect(RemoteprocLogEvent(message: "crash detected in m4: type fatal error").crashType == .fatalError)
        #expect(RemoteprocLogEvent(message: "crash detected in m4: type unknown").crashType == .unknown)
        #expect(RemoteprocLogEvent(message: "crash detected in m4: type cosmic ray").crashType == nil)
        #expect(RemoteprocLogEvent(message: "recovering m4").crashType == nil)
    }

    @Test func findsTheDeviceInTheStructuredFieldsToo() throws {
        let fromField = try #require(RemoteprocLogLine(
            Self.record("recovering m4", properties: [("SUBSYSTEM", "remoteproc"), ("DEVICE", "+remoteproc:remoteproc2")])))
        #expect(fromField.device == "remoteproc2")
        #expect(fromField.event == .recovering(name: "m4"))
        let cdev = RemoteprocLogLine(
            Self.record("recovering m4", properties: [("SUBSYSTEM", "remoteproc"), ("DEVICE", "c250:1")]),
            characterDevices: ["c250:1": "remoteproc1"])
        #expect(cdev?.device == "remoteproc1")
        let parsed = try KmsgRecord(parsing: Array(KmsgSamples.withCaller.utf8))
        #expect(RemoteprocLogLine(parsed)?.event == .bootFailed(.invalidArgument))
    }

    @Test func characterDeviceNumbersComeFromTheDevFiles() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "a")
        try tree.remoteproc(1, name: "dsp", parent: "b")
        try tree.file("sys/devices/platform/b/remoteproc/remoteproc1/dev", "250:1\n", mode: 0o444)
        #expect(try tree.kernel.remoteprocCharacterDevices() == ["c250:1": "remoteproc1"])
    }

    @Test(arguments: [
        "imx-rproc 30000000.m4: can't change firmware while running", "remoteproc : x", "remoteproc remoteprocX: x",
        "remoteproc remoteproc0 powering up", "usb 1-1: new device",
    ])
    func ignoresOtherLines(text: String) {
        #expect(RemoteprocLogLine(Self.record(text, properties: [("DEVICE", "+platform:30000000.m4")])) == nil)
    }
}

/// A scripted `/dev/kmsg`: each read returns the next record or fails with the next errno, then EAGAIN.
final class ScriptedKmsg: FileOperations {
    enum Step { case record(String), fail(Errno) }
    private let steps: Mutex<[Step]>
    let reads = Atomic<Int>(0)

    init(_ steps: [Step]) { self.steps = Mutex(steps) }

    func open(_ path: String, _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions) throws -> OpenFile {
        #expect(path.hasSuffix("/dev/kmsg"))
        #expect(access == .readOnly)
        #expect(options.contains(.nonBlocking))
        return OpenFile(descriptor: FileDescriptor(rawValue: 1000), path: path)
    }
    func close(_ file: OpenFile) throws {}
    func read(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        reads.add(1, ordering: .relaxed)
        let step: Step? = steps.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        switch step {
        case nil: throw SystemError(operation: "read", path: file.path, errno: .resourceTemporarilyUnavailable)
        case .fail(let errno): throw SystemError(operation: "read", path: file.path, errno: errno)
        case .record(let text):
            let bytes = Array(text.utf8)
            #expect(buffer.count >= 8192)
            buffer.copyBytes(from: bytes)
            return bytes.count
        }
    }
    func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int { 0 }
    func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws -> Int { bytes.count }
    func status(of path: String, followingSymlinks: Bool) throws -> FileStatus { .init(kind: .characterDevice, permissions: 0o644, size: 0) }
    func directoryEntries(_ path: String) throws -> [String] { [] }
    func realPath(_ path: String) throws -> String { path }
    func readLink(_ path: String) throws -> String { path }
}

@Suite struct KmsgReaderTests {
    static func line(_ seq: Int, _ text: String = "x") -> ScriptedKmsg.Step { .record("6,\(seq),\(seq * 10),-;\(text)\n") }

    @Test func readsOneRecordPerReadUntilEAGAIN() throws {
        let kmsg = ScriptedKmsg([Self.line(1, "a"), Self.line(2, "b")])
        let reader = try KmsgReader(kernel: KernelFiles(root: "/board", operations: kmsg), start: .oldestRecord)
        guard case .record(let first) = try reader.next() else { Issue.record("no record"); return }
        #expect(first.text == "a")
        guard case .record(let second) = try reader.next() else { Issue.record("no record"); return }
        #expect(second.sequence == 2)
        #expect(try reader.next() == .noMoreForNow)
        #expect(reader.lastSequence == 2)
        #expect(reader.file.path == "/board/dev/kmsg")
    }

    @Test func anOverrunIsSkippedAndTheLostRecordsCounted() throws {
        let kmsg = ScriptedKmsg([Self.line(10), .fail(.brokenPipe), Self.line(25, "after"), Self.line(26)])
        let reader = try KmsgReader(kernel: KernelFiles(root: "/", operations: kmsg), start: .oldestRecord)
        #expect(try reader.next() != .noMoreForNow)
        #expect(try reader.next() == .lost(14))
        guard case .record(let after) = try reader.next() else { Issue.record("no record"); return }
        #expect(after.text == "after")
        guard case .record(let next) = try reader.next() else { Issue.record("no record"); return }
        #expect(next.sequence == 26)
    }

    @Test func startingAfterTheLastRecordSkipsTheRing() throws {
        let kmsg = ScriptedKmsg([Self.line(1), Self.line(2), Self.line(3)])
        let reader = try KmsgReader(kernel: KernelFiles(root: "/", operations: kmsg))
        #expect(reader.lastSequence == 3)
        #expect(try reader.next() == .noMoreForNow)
    }

    @Test func malformedRecordsAreReportedAndReadingGoesOn() throws {
        let kmsg = ScriptedKmsg([.record("garbage"), Self.line(4)])
        let reader = try KmsgReader(kernel: KernelFiles(root: "/", operations: kmsg), start: .oldestRecord)
        guard case .malformed = try reader.next() else { Issue.record("expected malformed"); return }
        guard case .record = try reader.next() else { Issue.record("no record"); return }
    }

    @Test func otherErrorsAreThrown() throws {
        let kmsg = ScriptedKmsg([.fail(.invalidArgument)])
        let reader = try KmsgReader(kernel: KernelFiles(root: "/", operations: kmsg), start: .oldestRecord)
        #expect(throws: SystemError(operation: "read", path: "/dev/kmsg", errno: .invalidArgument)) { try reader.next() }
    }

    @Test(.enabled(if: access("/dev/kmsg", W_OK | R_OK) == 0, "/dev/kmsg is not readable and writable here"))
    func readsTheRealKernelLog() throws {
        let reader = try KmsgReader(kernel: KernelFiles(root: "/"))
        let marker = "rprocd-test-\(UUID().uuidString)"
        let fd = Glibc.open("/dev/kmsg", O_WRONLY)
        try #require(fd >= 0)
        // A user message with a tab, which the kernel escapes as \x09.
        let message = "<6>remoteproc remoteproc99: \(marker)\t is available\n"
        _ = message.withCString { Glibc.write(fd, $0, strlen($0)) }
        Glibc.close(fd)
        var found: KmsgRecord?
        while case let step = try reader.next(), step != .noMoreForNow {
            if case .record(let record) = step, record.text.contains(marker) { found = record }
        }
        let record = try #require(found)
        #expect(record.level == 6)
        #expect(record.facility == 1)  // user
        let line = try #require(RemoteprocLogLine(record))
        #expect(line.device == "remoteproc99")
        #expect(line.event == .available(name: marker + "\t"))
        #expect(try reader.next() == .noMoreForNow)
    }
}
