// Firmware updates end to end on the mounted lab board, in process (see ReadinessBoardTests):
// kept, rolled back after a crash in probation, and an invalid image refused before anything
// stops.

import Foundation
import RprocModel
import RprocTestSupport
import Testing
@testable import RprocDaemon

@Suite(.serialized, .enabled(if: MountedBoard.available))
struct UpdateBoardTests {
    static let m4 = "[Match]\nName=m4\n[Boot]\nReadyOn=rpmsg-tty\nReadyTimeoutSec=5s\nUpdateProbationSec=300ms\n[Firmware]\nKeepFirmware=1\n"

    static func newImage(_ extra: Int) throws -> String {
        var builder = ElfBuilder.minimalRemoteproc()
        builder.trailingBytes = extra
        let path = NSTemporaryDirectory() + "rprocd-update-\(UUID().uuidString).elf"
        try Data(builder.build()).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aGoodImageIsKeptAndOlderStagedOnesArePruned() throws {
        let e2e = try ReadinessBoard(processors: ["m4": Self.m4])
        #expect(e2e.start("remoteproc0", "m4.elf").map { (try? $0.get()) != nil } == true)
        var kept: [String] = []
        for extra in [16, 32, 48] {
            let path = try Self.newImage(extra)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let outcome = e2e.update("remoteproc0", path)
            guard case .success(.kept(let firmware))? = outcome else {
                Issue.record("update not kept: \(String(describing: outcome))")
                return
            }
            kept.append(firmware)
            #expect(e2e.property("remoteproc0") { $0.firmware } == firmware)
            #expect(e2e.property("remoteproc0") { $0.state } == .running)
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: e2e.board.firmwareDirectory + "/" + firmware))
            #expect(SHA256.hex(of: Array(onDisk)).hasPrefix(String(firmware.dropLast(4).suffix(8))))
        }
        // KeepFirmware=1: the current image and one before it; m4.elf is not a staged image.
        var images: [String] = []
        for _ in 0..<200 {
            images = e2e.onLoop { manager, coordinator in coordinator.firmwareImages(manager.processors["remoteproc0"]!).map(\.image.fileName) }
            if images.count == 2 { break }
            usleep(10_000)
        }
        #expect(images == Array(kept.suffix(2)))
        #expect(FileManager.default.fileExists(atPath: e2e.board.firmwareDirectory + "/m4.elf"))
        let listed = e2e.onLoop { manager, coordinator in StagedImage.busValue(coordinator.firmwareImages(manager.processors["remoteproc0"]!)) }
        #expect(listed.signature == "a(sstb)")
        #expect(listed.elements?.last?.members?[3] == .bool(true))
        #expect(listed.elements?.first?.members?[3] == .bool(false))
        // Rollback() by hand: the newest staged image before the current one.
        let back = e2e.wait { (manager: Manager, coordinator: ReadinessCoordinator, done: @escaping (Result<UpdateRunner.Outcome, DaemonError>) -> Void) in
            coordinator.rollback(manager.processors["remoteproc0"]!, completion: done)
        }
        #expect(back == .success(.kept(firmware: kept[1])))
        #expect(e2e.property("remoteproc0") { $0.firmware } == kept[1])
        let steps = e2e.onLoop { _, coordinator in coordinator.journal.map { "\($0.step):\($0.outcome)" } }
        #expect(steps.prefix(8) == ["stage:done", "stop:begin", "stop:done", "start:begin", "start:done", "ready:done", "keep:done", "stage:done"])
    }

    @Test func anImageThatCrashesDuringProbationIsRolledBack() throws {
        let e2e = try ReadinessBoard(processors: ["m4": Self.m4], knobs: [".sim/remoteproc0/crash_after_ms": "0"])
        try "disabled".write(toFile: e2e.board.path("sys/class/remoteproc/remoteproc0/recovery"), atomically: false, encoding: .utf8)
        #expect(e2e.start("remoteproc0", "m4.elf").map { (try? $0.get()) != nil } == true)
        // The new image crashes 100 ms after its start (a watchdog), once: the knob is cleared at the crash.
        let knob = e2e.board.path(".sim/remoteproc0/crash_after_ms")
        e2e.observer.onCrash = { _ in try? "0".write(toFile: knob, atomically: false, encoding: .utf8) }
        try "100".write(toFile: knob, atomically: false, encoding: .utf8)
        let path = try Self.newImage(64)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = e2e.update("remoteproc0", path)
        guard case .success(.rolledBack(let to, let reason))? = outcome else {
            Issue.record("not rolled back: \(String(describing: outcome))")
            return
        }
        #expect(to == "m4.elf")
        #expect(reason.contains("during probation") || reason.contains("before it was ready"), "\(reason)")
        #expect(e2e.property("remoteproc0") { ($0.firmware, $0.state, $0.result) } == ("m4.elf", .running, .rolledBack))
        let log = e2e.kernelLog()
        #expect(log.contains { $0.contains("crash detected in m4") }, "\(log)")
    }

    @Test func anInvalidImageIsRefusedBeforeAnythingStops() throws {
        let e2e = try ReadinessBoard(processors: ["m4": Self.m4])
        #expect(e2e.start("remoteproc0", "m4.elf").map { (try? $0.get()) != nil } == true)
        // remoteproc6 (AutoBoot=yes, no auto.elf) logs by itself meanwhile: only m4's lines count.
        func m4Lines() -> [String] { e2e.kernelLog().filter { $0.contains("remoteproc0") || $0.contains("m4") } }
        let before = m4Lines().count
        let path = NSTemporaryDirectory() + "rprocd-bad-\(UUID().uuidString).elf"
        try Data("this is not an ELF file, and rprocd must say so before stopping anything".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = e2e.update("remoteproc0", path)
        guard case .failure(let error)? = outcome else {
            Issue.record("not refused: \(String(describing: outcome))")
            return
        }
        #expect(error.name == .firmwareInvalid)
        #expect(error.message.contains("elf.bad-magic"))
        #expect(e2e.property("remoteproc0") { ($0.state, $0.firmware) } == (.running, "m4.elf"))
        #expect(m4Lines().dropFirst(before).isEmpty, "the kernel was asked something")
        #expect(try FileManager.default.contentsOfDirectory(atPath: e2e.board.firmwareDirectory).sorted() == ["m4.elf", "r5f.elf"])
    }
}
