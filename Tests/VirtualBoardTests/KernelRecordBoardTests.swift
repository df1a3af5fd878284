// The lab board against what the kernel tier recorded (Tests/Kernel/FINDINGS.md, "Virtual board vs
// the kernel"): the adapter-side fixes, each through the mount as the scenario scripts see it.

import Foundation
import Glibc
import RprocTestSupport
import Testing
@testable import VirtualBoard

/// Re-checks `path` (a lookup, nothing else) until it exists; false after 3 s.
func appears(_ path: String) -> Bool {
    for _ in 0..<600 {
        if access(path, F_OK) == 0 { return true }
        usleep(5_000)
    }
    return false
}

@Suite(.enabled(if: MountedBoard.available, "needs /dev/fuse and the rproc-sim binary"))
struct KernelRecordBoardTests {
    /// FINDINGS "virtual board" 2: a channel looked up by path right after the start stayed ENOENT,
    /// and after a stop + start never came back (the announcement was due 5 ms later, but lookups
    /// did not advance the model and the timer slept past the new deadline).
    @Test func channelsAppearToLookupsAfterEveryStart() throws {
        let lab = try mountLab()
        let channel = lab.path("sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025")
        for _ in 0..<2 {
            #expect(try writeText(lab.rproc(0, "state"), "start") == 5)
            #expect(appears(channel))
            #expect(try hostNames(lab.path("sys/bus/rpmsg/devices")) == [
                "virtio0.rpmsg-raw.-1.1025", "virtio0.rpmsg-tty.-1.1024", "virtio0.rpmsg_ctrl.0.0", "virtio0.rpmsg_ns.53.53",
            ])
            #expect(try writeText(lab.rproc(0, "state"), "stop") == 4)
            #expect(access(channel, F_OK) != 0)
        }
    }

    /// FINDINGS "virtual board" 6: a `state` writer queued behind a slow start and signalled gets
    /// EINTR (the kernel's interrupted `mutex_lock_interruptible`), not the inode lock's wait.
    /// Needs FOPEN_PARALLEL_DIRECT_WRITES in the host kernel (Linux 6.2); older hosts serialize
    /// writers of one file on the inode lock before they reach the board.
    @Test(.enabled(if: hostKernelAtLeast(6, 2), "the host kernel has no FOPEN_PARALLEL_DIRECT_WRITES (< 6.2)"))
    func aWriterQueuedBehindASlowStartIsInterrupted() throws {
        let lab = try mountLab()
        installNoRestartHandler(SIGUSR2)
        let state = lab.rproc(4, "state")
        nonisolated(unsafe) var started: Int?
        let first = startThread { started = try? writeText(state, "start") }
        usleep(300_000)  // the start is parked in the model (1.5 s); the stop queues behind it
        let outcome = try signalUntilReturned(SIGUSR2) { errnoOf { try writeText(state, "stop") } }
        pthread_join(first, nil)
        #expect(outcome == Errno(code: EINTR))
        #expect(started == 5)
        #expect(try lab.state(4) == "running\n")  // the interrupted stop never ran
        let log = try kernelLog(lab)
        #expect(log.contains("remoteproc remoteproc4: can't lock rproc slow: -4"))
    }

    /// FINDINGS "virtual board" 1: `/dev/rpmsg0` of the `rpmsg-raw` channel echoes through the remote.
    @Test func rpmsgCharDeviceEchoes() throws {
        let lab = try mountLab()
        #expect(try writeText(lab.rproc(0, "state"), "start") == 5)
        #expect(appears(lab.path("dev/rpmsg0")))
        let endpoint = try FD(lab.path("dev/rpmsg0"), O_RDWR)
        #expect(endpoint.poll(timeoutMilliseconds: 0) & Int32(POLLIN) == 0)
        #expect(try endpoint.write(Array("hello remote".utf8)) == 12)
        #expect(endpoint.poll(timeoutMilliseconds: 2000) & Int32(POLLIN) != 0)
        #expect(try endpoint.read(512) == Array("hello remote".utf8))
        #expect(try writeText(lab.rproc(0, "state"), "stop") == 4)
        #expect(errnoOf { try endpoint.write(Array("x".utf8)) } == Errno(code: EPIPE))
    }
}

/// The texts of the board's kernel log so far (non-blocking `dev/kmsg` reads).
func kernelLog(_ lab: MountedBoard) throws -> String {
    let kmsg = try FD(lab.path("dev/kmsg"), O_RDONLY | O_NONBLOCK)
    var texts: [String] = []
    while let record = try? kmsg.read(8192) {
        let line = String(decoding: record, as: UTF8.self)
        guard let semi = line.firstIndex(of: ";") else { continue }
        texts.append(String(line[line.index(after: semi)...].prefix { $0 != "\n" }))
    }
    return texts.joined(separator: "\n")
}

/// Whether the running kernel's release is at least `major.minor`.
func hostKernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
    var names = utsname()
    uname(&names)
    let release = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    guard parts.count == 2 else { return false }
    return (parts[0], parts[1]) >= (major, minor)
}
