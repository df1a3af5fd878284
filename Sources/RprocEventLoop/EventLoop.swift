import CRprocShims
import CSystemd
import Glibc
import Synchronization

/// One sd-event loop, owned by the thread that created it.
///
/// Everything that belongs to the loop (its event sources, every `sd_bus` attached to it, the daemon's
/// state) is touched only on that thread; `assertOnLoop()` checks it, as NIO's `NIOLoopBound` does.
/// The one entry point from other threads is `post(_:)`, which queues a `Sendable` closure and wakes the
/// loop through an eventfd. `exit(_:)` may also be called from any thread.
///
/// The corresponding C object is `sd_event`.
public final class EventLoop: @unchecked Sendable {
    /// The underlying `sd_event*`, for modules of this package that attach to it (`sd_bus_attach_event`).
    /// Use only on the loop thread.
    package let event: OpaquePointer
    private let owner: pthread_t
    private let wakeFD: Int32
    private var wakeSource: OpaquePointer?
    private let queue = Mutex<[@Sendable () -> Void]>([])
    private let spawned = Mutex<pthread_t?>(nil)

    /// Creates a loop owned by the calling thread.
    ///
    /// - Throws: `SyscallError` when `sd_event_new` or `eventfd` fails.
    public init() throws(SyscallError) {
        var e: OpaquePointer?
        _ = try check(sd_event_new(&e), "sd_event_new")
        event = e!
        owner = pthread_self()
        let fd = rproc_shim_eventfd()
        if fd < 0 {
            sd_event_unref(event)
            throw SyscallError(operation: "eventfd", errno: Glibc.errno)
        }
        wakeFD = fd
        var s: OpaquePointer?
        let r = sd_event_add_io(event, &s, fd, UInt32(EPOLLIN.rawValue), { _, _, _, userdata in
            Unmanaged<EventLoop>.fromOpaque(userdata!).takeUnretainedValue().drainPosted()
            return 0
        }, Unmanaged.passUnretained(self).toOpaque())
        if r < 0 {
            close(fd)
            sd_event_unref(event)
            throw SyscallError(operation: "sd_event_add_io", errno: -r)
        }
        wakeSource = s
    }

    deinit {
        sd_event_source_disable_unref(wakeSource)
        sd_event_unref(event)
        close(wakeFD)
    }

    /// Starts a new thread, creates a loop owned by it and runs the loop there until `exit(_:)`.
    ///
    /// - Parameter name: the thread's name (shown by `ps -L`, at most 15 bytes).
    /// - Returns: the loop, already running. `join()` waits for its thread to end.
    public static func spawn(name: String = "rproc-loop") throws(SyscallError) -> EventLoop {
        let ready = ConditionLock()
        nonisolated(unsafe) var result: Result<EventLoop, SyscallError>?
        let thread = try spawnThread(name: name) {
            let loop: EventLoop
            do throws(SyscallError) {
                loop = try EventLoop()
            } catch {
                ready.withLock { result = .failure(error) }
                ready.broadcast()
                return
            }
            ready.withLock { result = .success(loop) }
            ready.broadcast()
            _ = try? loop.run()
        }
        let r = ready.withLock {
            while result == nil { ready.wait() }
            return result!
        }
        switch r {
        case .success(let loop):
            loop.spawned.withLock { $0 = thread }
            return loop
        case .failure(let error):
            pthread_join(thread, nil)
            throw error
        }
    }

    /// Waits until the thread started by `spawn(name:)` has returned from `run()`. Call from another thread.
    public func join() {
        precondition(!isOnLoop, "join() called on the loop's own thread")
        guard let t = spawned.withLock({ t -> pthread_t? in defer { t = nil }; return t }) else { return }
        pthread_join(t, nil)
    }

    /// Whether the caller runs on the loop's thread.
    public var isOnLoop: Bool { pthread_equal(pthread_self(), owner) != 0 }

    /// Stops the process unless the caller runs on the loop's thread.
    public func assertOnLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(isOnLoop, "must run on the event loop's thread", file: file, line: line)
    }

    /// Runs the loop until `exit(_:)`; returns the exit code. Call on the owning thread.
    ///
    /// The corresponding C function is `sd_event_loop`.
    @discardableResult
    public func run() throws(SyscallError) -> Int32 {
        assertOnLoop()
        return try check(sd_event_loop(event), "sd_event_loop")
    }

    /// Makes `run()` return `code` after the current iteration. Callable from any thread.
    ///
    /// The corresponding C function is `sd_event_exit`.
    public func exit(_ code: Int32 = 0) {
        if isOnLoop {
            _ = sd_event_exit(event, code)
        } else {
            post { [self] in _ = sd_event_exit(event, code) }
        }
    }

    /// Queues `work` to run on the loop thread, in order, and wakes the loop. Callable from any thread,
    /// including the loop thread itself (the closure then runs in a later iteration).
    public func post(_ work: @escaping @Sendable () -> Void) {
        let wasEmpty = queue.withLock { q in
            q.append(work)
            return q.count == 1
        }
        guard wasEmpty else { return }
        var one: UInt64 = 1
        while write(wakeFD, &one, 8) < 0 && Glibc.errno == EINTR {}
    }

    private func drainPosted() {
        var counter: UInt64 = 0
        _ = read(wakeFD, &counter, 8)
        let work = queue.withLock { q in
            defer { q.removeAll(keepingCapacity: true) }
            return q
        }
        for item in work { item() }
    }

    /// The loop's cached time of the current iteration, in µs of `clock`.
    ///
    /// The corresponding C function is `sd_event_now`.
    public func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> UInt64 {
        var usec: UInt64 = 0
        _ = sd_event_now(event, clock, &usec)
        return usec
    }

    /// Enables the systemd watchdog: when the service runs with `WatchdogSec=`, the loop sends
    /// `WATCHDOG=1` itself at half the interval.
    ///
    /// - Returns: whether the watchdog is on (false when the service manager asked for none).
    /// The corresponding C function is `sd_event_set_watchdog`.
    @discardableResult
    public func enableWatchdog() throws(SyscallError) -> Bool {
        assertOnLoop()
        return try check(sd_event_set_watchdog(event, 1), "sd_event_set_watchdog") > 0
    }

    /// Blocks `signals` in the calling thread, so that they can be read through a signal source.
    ///
    /// A signal sent to the process reaches a signalfd only when every thread blocks it: call this in
    /// `main` before any other thread starts. A signal sent to the loop thread alone (`pthread_kill`)
    /// only needs it blocked there (`addSignal` does that).
    public static func blockSignals(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}

/// A value that belongs to one event loop: it can be carried across threads (for example inside a
/// closure given to `post`), but read only on the loop's thread. Mirrors NIO's `NIOLoopBound`.
public struct LoopBound<Value>: @unchecked Sendable {
    private let loop: EventLoop
    private let stored: Value

    /// Wraps `value`; call on the loop thread.
    public init(_ value: Value, loop: EventLoop) {
        loop.assertOnLoop()
        self.loop = loop
        self.stored = value
    }

    /// The wrapped value; stops the process when read off the loop thread.
    public var value: Value {
        loop.assertOnLoop()
        return stored
    }
}
