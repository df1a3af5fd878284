// The FUSE adapter against `FakeKernel`: what every read, write, open and poll turns into.

import Glibc
import Testing
@testable import VirtualBoard

@Suite(.enabled(if: fuseAvailable, "needs /dev/fuse"))
struct AdapterTests {
    @Test func readsShowOutputAndEOF() throws {
        let board = try FakeBoard()
        let fd = try FD(board.device + "/state", O_RDONLY)
        #expect(String(decoding: try fd.read(), as: UTF8.self) == "offline\n")
        #expect(try fd.read().isEmpty)  // a second read at the end: EOF, as sysfs
        #expect(try fd.pread(3, at: 0) == Array("off".utf8))
        #expect(try fd.pread(at: 3) == Array("line\n".utf8))
        #expect(try fd.pread(at: 100).isEmpty)
    }

    @Test func statLooksLikeSysfs() throws {
        let board = try FakeBoard()
        let state = try lstatMode(board.device + "/state")
        #expect(state.st_mode == S_IFREG | 0o644)
        #expect(state.st_size == 4096)
        #expect(state.st_uid == 0 && state.st_gid == 0)
        #expect(try lstatMode(board.device + "/name").st_mode == S_IFREG | 0o444)
        let link = try lstatMode(board.device)
        #expect(link.st_mode & S_IFMT == S_IFLNK)
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink(board.device, &buffer, 255)
        #expect(String(decoding: buffer[0..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            == "../../devices/platform/m4/remoteproc/remoteproc0")
        #expect(try lstatMode(board.path("sys/kernel/debug")).st_mode == S_IFDIR | 0o700)
        #expect(errnoOf { try lstatMode(board.path("sys/nothing")) } == .ENOENT)
    }

    @Test func listsDirectories() throws {
        let board = try FakeBoard()
        #expect(try hostNames(board.path("")) == ["dev", "lib", "sys"])
        #expect(try hostNames(board.device) == ["firmware", "name", "state"])
        #expect(try hostNames(board.path("lib")) == ["firmware"])
    }

    @Test func refusedWritesCarryTheModelsErrno() throws {
        let board = try FakeBoard()
        #expect(errnoOf { try writeText(board.device + "/state", "bogus\n") } == .EINVAL)
        #expect(errnoOf { try writeText(board.device + "/state", "stop") } == .EINVAL)
        #expect(errnoOf { try FD(board.device + "/name", O_WRONLY) } == .EACCES)
        #expect(errnoOf { try FD(board.device + "/name", O_RDWR) } == .EACCES)
        #expect(errnoOf { try writeText(board.device + "/firmware", "missing.elf") } == .ENOENT)
    }

    @Test func slowWriteBlocksWhileReadsGoOn() throws {
        let board = try FakeBoard()
        let writer = try FD(board.device + "/state", O_WRONLY)
        let started = monotonicNanoseconds()
        var result: Int = -1
        let thread = startThread { result = (try? writer.write(Array("start\n".utf8))) ?? -2 }
        // While the start is pending the state reads offline (no transitional state).
        #expect(try readText(board.device + "/state") == "offline\n")
        pthread_join(thread, nil)
        let elapsed = monotonicNanoseconds() - started
        #expect(result == 6)
        #expect(elapsed >= 200_000_000)
        #expect(try readText(board.device + "/state") == "running\n")
    }

    @Test func kmsgOneRecordPerReadAndBlocking() throws {
        let board = try FakeBoard()
        try writeText(board.path("dev/kmsg"), "first")
        try writeText(board.path("dev/kmsg"), "second")
        let reader = try FD(board.path("dev/kmsg"), O_RDONLY)
        #expect(String(decoding: try reader.read(), as: UTF8.self).hasSuffix(";first\n"))
        #expect(errnoOf { try reader.read(4) } == .EINVAL)  // too small for the record: EINVAL, kept
        #expect(String(decoding: try reader.read(), as: UTF8.self).hasSuffix(";second\n"))
        // Nothing newer: poll times out, then wakes for a new record; the blocking read returns it.
        #expect(reader.poll(timeoutMilliseconds: 50) == 0)
        let thread = startThread { _ = try? writeText(board.path("dev/kmsg"), "third") }
        #expect(reader.poll(timeoutMilliseconds: 5000) & Int32(POLLIN) != 0)
        pthread_join(thread, nil)
        #expect(String(decoding: try reader.read(), as: UTF8.self).hasSuffix(";third\n"))
        let late = startThread { _ = try? writeText(board.path("dev/kmsg"), "fourth") }
        #expect(String(decoding: try reader.read(), as: UTF8.self).hasSuffix(";fourth\n"))
        pthread_join(late, nil)
    }

    @Test func kmsgNonBlockingAndOverwritten() throws {
        let board = try FakeBoard()
        let reader = try FD(board.path("dev/kmsg"), O_RDONLY | O_NONBLOCK)
        #expect(errnoOf { try reader.read() } == .EAGAIN)
        for index in 0..<10 { try writeText(board.path("dev/kmsg"), "line \(index)") }
        // The fake keeps 8 records: the reader's next one is gone.
        #expect(errnoOf { try reader.read() } == Errno(code: EPIPE))
        #expect(String(decoding: try reader.read(), as: UTF8.self).hasSuffix(";line 2\n"))
        // A new open starts at the oldest record kept.
        let fresh = try FD(board.path("dev/kmsg"), O_RDONLY | O_NONBLOCK)
        #expect(String(decoding: try fresh.read(), as: UTF8.self).hasSuffix(";line 2\n"))
    }

    @Test func firmwarePassthroughAndFirmwareSource() throws {
        let board = try FakeBoard()
        let staged = board.path("lib/firmware/m4.elf.tmp")
        let file = try FD(staged, O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(Array("ELF bytes".utf8))
        try renameOrThrow(staged, board.path("lib/firmware/m4.elf"))
        // Still open for writing through the mount: the loader's deny_write_access refuses it.
        #expect(errnoOf { try writeText(board.device + "/firmware", "m4.elf") } == .ETXTBSY)
        _ = consume file
        #expect(try writeText(board.device + "/firmware", "m4.elf\n") == 7)
        #expect(try readText(board.device + "/firmware") == "m4.elf\n")
        #expect(try readText(board.path("lib/firmware/m4.elf")) == "ELF bytes")
        #expect(try readText(board.firmwareDirectory + "/m4.elf") == "ELF bytes")
        // An empty file is EINVAL for the loader.
        _ = try FD(board.path("lib/firmware/empty.elf"), O_WRONLY | O_CREAT)
        #expect(errnoOf { try writeText(board.device + "/firmware", "empty.elf") } == .EINVAL)
        #expect(unlink(board.path("lib/firmware/empty.elf")) == 0)
        #expect(errnoOf { try FD(board.path("sys/new"), O_WRONLY | O_CREAT) } == .EACCES)
    }
}

func renameOrThrow(_ from: String, _ to: String) throws(Errno) {
    guard rename(from, to) == 0 else { throw Errno(code: errno) }
}

func hostNames(_ path: String) throws(Errno) -> [String] {
    switch hostList(path) {
    case .success(let names): return names.sorted()
    case .failure(let errno): throw Errno(code: errno.rawValue)
    }
}

extension AdapterTests {
    @Test func signalInterruptsBlockedKmsgRead() throws {
        let board = try FakeBoard()
        installNoRestartHandler(SIGUSR2)
        let reader = try FD(board.path("dev/kmsg"), O_RDONLY)
        // Never leave the read parked (the test would hang): a record releases it.
        let outcome = try signalUntilReturned(SIGUSR2, onGiveUp: { try writeText(board.path("dev/kmsg"), "release") }) {
            errnoOf { try reader.read() }
        }
        #expect(outcome == .EINTR)
    }
}

/// Runs `body` (a call that blocks) on a thread that accepts `signal`, and signals that thread every
/// 20 ms until `body` returns (the signal may land before the call blocks); after 100 signals
/// `onGiveUp` must release the call. Returns what `body` returned.
func signalUntilReturned(
    _ signal: Int32, onGiveUp: () throws -> Void = {}, _ body: @escaping () -> Errno?
) rethrows -> Errno? {
    nonisolated(unsafe) var outcome: Errno?
    let gate = Monitor()
    nonisolated(unsafe) var waiter = pthread_t()
    nonisolated(unsafe) var finished = false
    gate.lock()
    let thread = startThread {
        // Test bodies run on dispatch threads, which block signals; this thread inherited that.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        gate.withLock { waiter = pthread_self(); gate.broadcast() }
        let result = body()
        gate.withLock { outcome = result; finished = true }
    }
    gate.wait(untilMonotonic: nil)
    gate.unlock()
    var attempts = 0
    while attempts < 100 {
        pthread_kill(waiter, signal)
        usleep(20_000)
        if gate.withLock({ finished }) { break }
        attempts += 1
    }
    if attempts == 100 { try onGiveUp() }
    pthread_join(thread, nil)
    return outcome
}

/// A handler without SA_RESTART, so a blocked read(2) returns EINTR.
func installNoRestartHandler(_ signal: Int32) {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(signal, &action, nil)
}

struct MountCheckTests {
    @Test func mountPointMustBeAnEmptyDirectory() throws {
        let directory = makeTemporaryDirectory("vboard-check")
        defer {
            unlink(directory + "/file")
            rmdir(directory)
        }
        #expect(throws: MountError.mountPointMissing(path: directory + "/none", errno: ENOENT)) {
            try BoardMount.checkMountPoint(directory + "/none")
        }
        try BoardMount.checkMountPoint(directory)
        try writeText(directory + "/file", "x", create: true)
        #expect(throws: MountError.mountPointNotEmpty(path: directory)) { try BoardMount.checkMountPoint(directory) }
        #expect(throws: MountError.mountPointNotDirectory(path: directory + "/file")) {
            try BoardMount.checkMountPoint(directory + "/file")
        }
    }

    @Test func missingFuseSaysWhatToInstall() {
        #expect(MountError.fuseDeviceMissing.description.contains("modprobe fuse"))
        #expect(MountError.fuseDeviceMissing.description.contains("apt-get install fuse3"))
        #expect(MountError.fusermountMissing.description.contains("apt-get install fuse3"))
        #expect(MountError.fuseDeviceNotAccessible(errno: EACCES).description.contains("Permission denied"))
    }
}
