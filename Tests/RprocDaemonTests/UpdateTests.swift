// The update's pieces without a board: SHA-256 against sha256sum, versioned names, staging and
// pruning in a temporary directory, validation against memory windows, and every path of the
// runner's state machine.

import Foundation
import RprocFirmware
import RprocSystem
import RprocTestSupport
import Testing
@testable import RprocDaemon

@Suite struct UpdateTests {
    @Test func sha256MatchesTheStandardVectorsAndSha256sum() throws {
        #expect(SHA256.hex(of: Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Lengths around the padding boundary, against the system's tool.
        let directory = NSTemporaryDirectory() + "rprocd-sha-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for length in [55, 56, 63, 64, 65, 1000, 70_001] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ length) }
            let path = directory + "/\(length)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let out = try shell(["/usr/bin/sha256sum", path])
            #expect(out.split(separator: " ").first.map(String.init) == SHA256.hex(of: bytes), "length \(length)")
        }
    }

    @Test func versionedNamesCarryTheUTCTimeAndTheDigestPrefix() {
        // 2026-12-01 08:55:12 UTC.
        let time: UInt64 = 1_796_115_312_000_000
        #expect(UTCTime.compactSeconds(time) == "20261201T085512Z")
        #expect(UTCTime.parseCompactSeconds("20261201T085512Z") == time)
        #expect(UTCTime.compactSeconds(951_782_400_000_000) == "20000229T000000Z")
        #expect(UTCTime.parseCompactSeconds("20261301T000000Z") == nil)
        let name = FirmwareStager.versionedName(base: "m4", stagedMicroseconds: time + 999, sha256: "3f2a9c1d" + String(repeating: "0", count: 56))
        #expect(name == "m4-20261201T085512Z-3f2a9c1d.elf")
        #expect(FirmwareStager.stagedTime(of: name, base: "m4") == time)
        #expect(FirmwareStager.stagedTime(of: name, base: "m") == nil)
        #expect(FirmwareStager.stagedTime(of: "m4.elf", base: "m4") == nil)
        #expect(FirmwareStager.base(forProcessor: "dsp/core 1") == "dsp_core_1")
    }

    @Test func stagingIsAtomicAndKeepsThePreviousImages() throws {
        let directory = NSTemporaryDirectory() + "rprocd-stage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("unrelated".utf8).write(to: URL(fileURLWithPath: directory + "/m4.elf"))
        var staged: [StagedImage] = []
        for (index, text) in ["one", "two", "three", "four"].enumerated() {
            let now = 1_796_115_312_000_000 + UInt64(index) * 60_000_000
            staged.append(try FirmwareStager.stage(Array(text.utf8), base: "m4", in: directory, now: now))
        }
        let listed = FirmwareStager.list(in: directory, base: "m4")
        #expect(listed == staged)
        #expect(listed[0].sha256 == SHA256.hex(of: Array("one".utf8)))
        #expect(try String(contentsOfFile: directory + "/" + staged[3].fileName, encoding: .utf8) == "four")
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/" + staged[3].fileName)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".") }.isEmpty)
        #expect(FirmwareStager.previous(in: directory, base: "m4", current: staged[3].fileName) == staged[2])
        // Current is the newest; KeepFirmware=2 keeps the two before it.
        let removed = try FirmwareStager.prune(in: directory, base: "m4", previous: 2, keep: [staged[3].fileName])
        #expect(removed == [staged[0].fileName])
        #expect(FirmwareStager.list(in: directory, base: "m4") == Array(staged[1...]))
        #expect(FileManager.default.fileExists(atPath: directory + "/m4.elf"))
        #expect(try FirmwareStager.prune(in: directory, base: "m4", previous: 0, keep: [staged[2].fileName]) == [staged[1].fileName, staged[3].fileName])
    }

    @Test func theFirmwareDirectoryIsTheFirstWritableOneOfTheSearchPath() throws {
        let root = NSTemporaryDirectory() + "rprocd-fwdir-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/lib/firmware", withIntermediateDirectories: true)
        let kernel = KernelFiles(root: root)
        #expect(FirmwareStager.directory(kernel)?.board == "/lib/firmware")
        try FileManager.default.createDirectory(atPath: root + "/lib/firmware/updates", withIntermediateDirectories: true)
        #expect(FirmwareStager.directory(kernel)?.board == "/lib/firmware/updates")
        #expect(FirmwareStager.directory(kernel)?.absolute == root + "/lib/firmware/updates")
    }

    @Test func anImageOutsideTheMemoryWindowsIsRefusedNamingTheFinding() {
        let image = ElfBuilder.minimalRemoteproc().build()
        #expect(FirmwareStager.validate(image, memory: [MemoryRegion(da: 0x1000_0000, length: 0x10_0000)], processor: "m4", path: "/tmp/a.elf") == nil)
        // Without its carveout the code segment must fit a memory window.
        var bare = ElfBuilder.minimalRemoteproc()
        bare.resourceTable?.entries.removeFirst()
        let outside = FirmwareStager.validate(bare.build(), memory: [MemoryRegion(da: 0x2000_0000, length: 0x1000)], processor: "m4", path: "/tmp/a.elf")
        #expect(outside?.name == .firmwareInvalid)
        #expect(outside?.message.contains("segment.outside-memory") == true, "\(outside?.message ?? "")")
        let garbage = FirmwareStager.validate(Array("not an elf at all, but long enough to be checked as one".utf8), memory: nil, processor: "m4", path: "/tmp/b.elf")
        #expect(garbage?.message.contains("elf.bad-magic") == true)
        #expect(garbage?.message.contains("nothing was stopped") == true)
    }

    typealias Runner = UpdateRunner

    @Test func anUpdateThatComesUpAndSurvivesProbationIsKept() {
        var runner = Runner(newFirmware: "new.elf", previousFirmware: "old.elf", probation: 5_000_000, isUp: true)
        #expect(runner.begin().filter(\.isOperation) == [.stop])
        #expect(runner.handle(.stopped(error: nil)).filter(\.isOperation) == [.start(firmware: "new.elf")])
        #expect(runner.handle(.started(error: nil)).filter(\.isOperation).isEmpty)
        #expect(runner.handle(.ready).filter(\.isOperation) == [.armProbation(5_000_000)])
        let end = runner.handle(.probationElapsed)
        #expect(end.last == .finish(.kept(firmware: "new.elf")))
        #expect(runner.isDone)
        #expect(runner.handle(.crashed(type: "watchdog")).isEmpty)
    }

    @Test func aCrashDuringProbationRollsBack() {
        var runner = Runner(newFirmware: "new.elf", previousFirmware: "old.elf", probation: 5_000_000, isUp: false)
        var commands = runner.begin()
        commands += runner.handle(.started(error: nil))
        commands += runner.handle(.ready)
        commands += runner.handle(.crashed(type: "watchdog"))
        commands += runner.handle(.stopped(error: nil))
        commands += runner.handle(.started(error: nil))
        #expect(commands.filter(\.isOperation) == [
            .start(firmware: "new.elf"), .armProbation(5_000_000), .cancelProbation, .stop, .start(firmware: "old.elf"),
            .finish(.rolledBack(to: "old.elf", reason: "the new image crashed (watchdog) during probation")),
        ])
        let steps = commands.compactMap { if case .record(let step, let outcome, _) = $0 { "\(step):\(outcome)" } else { nil } }
        #expect(steps == [
            "start:begin", "start:done", "ready:done", "probation:failed", "rollback-stop:begin", "rollback-stop:done",
            "rollback-start:begin", "rollback-start:done",
        ])
    }

    @Test func aFailedStartOrAReadinessTimeoutRollsBackAndAFailedRollbackSaysSo() {
        var failedStart = Runner(newFirmware: "new.elf", previousFirmware: "old.elf", probation: nil, isUp: false)
        _ = failedStart.begin()
        #expect(failedStart.handle(.started(error: "EIO")).filter(\.isOperation) == [.start(firmware: "old.elf")])
        #expect(failedStart.handle(.started(error: nil)).last == .finish(.rolledBack(to: "old.elf", reason: "the new image did not start: EIO")))

        var timeout = Runner(newFirmware: "new.elf", previousFirmware: "old.elf", probation: nil, isUp: true)
        _ = timeout.begin()
        _ = timeout.handle(.stopped(error: nil))
        _ = timeout.handle(.started(error: nil))
        #expect(timeout.handle(.readinessTimedOut(missing: ["rpmsg-tty"])).filter(\.isOperation) == [.stop])
        _ = timeout.handle(.stopped(error: nil))
        let last = timeout.handle(.started(error: "ENOENT")).last
        #expect(last == .finish(.failed(reason: "readiness timed out waiting for 'rpmsg-tty'; the previous image 'old.elf' did not start either: ENOENT")))

        var noProbation = Runner(newFirmware: "new.elf", previousFirmware: "old.elf", probation: nil, isUp: false)
        _ = noProbation.begin()
        _ = noProbation.handle(.started(error: nil))
        #expect(noProbation.handle(.ready).last == .finish(.kept(firmware: "new.elf")))
    }
}

extension UpdateRunner.Command {
    /// Everything but journal records.
    var isOperation: Bool { if case .record = self { false } else { true } }
}

/// Runs a command and returns its standard output.
func shell(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
