import Foundation
import Glibc
import RprocEventLoop
import Testing

@Suite(.serialized) struct EventLoopTests {
    @Test func postFromManyThreadsRunsEverythingInOrderOnTheLoop() throws {
        let loop = try EventLoop.spawn(name: "post-test")
        defer { loop.exit(); loop.join() }
        final class Log: @unchecked Sendable { var seen: [Int: [Int]] = [:]; var offLoop = 0 }
        let log = Log()
        let threads = 8, perThread = 500
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                loop.post {
                    if !loop.isOnLoop { log.offLoop += 1 }
                    log.seen[t, default: []].append(i)
                }
            }
        }
        let seen = try loop.sync { log.seen }
        #expect(log.offLoop == 0)
        #expect(seen.count == threads)
        for t in 0..<threads { #expect(seen[t] == Array(0..<perThread)) }
    }

    @Test func exitCodeIsReturnedByRun() throws {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var code: Int32 = -1
        let thread = Thread {
            let loop = try! EventLoop()
            loop.post { loop.exit(7) }
            code = (try? loop.run()) ?? -2
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(code == 7)
    }

    @Test func timersFireOnceAndCanBeRearmed() throws {
        let loop = try EventLoop.spawn(name: "timer-test")
        defer { loop.exit(); loop.join() }
        final class State: @unchecked Sendable { var fired = 0; var timer: TimerSource? }
        let state = State()
        try loop.sync {
            state.timer = try loop.addTimer(afterMicroseconds: 1000) {
                state.fired += 1
                if state.fired < 3 { state.timer!.arm(afterMicroseconds: 1000) }
            }
        }
        #expect(eventually { (try? loop.sync { state.fired }) == 3 })
        #expect(try loop.sync { state.timer!.isArmed } == false)
        try loop.sync { state.timer!.arm(afterMicroseconds: 500) }
        #expect(eventually { (try? loop.sync { state.fired }) == 4 })
        // An unarmed timer does not fire; a cancelled one is inactive.
        try loop.sync {
            let idle = try loop.addTimer(afterMicroseconds: nil) { state.fired += 100 }
            #expect(!idle.isArmed)
            idle.cancel()
            #expect(!idle.isActive)
            state.timer!.cancel()
        }
        #expect(try loop.sync { state.fired } == 4)
    }

    @Test(arguments: [SIGHUP, SIGTERM, SIGINT])
    func aSignalToTheLoopThreadReachesTheSignalSource(_ signal: Int32) throws {
        let loop = try EventLoop.spawn(name: "signal-test")
        defer { loop.exit(); loop.join() }
        final class State: @unchecked Sendable { var signals: [Int32] = []; var source: SignalSource? }
        let state = State()
        try loop.sync {
            state.source = try loop.addSignal(signal) { state.signals.append($0) }
            pthread_kill(pthread_self(), signal)
        }
        #expect(eventually { (try? loop.sync { state.signals }) == [signal] })
        _ = try loop.sync { pthread_kill(pthread_self(), signal) }
        #expect(eventually { (try? loop.sync { state.signals }) == [signal, signal] })
        try loop.sync { state.source!.cancel() }
    }

    @Test func ioSourceSeesAReadableFd() throws {
        let loop = try EventLoop.spawn(name: "io-test")
        defer { loop.exit(); loop.join() }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        final class State: @unchecked Sendable { var bytes: [UInt8] = []; var source: IOSource? }
        let state = State()
        let readEnd = fds[0]
        try loop.sync {
            state.source = try loop.addIO(fd: readEnd, events: .readable) { events in
                #expect(events.contains(.readable))
                var b = [UInt8](repeating: 0, count: 16)
                let n = read(readEnd, &b, 16)
                if n > 0 { state.bytes += b[0..<n] }
            }
        }
        #expect(write(fds[1], "hi", 2) == 2)
        #expect(eventually { (try? loop.sync { state.bytes }) == Array("hi".utf8) })
        try loop.sync { state.source!.cancel() }
    }

    @Test func serialWorkerRunsInOrderOffTheLoopAndCompletesOnIt() throws {
        let loop = try EventLoop.spawn(name: "worker-test")
        defer { loop.exit(); loop.join() }
        final class State: @unchecked Sendable { var results: [Int] = []; var completionsOnLoop = true; var worker: SerialWorker? }
        let state = State()
        try loop.sync {
            let worker = try SerialWorker(name: "w", loop: loop)
            state.worker = worker
            for i in 0..<50 {
                worker.submit({ () -> Int in loop.isOnLoop ? -1 : i }, completion: { r in
                    state.completionsOnLoop = state.completionsOnLoop && loop.isOnLoop
                    state.results.append(r)
                })
            }
        }
        #expect(eventually { (try? loop.sync { state.results.count }) == 50 })
        #expect(try loop.sync { state.results } == Array(0..<50))
        #expect(state.completionsOnLoop)
        try loop.sync { state.worker!.shutdown() }
    }

    @Test func loopBoundValueIsReadableOnTheLoop() throws {
        let loop = try EventLoop.spawn(name: "bound-test")
        defer { loop.exit(); loop.join() }
        let bound = try loop.sync { LoopBound([1, 2, 3], loop: loop) }
        let box = Unchecked(bound)
        #expect(try loop.sync { box.value.value } == [1, 2, 3])
        #expect(!loop.isOnLoop)
    }

    @Test func notifyOutsideSystemdIsHarmless() {
        // NOTIFY_SOCKET is unset under `swift test`: nothing is sent, nothing fails.
        unsetenv("NOTIFY_SOCKET")
        #expect(Systemd.ready(status: "testing") == false)
        #expect(Systemd.stopping() == false)
        #expect(Systemd.listenFDs(unsetEnvironment: false).isEmpty)
    }

    @Test func watchdogPingsTheServiceManager() throws {
        let (fd, path, dir) = try notifySocket()
        defer { close(fd); try? FileManager.default.removeItem(atPath: dir) }
        setenv("NOTIFY_SOCKET", path, 1)
        setenv("WATCHDOG_USEC", "100000", 1)
        unsetenv("WATCHDOG_PID")
        defer { unsetenv("NOTIFY_SOCKET"); unsetenv("WATCHDOG_USEC") }
        #expect(Systemd.watchdogMicroseconds == 100_000)
        let loop = try EventLoop.spawn(name: "watchdog-test")
        defer { loop.exit(); loop.join() }
        #expect(try loop.sync { try loop.enableWatchdog() })
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buf = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buf, 256, 0)
        #expect(String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "WATCHDOG=1")
    }

    func notifySocket() throws -> (Int32, String, String) {
        let dir = NSTemporaryDirectory() + "notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/notify"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let b = Array(path.utf8); raw.copyBytes(from: b); raw[b.count] = 0
        }
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(r == 0)
        return (fd, path, dir)
    }

    @Test func notifySendsTheStateLinesToTheNotifySocket() throws {
        let (fd, path, dir) = try notifySocket()
        defer { close(fd); try? FileManager.default.removeItem(atPath: dir) }
        setenv("NOTIFY_SOCKET", path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        #expect(Systemd.ready(status: "2 processors, 1 running"))
        #expect(Systemd.watchdog())
        var buf = [UInt8](repeating: 0, count: 256)
        var n = recv(fd, &buf, 256, 0)
        #expect(String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "READY=1\nSTATUS=2 processors, 1 running")
        n = recv(fd, &buf, 256, 0)
        #expect(String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "WATCHDOG=1")
    }
}
