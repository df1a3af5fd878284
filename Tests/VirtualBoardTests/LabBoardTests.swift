// The lab board (Resources/boards/lab.conf) mounted by the real `rproc-sim` over the real kernel
// model, exercised with plain open/read/write/poll as a shell script or rprocd would.

import Foundation
import Glibc
import RprocTestSupport
import Testing
@testable import VirtualBoard

/// The lab board with firmware for every processor staged in its firmware directory.
func mountLab() throws -> MountedBoard {
    let image = ElfBuilder.minimalRemoteproc().build()
    return try MountedBoard(
        board: "lab",
        firmware: ["m4.elf": image, "r5f.elf": image, "slow.elf": image, "broken.elf": image, "ro.elf": image])
}

extension MountedBoard {
    func rproc(_ index: Int, _ file: String) -> String { path("sys/class/remoteproc/remoteproc\(index)/\(file)") }
    func debug(_ index: Int, _ file: String) -> String { path("sys/kernel/debug/remoteproc/remoteproc\(index)/\(file)") }
    func state(_ index: Int) throws -> String { try readText(rproc(index, "state")) }

    /// Re-reads `state` until it is `want` (the kernel has no event for it, §3.4); false after 5 s.
    func waitForState(_ index: Int, _ want: String) -> Bool {
        for _ in 0..<1000 {
            if (try? state(index)) == want + "\n" { return true }
            usleep(5_000)
        }
        return false
    }
}

@Suite(.enabled(if: MountedBoard.available, "needs /dev/fuse and the rproc-sim binary"))
struct LabBoardTests {
    @Test func refusedWritesGiveTheKernelsErrno() throws {
        let lab = try mountLab()
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "bogus\n") } == .EINVAL)
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "stop") } == .EINVAL)  // stop on offline
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "start\n\n") } == .EINVAL)
        #expect(errnoOf { try writeText(lab.rproc(0, "coredump"), "default") } == .EINVAL)
        #expect(errnoOf { try FD(lab.rproc(0, "name"), O_WRONLY) } == .EACCES)
        #expect(errnoOf { try FD(lab.rproc(3, "state"), O_WRONLY) } == .EACCES)  // read-only driver
        #expect(try lstatMode(lab.rproc(3, "state")).st_mode & 0o777 == 0o444)
        try writeText(lab.rproc(1, "firmware"), "missing.elf")
        #expect(errnoOf { try writeText(lab.rproc(1, "state"), "start") } == .ENOENT)
        #expect(try writeText(lab.rproc(0, "state"), "start\n") == 6)
        #expect(try lab.state(0) == "running\n")
        #expect(errnoOf { try writeText(lab.rproc(0, "firmware"), "r5f.elf") } == .EBUSY)
        // The failing processor: ops->start returns -EIO, the state stays offline.
        #expect(errnoOf { try writeText(lab.rproc(5, "state"), "start") } == .EIO)
        #expect(try lab.state(5) == "offline\n")
    }

    @Test func slowStartBlocksTheWriterWhileStateReadsOffline() throws {
        let lab = try mountLab()
        let writer = try FD(lab.rproc(4, "state"), O_WRONLY)
        let done = Monitor()
        nonisolated(unsafe) var result: Int = -1
        nonisolated(unsafe) var finished = false
        let thread = startThread {
            let count = (try? writer.write(Array("start".utf8))) ?? -2
            done.withLock { result = count; finished = true }
        }
        // The start takes 1.5 s; until it returns, `state` reads offline (no "booting" state).
        var sawOffline = 0
        while !done.withLock({ finished }) {
            let state = try lab.state(4)
            if !done.withLock({ finished }) {
                #expect(state == "offline\n")
                sawOffline += 1
            }
            usleep(20_000)
        }
        pthread_join(thread, nil)
        #expect(result == 5)
        #expect(sawOffline > 10)
        #expect(try lab.state(4) == "running\n")
    }

    @Test func kmsgRecordsOnePerReadBlockingAndPoll() throws {
        let lab = try mountLab()
        let kmsg = try FD(lab.path("dev/kmsg"), O_RDONLY | O_NONBLOCK)
        var first: [String] = []
        while let record = try? kmsg.read(8192) { first.append(String(decoding: record, as: UTF8.self)) }
        // Every record is one read: "<prio>,<seq>,<usec>,<flags>;text\n" plus dictionary lines.
        #expect(first.contains { $0.contains(";remoteproc remoteproc0: m4 is available\n") })
        #expect(first.allSatisfy { $0.split(separator: "\n").first?.contains(";") == true })
        #expect(errnoOf { try kmsg.read(8192) } == .EAGAIN)
        #expect(kmsg.poll(timeoutMilliseconds: 20) == 0)
        let thread = startThread { _ = try? writeText(lab.rproc(0, "state"), "start") }
        #expect(kmsg.poll(timeoutMilliseconds: 5000) & Int32(POLLIN) != 0)
        pthread_join(thread, nil)
        var later: [String] = []
        while let record = try? kmsg.read(8192) { later.append(String(decoding: record, as: UTF8.self)) }
        #expect(later.contains { $0.contains("remote processor m4 is now up") })
        // A blocking reader gets the next record when it is logged. O_NONBLOCK set with fcntl
        // reaches the filesystem with each read, as it reaches devkmsg_read.
        let blocking = try FD(lab.path("dev/kmsg"), O_RDONLY)
        _ = fcntl(blocking.raw, F_SETFL, O_NONBLOCK)
        while (try? blocking.read(8192)) != nil {}
        _ = fcntl(blocking.raw, F_SETFL, 0)
        let stopper = startThread {
            usleep(50_000)
            _ = try? writeText(lab.rproc(0, "state"), "stop")
        }
        let next = String(decoding: try blocking.read(8192), as: UTF8.self)
        pthread_join(stopper, nil)
        #expect(next.split(separator: "\n").first?.contains(";") == true)
        #expect(errnoOf { try blocking.read(8) } == .EINVAL)  // too small for a record
    }

    @Test func crashWithRecoveryEnabledComesBackRunning() throws {
        let lab = try mountLab()
        try writeText(lab.rproc(0, "state"), "start")
        try writeText(lab.debug(0, "crash"), "1")
        #expect(lab.waitForState(0, "running"))
        let log = kmsgText(lab)
        #expect(log.contains("crash detected in m4: type watchdog"))
        #expect(log.contains("recovering m4"))
    }

    @Test func crashWithRecoveryDisabledStaysCrashedUntilRecover() throws {
        let lab = try mountLab()
        try writeText(lab.rproc(0, "state"), "start")
        try writeText(lab.rproc(0, "recovery"), "disabled")
        try writeText(lab.debug(0, "crash"), "2")
        #expect(lab.waitForState(0, "crashed"))
        #expect(errnoOf { try writeText(lab.rproc(0, "coredump"), "enabled") } == .EBUSY)
        #expect(errnoOf { try writeText(lab.rproc(0, "firmware"), "m4.elf") } == .EBUSY)
        #expect(try writeText(lab.rproc(0, "recovery"), "recover") == 7)
        #expect(try lab.state(0) == "running\n")
    }

    @Test func coredumpIsReadThenReleasedByAWrite() throws {
        let lab = try mountLab()
        try writeText(lab.rproc(0, "coredump"), "enabled")
        try writeText(lab.rproc(0, "state"), "start")
        try writeText(lab.debug(0, "crash"), "1")
        #expect(lab.waitForState(0, "running"))
        let names = try hostNames(lab.path("sys/class/devcoredump")).filter { $0.hasPrefix("devcd") }
        #expect(names.count == 1)
        let dump = lab.path("sys/class/devcoredump/\(names[0])")
        var data: [UInt8] = []
        let reader = try FD(dump + "/data", O_RDONLY)
        while case let chunk = try reader.read(4096), !chunk.isEmpty { data += chunk }
        #expect(Array(data.prefix(4)) == [0x7f, 0x45, 0x4c, 0x46])  // an ELF core
        #expect(data[16] == 4)  // ET_CORE
        try writeText(dump + "/data", "1")
        var gone = false
        for _ in 0..<200 where !gone {
            gone = errnoOf { try lstatMode(dump) } == .ENOENT
            if !gone { usleep(5_000) }
        }
        #expect(gone)
    }

    @Test func firmwareStagedThroughTheMountBoots() throws {
        let lab = try MountedBoard(board: "lab")
        let image = ElfBuilder.minimalRemoteproc().build()
        let staging = lab.path("lib/firmware/new.elf.tmp")
        let file = try FD(staging, O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(image)
        try writeText(lab.rproc(1, "firmware"), "new.elf.tmp")
        // Still open for writing: the loader refuses it (deny_write_access).
        #expect(errnoOf { try writeText(lab.rproc(1, "state"), "start") } == .ETXTBSY)
        _ = consume file
        try renameOrThrow(staging, lab.path("lib/firmware/new.elf"))
        try writeText(lab.rproc(1, "firmware"), "new.elf")
        #expect(try writeText(lab.rproc(1, "state"), "start") == 5)
        #expect(try lab.state(1) == "running\n")
        #expect(try readText(lab.debug(1, "trace0")).contains("r5f: hello from the simulated remote"))
    }

    @Test func lifecycleReadyFileAndSigtermUnmounts() throws {
        let lab = try MountedBoard(board: "lab")
        #expect(try readText(lab.readyFile) == lab.mountPoint + "\n")
        #expect(lab.isMounted)
        #expect(lab.stop() == 0)
        #expect(!lab.isMounted)
    }

    @Test func nonEmptyMountPointIsRefused() throws {
        let directory = makeTemporaryDirectory("vboard-busy")
        defer {
            unlink(directory + "/keep")
            rmdir(directory)
        }
        try writeText(directory + "/keep", "x", create: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MountedBoard.simulatorPath)
        process.arguments = [MountedBoard.boardFile("lab"), directory]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(message.contains("is not empty"))
    }

    @Test func boardFileWarningsArePrinted() throws {
        let directory = makeTemporaryDirectory("vboard-warn")
        let mountPoint = directory + "/mnt"
        mkdir(mountPoint, 0o755)
        defer {
            unlink(directory + "/bad.conf")
            rmdir(mountPoint)
            rmdir(directory)
        }
        try writeText(directory + "/bad.conf", "[Board]\nColour=blue\n[Processor]\nName=m4\nParent=sim.0\nAutoBoot=perhaps\n", create: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MountedBoard.simulatorPath)
        process.arguments = [directory + "/bad.conf", directory + "/missing-mount-point"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("bad.conf:2: Unknown key 'Colour' in section [Board], ignoring"))
        #expect(message.contains("bad.conf:6: Invalid boolean 'perhaps' for AutoBoot=, ignoring"))
        #expect(message.contains("missing-mount-point"))
        #expect(process.terminationStatus != 0)
    }
}

/// Everything in the kernel log so far, one record after another.
func kmsgText(_ board: MountedBoard) -> String {
    guard let kmsg = try? FD(board.path("dev/kmsg"), O_RDONLY | O_NONBLOCK) else { return "" }
    var text = ""
    while let record = try? kmsg.read(8192) { text += String(decoding: record, as: UTF8.self) }
    return text
}
