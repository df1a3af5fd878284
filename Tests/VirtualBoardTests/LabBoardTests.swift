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

    /// Writes each (attribute, value) of `settings`, starts processor `index`, injects a crash of
    /// `type` through debugfs, and waits for `state` to read `settled`.
    func crash(_ index: Int, after settings: [(String, String)] = [], type: String = "1", settled: String) throws -> Bool {
        for (attribute, value) in settings { try writeText(rproc(index, attribute), value) }
        try writeText(rproc(index, "state"), "start")
        try writeText(debug(index, "crash"), type)
        return waitForState(index, settled)
    }

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
        // The kernel sets `running` just before the writer's write(2) returns, so a reader may see it
        // while the writer is still being answered: that ends the boot. Before it, only `offline`.
        var sawOffline = 0
        while !done.withLock({ finished }) {
            let state = try lab.state(4)
            if state == "running\n" { break }
            #expect(state == "offline\n")
            sawOffline += 1
            usleep(20_000)
        }
        pthread_join(thread, nil)
        #expect(result == 5)
        #expect(sawOffline > 10)
        #expect(try lab.state(4) == "running\n")
    }

    @Test func kmsgRecordsOnePerReadBlockingAndPoll() throws {
        let lab = try mountLab()
        // The auto-boot processor logs its failed boot 50 ms after probe: let it finish first.
        for _ in 0..<400 where !kmsgText(lab).contains("remoteproc6: request_firmware failed") { usleep(5_000) }
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
        // A buffer too small for the next record: EINVAL (only once there is a record: an
        // empty log would block).
        try writeText(lab.rproc(0, "state"), "start")
        #expect(blocking.poll(timeoutMilliseconds: 5000) & Int32(POLLIN) != 0)
        #expect(errnoOf { try blocking.read(8) } == .EINVAL)
    }

    @Test func crashWithRecoveryEnabledComesBackRunning() throws {
        let lab = try mountLab()
        #expect(try lab.crash(0, settled: "running"))
        let log = kmsgText(lab)
        #expect(log.contains("crash detected in m4: type watchdog"))
        #expect(log.contains("recovering m4"))
    }

    @Test func crashWithRecoveryDisabledStaysCrashedUntilRecover() throws {
        let lab = try mountLab()
        #expect(try lab.crash(0, after: [("recovery", "disabled")], type: "2", settled: "crashed"))
        #expect(errnoOf { try writeText(lab.rproc(0, "coredump"), "enabled") } == .EBUSY)
        #expect(errnoOf { try writeText(lab.rproc(0, "firmware"), "m4.elf") } == .EBUSY)
        #expect(try writeText(lab.rproc(0, "recovery"), "recover") == 7)
        #expect(try lab.state(0) == "running\n")
    }

    @Test func coredumpIsReadThenReleasedByAWrite() throws {
        let lab = try mountLab()
        #expect(try lab.crash(0, after: [("coredump", "enabled")], settled: "running"))
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
        let second = try MountedBoard(board: "lab")
        kill(second.process.processIdentifier, SIGINT)
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 0)
        #expect(!second.isMounted)
    }

    @Test func nonEmptyMountPointIsRefused() throws {
        let scratch = try Scratch("vboard-busy")
        try writeText(scratch.path + "/mnt/keep", "x", create: true)
        let result = try runSimulator([MountedBoard.boardFile("lab"), scratch.path + "/mnt"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("is not empty"))
    }

    @Test func boardFileWarningsArePrinted() throws {
        let scratch = try Scratch("vboard-warn")
        let board = scratch.path + "/bad.conf"
        try writeText(board, "[Board]\nColour=blue\n[Processor]\nName=m4\nParent=sim.0\nAutoBoot=perhaps\n", create: true)
        let result = try runSimulator([board, scratch.path + "/missing-mount-point"])
        #expect(result.stderr.contains("bad.conf:2: Unknown key 'Colour' in section [Board], ignoring"))
        #expect(result.stderr.contains("bad.conf:6: Invalid boolean 'perhaps' for AutoBoot=, ignoring"))
        #expect(result.stderr.contains("missing-mount-point"))
        #expect(result.status != 0)
    }
}

/// A temporary directory with an empty `mnt/` in it, removed with everything inside on deinit.
final class Scratch {
    let path: String
    init(_ label: String) throws {
        path = makeTemporaryDirectory(label)
        try FileManager.default.createDirectory(atPath: path + "/mnt", withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `rproc-sim` with `arguments` to completion; returns its exit status and stderr.
func runSimulator(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: MountedBoard.simulatorPath)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

/// Everything in the kernel log so far, one record after another.
func kmsgText(_ board: MountedBoard) -> String {
    guard let kmsg = try? FD(board.path("dev/kmsg"), O_RDONLY | O_NONBLOCK) else { return "" }
    var text = ""
    while let record = try? kmsg.read(8192) { text += String(decoding: record, as: UTF8.self) }
    return text
}

/// Runs a shell command as `nobody` (setpriv); returns its exit status and stderr.
func runAsNobody(_ command: String) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", command]
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
}

@Suite(.enabled(if: MountedBoard.available && geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0,
    "needs FUSE, root and setpriv"))
struct NonRootTests {
    @Test func nonRootReadsButCannotWriteOrEnterDebugfs() throws {
        let lab = try mountLab()
        // The parent of the mount point must be searchable by nobody.
        chmod(URL(fileURLWithPath: lab.mountPoint).deletingLastPathComponent().path, 0o755)
        let state = lab.rproc(0, "state")
        #expect(try runAsNobody("cat '\(state)'").status == 0)
        let write = try runAsNobody("echo start > '\(state)'")
        #expect(write.status != 0)
        #expect(write.stderr.contains("Permission denied"))
        #expect(try runAsNobody("test -r '\(state)'").status == 0)
        #expect(try runAsNobody("test -w '\(state)'").status != 0)
        #expect(try shell("test -w '\(lab.rproc(0, "name"))'").status == 0)  // root: access() passes, open refuses
        let debug = try runAsNobody("ls '\(lab.path("sys/kernel/debug/remoteproc"))'")
        #expect(debug.status != 0)
        #expect(try lab.state(0) == "offline\n")
    }
}

extension LabBoardTests {
    @Test func readinessIsNotifiedToSystemd() throws {
        let socketPath = makeTemporaryDirectory("vboard-notify") + "/notify"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(socketPath)
            rmdir(URL(fileURLWithPath: socketPath).deletingLastPathComponent().path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        let lab = try MountedBoard(board: "lab", environment: ["NOTIFY_SOCKET": socketPath])
        var message = [UInt8](repeating: 0, count: 256)
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&entry, 1, 5000) == 1)
        let count = message.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(String(decoding: message[0..<max(count, 0)], as: UTF8.self).contains("READY=1"))
        #expect(lab.isMounted)
    }
}

extension LabBoardTests {
    @Test func hotplugThroughSimAddAndRemove() throws {
        let lab = try mountLab()
        #expect(try writeText(lab.path(".sim/add"), "hotplug\n") == 8)
        #expect(try hostNames(lab.path("sys/class/remoteproc")).contains("remoteproc7"))
        #expect(try readText(lab.rproc(7, "name")) == "hotplug\n")
        let kept = try FD(lab.rproc(7, "state"), O_RDONLY)
        #expect(try writeText(lab.path(".sim/remove"), "remoteproc7") == 11)
        #expect(!(try hostNames(lab.path("sys/class/remoteproc")).contains("remoteproc7")))
        #expect(errnoOf { try lstatMode(lab.rproc(7, "state")) } == .ENOENT)
        // An fd opened before the removal: the device is gone (kernfs: ENODEV).
        #expect(errnoOf { try kept.pread(at: 0) } == .ENODEV)
    }
}

/// Runs a shell script; returns its exit status, stdout and stderr.
func shell(_ script: String) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

extension LabBoardTests {
    @Test func aShellScriptDrivesTheBoardAsOnARealOne() throws {
        let lab = try MountedBoard(board: "lab")
        let imageDirectory = makeTemporaryDirectory("vboard-image")
        let image = imageDirectory + "/fw.elf"
        defer {
            unlink(image)
            rmdir(imageDirectory)
        }
        try ElfBuilder.minimalRemoteproc().build().withUnsafeBytes { raw in
            let fd = try FD(image, O_WRONLY | O_CREAT | O_TRUNC)
            try fd.write(Array(raw))
        }
        let r = "'\(lab.mountPoint)/sys/class/remoteproc/remoteproc1'"
        let script = """
            set -e
            cp '\(image)' '\(lab.mountPoint)/lib/firmware/fw.elf.new'
            mv '\(lab.mountPoint)/lib/firmware/fw.elf.new' '\(lab.mountPoint)/lib/firmware/fw.elf'
            echo fw.elf > \(r)/firmware
            cat \(r)/firmware
            echo start > \(r)/state
            cat \(r)/state
            if echo bogus > \(r)/state 2>/dev/null; then echo accepted; else echo refused; fi
            echo stop > \(r)/state
            cat \(r)/state
            """
        let result = try shell(script)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == "fw.elf\nrunning\nrefused\noffline\n")
    }

    @Test func faultKnobsInSimDirectory() throws {
        let lab = try mountLab()
        try writeText(lab.path(".sim/remoteproc0/fail_next_start"), "1")
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "start") } == .EIO)
        #expect(try writeText(lab.rproc(0, "state"), "start") == 5)  // only the next one failed
        try writeText(lab.rproc(0, "state"), "stop")
        try writeText(lab.path(".sim/remoteproc0/crash_after_ms"), "50")
        try writeText(lab.rproc(0, "recovery"), "disabled")
        try writeText(lab.rproc(0, "state"), "start")
        #expect(lab.waitForState(0, "crashed"))  // the simulated watchdog fired
        #expect(kmsgText(lab).contains("crash detected in m4: type watchdog"))
    }
}

extension LabBoardTests {
    @Test func exitWithParentUnmountsWhenTheStarterDies() throws {
        let scratch = try Scratch("vboard-orphan")
        let directory = scratch.path, mountPoint = scratch.path + "/mnt"
        // The shell starts the simulator, waits until it is mounted, and exits without stopping it.
        let script = """
            '\(MountedBoard.simulatorPath)' '\(MountedBoard.boardFile("lab"))' '\(mountPoint)' \
              --ready-file '\(directory)/ready' --exit-with-parent >/dev/null 2>&1 &
            while [ ! -e '\(directory)/ready' ]; do sleep 0.01; done
            """
        #expect(try shell(script).status == 0)
        func mounted() -> Bool {
            (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8))?.contains(" \(mountPoint) ") ?? false
        }
        var stillMounted = true
        for _ in 0..<500 where stillMounted {
            stillMounted = mounted()
            if stillMounted { usleep(10_000) }
        }
        #expect(!stillMounted)
    }
}
