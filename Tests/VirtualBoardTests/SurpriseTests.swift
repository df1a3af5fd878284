// docs/kernel-contract.md §9, "surprises a naive daemon would get wrong", reproduced through the
// mounted lab board: each test is one item that concerns the files.

import Glibc
import RprocTestSupport
import Testing
@testable import VirtualBoard

@Suite(.enabled(if: MountedBoard.available, "needs /dev/fuse and the rproc-sim binary"))
struct SurpriseTests {
    @Test func startOnRunningBumpsTheHiddenRefcount() throws {  // §9.1
        let lab = try mountLab()
        #expect(try writeText(lab.rproc(0, "state"), "start") == 5)
        #expect(try writeText(lab.rproc(0, "state"), "start") == 5)
        #expect(try writeText(lab.rproc(0, "state"), "stop") == 4)
        #expect(try lab.state(0) == "running\n")  // one stop "succeeded", still running
        #expect(try writeText(lab.rproc(0, "state"), "stop") == 4)
        #expect(try lab.state(0) == "offline\n")
    }

    @Test func pollOnStateNeverReportsAChange() throws {  // §9.3
        let lab = try mountLab()
        let fd = try FD(lab.rproc(0, "state"), O_RDONLY)
        _ = try fd.read()
        let thread = startThread { _ = try? writeText(lab.rproc(0, "state"), "start") }
        #expect(fd.poll(Int32(POLLPRI), timeoutMilliseconds: 300) & Int32(POLLPRI | POLLERR) == 0)
        pthread_join(thread, nil)
        #expect(try fd.pread(at: 0) == Array("running\n".utf8))  // only re-reading shows it
    }

    @Test func failedRecoveryLeavesAStuckProcessor() throws {  // §9.5
        let lab = try mountLab()
        try writeText(lab.rproc(0, "state"), "start")
        #expect(unlink(lab.path("lib/firmware/m4.elf")) == 0)
        try writeText(lab.debug(0, "crash"), "1")
        #expect(lab.waitForState(0, "offline"))
        #expect(try writeText(lab.rproc(0, "state"), "start") == 5)  // returns success…
        #expect(try lab.state(0) == "offline\n")  // …and nothing happens
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "stop") } == .EINVAL)
    }

    @Test func withRecoveryDisabledRpmsgDevicesStayAfterACrash() throws {  // §9.6
        let lab = try mountLab()
        try writeText(lab.rproc(0, "recovery"), "disabled")
        try writeText(lab.rproc(0, "state"), "start")
        var channels: [String] = []
        for _ in 0..<200 where !channels.contains(where: { $0.contains("rpmsg-tty") }) {
            channels = (try? hostNames(lab.path("sys/bus/rpmsg/devices"))) ?? []
            usleep(5_000)
        }
        #expect(channels.contains { $0.contains("rpmsg-tty") })
        try writeText(lab.debug(0, "crash"), "1")
        #expect(lab.waitForState(0, "crashed"))
        #expect(try hostNames(lab.path("sys/bus/rpmsg/devices")) == channels)
        // NEW flavour (§9.7): stop on crashed is allowed and powers it off.
        #expect(try writeText(lab.rproc(0, "state"), "stop") == 4)
        #expect(try lab.state(0) == "offline\n")
    }

    @Test func firmwareWritesAreCutAtTheNewlineAndRefusedUnlessOffline() throws {  // §9.8, §9.11
        let lab = try mountLab()
        #expect(try writeText(lab.rproc(0, "firmware"), "r5f.elf\ntrailing") == 16)
        #expect(try readText(lab.rproc(0, "firmware")) == "r5f.elf\n")
        #expect(errnoOf { try writeText(lab.rproc(2, "firmware"), "m4.elf") } == .EBUSY)  // detached
        // A leading slash is still relative to the search path; '..' is refused at boot.
        try writeText(lab.rproc(0, "firmware"), "/m4.elf")
        #expect(try writeText(lab.rproc(0, "state"), "start") == 5)
        try writeText(lab.rproc(0, "state"), "stop")
        try writeText(lab.rproc(0, "firmware"), "../m4.elf")
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "start") } == .EINVAL)
    }

    @Test func firmwareWithoutResourceTableOrEmptyFailsWithEINVAL() throws {  // §9.9, §9.10
        var noTable = ElfBuilder.minimalRemoteproc()
        noTable.resourceTable = nil
        let lab = try MountedBoard(board: "lab", firmware: ["notable.elf": noTable.build(), "empty.elf": []])
        try writeText(lab.rproc(0, "firmware"), "notable.elf")
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "start") } == .EINVAL)
        try writeText(lab.rproc(0, "firmware"), "empty.elf")
        #expect(errnoOf { try writeText(lab.rproc(0, "state"), "start") } == .EINVAL)
        #expect(try lab.state(0) == "offline\n")
    }

    @Test func inlineCoredumpBlocksWritersUntilDataIsWritten() throws {  // §9.13, §9.14
        let lab = try mountLab()
        try writeText(lab.rproc(0, "coredump"), "inline")
        try writeText(lab.rproc(0, "state"), "start")
        try writeText(lab.debug(0, "crash"), "1")
        var dumps: [String] = []
        for _ in 0..<400 where dumps.isEmpty {
            dumps = ((try? hostNames(lab.path("sys/class/devcoredump"))) ?? []).filter { $0.hasPrefix("devcd") }
            usleep(5_000)
        }
        #expect(dumps.count == 1)
        #expect(try lab.state(0) == "offline\n")  // recovery waits for the dump to be released
        let done = Monitor()
        nonisolated(unsafe) var finished = false
        let writer = startThread {
            _ = try? writeText(lab.rproc(0, "state"), "start")
            done.withLock { finished = true }
        }
        usleep(200_000)
        #expect(!done.withLock { finished })  // blocked on rproc->lock
        try writeText(lab.path("sys/class/devcoredump/\(dumps[0])/data"), "1")
        pthread_join(writer, nil)
        #expect(try lab.state(0) == "running\n")
    }

    @Test func keywordParsingDiffersBetweenSysfsAndDebugfs() throws {  // §9.15, §9.16
        let lab = try mountLab()
        #expect(try writeText(lab.debug(0, "recovery"), "d") == 1)  // debugfs: a prefix works
        #expect(try readText(lab.rproc(0, "recovery")) == "disabled\n")
        #expect(errnoOf { try writeText(lab.debug(0, "recovery"), "e\n") } == .EINVAL)
        #expect(errnoOf { try writeText(lab.rproc(0, "recovery"), "e") } == .EINVAL)  // sysfs: no prefixes
        // A command split over two write(2)s is two bad commands.
        let fd = try FD(lab.rproc(0, "state"), O_WRONLY)
        #expect(errnoOf { try fd.write(Array("st".utf8)) } == .EINVAL)
        #expect(errnoOf { try fd.write(Array("art".utf8)) } == .EINVAL)
        #expect(try lab.state(0) == "offline\n")
    }
}

extension SurpriseTests {
    /// A write that waits for `rproc->lock` during a slow start: it completes after the start with
    /// the answer for the new state, or, when a signal arrives first, with the interrupted lock's
    /// answer (EINVAL for `firmware`, §9.8).
    @Test(arguments: [false, true])
    func writerQueuedBehindASlowStart(signalled: Bool) throws {
        let lab = try mountLab()
        installNoRestartHandler(SIGUSR2)
        let starter = startThread { _ = try? writeText(lab.rproc(4, "state"), "start") }
        // The boot has begun ("powering up") and holds the lock for 1.5 s.
        for _ in 0..<400 where !kmsgText(lab).contains("powering up slow") { usleep(5_000) }
        let monitor = Monitor()
        nonisolated(unsafe) var outcome: Errno?
        nonisolated(unsafe) var finished = false
        nonisolated(unsafe) var queued = pthread_t()
        let writer = startThread {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            monitor.withLock { queued = pthread_self() }
            let result = errnoOf { try writeText(lab.rproc(4, "firmware"), "m4.elf") }
            monitor.withLock { outcome = result; finished = true }
        }
        while monitor.withLock({ queued == pthread_t() }) { usleep(1_000) }
        usleep(100_000)
        #expect(!monitor.withLock { finished })  // queued on the lock
        // Signal until the write returns (a signal that lands before the write(2) is lost).
        while signalled && !monitor.withLock({ finished }) {
            pthread_kill(monitor.withLock { queued }, SIGUSR2)
            usleep(20_000)
        }
        pthread_join(writer, nil)
        let startRunning = try lab.state(4)
        pthread_join(starter, nil)
        if signalled {
            #expect(outcome == .EINVAL)
            #expect(startRunning == "offline\n")  // it returned before the start finished
        } else {
            #expect(outcome == .EBUSY)  // after the start: running, so the firmware is busy
            #expect(startRunning == "running\n")
        }
    }
}
