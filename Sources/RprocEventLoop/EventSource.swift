import CSystemd
import Glibc

/// An event source registered on an `EventLoop`: an fd watch, a timer or a signal.
///
/// The source lives as long as this object, or until `cancel()`. Its handler runs on the loop thread.
/// Create, use and release it on the loop thread only. A handler that captures its own source keeps it
/// alive: break the cycle with `cancel()`.
public class EventSource {
    /// The loop the source is registered on.
    public let loop: EventLoop
    package var source: OpaquePointer?

    fileprivate init(loop: EventLoop) {
        loop.assertOnLoop()
        self.loop = loop
    }

    deinit { sd_event_source_disable_unref(source) }

    /// Unregisters the source; its handler is not called again. Idempotent.
    public func cancel() {
        loop.assertOnLoop()
        source = sd_event_source_disable_unref(source)
        dropHandler()
    }

    /// Whether the source is registered (not cancelled).
    public var isActive: Bool { source != nil }

    fileprivate func dropHandler() {}

    fileprivate var userdata: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }
}

/// epoll events of an I/O source.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let readable = IOEvents(rawValue: UInt32(EPOLLIN.rawValue))
    public static let writable = IOEvents(rawValue: UInt32(EPOLLOUT.rawValue))
    public static let error = IOEvents(rawValue: UInt32(EPOLLERR.rawValue))
    public static let hangup = IOEvents(rawValue: UInt32(EPOLLHUP.rawValue))
    public static let priority = IOEvents(rawValue: UInt32(EPOLLPRI.rawValue))
}

/// Watches a file descriptor. The fd is not owned: close it after cancelling the source.
///
/// The corresponding C function is `sd_event_add_io`.
public final class IOSource: EventSource {
    private var handler: ((IOEvents) -> Void)?

    fileprivate init(loop: EventLoop, fd: Int32, events: IOEvents, handler: @escaping (IOEvents) -> Void) throws(SyscallError) {
        self.handler = handler
        super.init(loop: loop)
        var s: OpaquePointer?
        _ = try check(sd_event_add_io(loop.event, &s, fd, events.rawValue, { _, _, revents, userdata in
            let me = Unmanaged<IOSource>.fromOpaque(userdata!).takeUnretainedValue()
            me.handler?(IOEvents(rawValue: revents))
            return 0
        }, userdata), "sd_event_add_io")
        source = s
    }

    /// Changes the events watched.
    public func setEvents(_ events: IOEvents) {
        loop.assertOnLoop()
        _ = sd_event_source_set_io_events(source, events.rawValue)
    }

    /// Turns the watch off (`false`) or on again (`true`) without unregistering it.
    public func setEnabled(_ enabled: Bool) {
        loop.assertOnLoop()
        _ = sd_event_source_set_enabled(source, enabled ? Int32(SD_EVENT_ON) : Int32(SD_EVENT_OFF))
    }

    fileprivate override func dropHandler() { handler = nil }
}

/// A CLOCK_MONOTONIC timer: fires once per `arm(afterMicroseconds:)`; re-arm it from its handler to repeat.
///
/// The corresponding C functions are `sd_event_add_time_relative` and `sd_event_source_set_time_relative`.
public final class TimerSource: EventSource {
    private var handler: (() -> Void)?

    fileprivate init(loop: EventLoop, after usec: UInt64?, accuracy: UInt64, handler: @escaping () -> Void) throws(SyscallError) {
        self.handler = handler
        super.init(loop: loop)
        var s: OpaquePointer?
        _ = try check(sd_event_add_time_relative(loop.event, &s, CLOCK_MONOTONIC, usec ?? 0, max(accuracy, 1), { _, _, userdata in
            let me = Unmanaged<TimerSource>.fromOpaque(userdata!).takeUnretainedValue()
            me.handler?()
            return 0
        }, userdata), "sd_event_add_time_relative")
        source = s
        if usec == nil { _ = sd_event_source_set_enabled(s, Int32(SD_EVENT_OFF)) }
    }

    /// (Re-)arms the timer to fire once, `usec` µs from now. Replaces an earlier arming.
    public func arm(afterMicroseconds usec: UInt64) {
        loop.assertOnLoop()
        guard let source else { return }
        _ = sd_event_source_set_time_relative(source, usec)
        _ = sd_event_source_set_enabled(source, Int32(SD_EVENT_ONESHOT))
    }

    /// Stops the timer from firing until it is armed again.
    public func disarm() {
        loop.assertOnLoop()
        _ = sd_event_source_set_enabled(source, Int32(SD_EVENT_OFF))
    }

    /// Whether the timer will fire.
    public var isArmed: Bool {
        guard let source else { return false }
        var state: Int32 = 0
        _ = sd_event_source_get_enabled(source, &state)
        return state != Int32(SD_EVENT_OFF)
    }

    fileprivate override func dropHandler() { handler = nil }
}

/// Delivers a signal through the loop (a signalfd) instead of an asynchronous handler.
///
/// The corresponding C function is `sd_event_add_signal`.
public final class SignalSource: EventSource {
    private var handler: ((Int32) -> Void)?

    fileprivate init(loop: EventLoop, signal: Int32, handler: @escaping (Int32) -> Void) throws(SyscallError) {
        self.handler = handler
        super.init(loop: loop)
        EventLoop.blockSignals([signal])
        var s: OpaquePointer?
        _ = try check(sd_event_add_signal(loop.event, &s, signal, { _, info, userdata in
            let me = Unmanaged<SignalSource>.fromOpaque(userdata!).takeUnretainedValue()
            me.handler?(Int32(bitPattern: info!.pointee.ssi_signo))
            return 0
        }, userdata), "sd_event_add_signal(\(signal))")
        source = s
    }

    fileprivate override func dropHandler() { handler = nil }
}

/// Runs after every loop iteration in which some other source was dispatched.
///
/// The corresponding C function is `sd_event_add_post`.
public final class PostSource: EventSource {
    private var handler: (() -> Void)?

    fileprivate init(loop: EventLoop, handler: @escaping () -> Void) throws(SyscallError) {
        self.handler = handler
        super.init(loop: loop)
        var s: OpaquePointer?
        _ = try check(sd_event_add_post(loop.event, &s, { _, userdata in
            let me = Unmanaged<PostSource>.fromOpaque(userdata!).takeUnretainedValue()
            me.handler?()
            return 0
        }, userdata), "sd_event_add_post")
        source = s
    }

    fileprivate override func dropHandler() { handler = nil }
}

extension EventLoop {
    /// Calls `handler` after every iteration that dispatched another source, until cancelled.
    public func addPost(_ handler: @escaping () -> Void) throws(SyscallError) -> PostSource {
        try PostSource(loop: self, handler: handler)
    }

    /// Watches `fd` for `events`; `handler` gets the events that occurred.
    ///
    /// - Throws: `SyscallError` from `sd_event_add_io` (e.g. EEXIST when the fd is already watched).
    public func addIO(fd: Int32, events: IOEvents, _ handler: @escaping (IOEvents) -> Void) throws(SyscallError) -> IOSource {
        try IOSource(loop: self, fd: fd, events: events, handler: handler)
    }

    /// A CLOCK_MONOTONIC timer, armed to fire once after `usec` µs, or unarmed when `usec` is nil.
    ///
    /// - Parameter accuracy: how late the timer may fire so that wakeups coalesce, in µs (default 1 ms;
    ///   sd-event's own default is 250 ms).
    public func addTimer(afterMicroseconds usec: UInt64?, accuracy: UInt64 = 1000, _ handler: @escaping () -> Void) throws(SyscallError) -> TimerSource {
        try TimerSource(loop: self, after: usec, accuracy: accuracy, handler: handler)
    }

    /// Delivers `signal` (e.g. SIGTERM, SIGINT, SIGHUP) to `handler` on the loop. Blocks the signal in the
    /// loop thread; for signals sent to the whole process call `EventLoop.blockSignals` early in `main`.
    ///
    /// - Throws: `SyscallError` (EBUSY: the signal is not blocked in some thread that matters, or already has a source).
    public func addSignal(_ signal: Int32, _ handler: @escaping (Int32) -> Void) throws(SyscallError) -> SignalSource {
        try SignalSource(loop: self, signal: signal, handler: handler)
    }
}
