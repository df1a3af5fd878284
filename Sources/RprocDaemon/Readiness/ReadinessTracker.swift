// A start job's readiness: the job completes when the kernel says the processor is up AND every
// `[Boot] ReadyOn=` channel is announced, or fails with `Result=timeout` after
// `ReadyTimeoutSec=`. Pure: time comes in as µs of one monotonic clock.
//
// Wiring (the manager, on the loop thread):
// - In: when a `start`/`restart`/`attach` job's kernel writes succeeded and the processor's
//   `ReadyOn=` is not empty, hold the job (no JobRemoved, no reply yet) and call
//   `begin(device:readyOn:timeout:state:announced:now:)`; a non-nil result completes it at once.
//   Then after every scan `observe(device:state:announced:now:)` (names from `ChannelWatcher`,
//   `announcedAt` for the latency); when the manager's one readiness timer (armed at
//   `nextDeadline`, re-armed after every call) fires, `expire(now:)`. `cancel(device:)` when the
//   processor is removed or the job is taken over (SIGTERM).
// - Out: `.ready` → finish the held job with success (Ready=true; start
//   `rproc-ready@<name>.target` through `ReadyTargets`). `.timedOut` → finish it with
//   `DaemonError(.timeout, …)` and `Result=timeout`, then enqueue `stop` and let the restart policy
//   decide (`RestartTrigger` as for a failed boot). `.wentDown` → finish it with the crash/stop the
//   mirror saw (the crash watchdog handles what follows).

import RprocModel

public struct ReadinessTracker {
    public init() {}

    /// How a wait ended.
    public enum Outcome: Equatable, Sendable {
        /// Up with every channel. `latency` is the time from the last awaited channel's
        /// announcement (as `announcedAt` gave it) to this completion; nil when none was awaited
        /// (`ReadyOn=` was already satisfied when the wait began).
        case ready(device: String, latency: UInt64?, waited: UInt64)
        /// `ReadyTimeoutSec=` passed with these channels missing.
        case timedOut(device: String, missing: [String])
        /// The processor stopped being up while it was awaited (crashed, stopped by someone else).
        case wentDown(device: String, state: ProcessorState)
    }

    private struct Wait {
        var readyOn: [String]
        var timeout: TimeSpan?
        /// When the processor was first seen up during this wait.
        var upSince: UInt64?
        var began: UInt64
    }

    private var waits: [String: Wait] = [:]

    /// Whether a start job of `device` is held for readiness.
    public func isWaiting(_ device: String) -> Bool { waits[device] != nil }

    /// The devices being waited for.
    public var waiting: [String] { waits.keys.sorted() }

    /// Starts waiting after the start job's kernel writes succeeded.
    ///
    /// - Returns: the outcome when it is known at once (already ready; or not up at all).
    public mutating func begin(
        device: String, readyOn: [String], timeout: TimeSpan?, state: ProcessorState, announced: Set<String>, now: UInt64,
        announcedAt: (String) -> UInt64? = { _ in nil }
    ) -> Outcome? {
        waits[device] = Wait(readyOn: readyOn, timeout: timeout, upSince: state.isUp ? now : nil, began: now)
        return observe(device: device, state: state, announced: announced, now: now, announcedAt: announcedAt, fresh: true)
    }

    /// Takes in what a scan showed.
    ///
    /// - Parameter announcedAt: when each channel was first seen (`ChannelWatcher.announcedAt`).
    public mutating func observe(
        device: String, state: ProcessorState, announced: Set<String>, now: UInt64,
        announcedAt: (String) -> UInt64? = { _ in nil }
    ) -> Outcome? {
        observe(device: device, state: state, announced: announced, now: now, announcedAt: announcedAt, fresh: false)
    }

    private mutating func observe(
        device: String, state: ProcessorState, announced: Set<String>, now: UInt64,
        announcedAt: (String) -> UInt64?, fresh: Bool
    ) -> Outcome? {
        guard var wait = waits[device] else { return nil }
        if !state.isUp {
            // A start's writes return with the processor up; going down meanwhile ends the wait.
            waits[device] = nil
            return .wentDown(device: device, state: state)
        }
        if wait.upSince == nil { wait.upSince = now }
        waits[device] = wait
        switch Readiness.evaluate(
            state: state, announced: announced, readyOn: wait.readyOn, timeout: wait.timeout, since: wait.upSince ?? now, now: now)
        {
        case .ready:
            waits[device] = nil
            let latency = fresh ? nil : wait.readyOn.compactMap(announcedAt).max().map { now >= $0 ? now - $0 : 0 }
            return .ready(device: device, latency: latency, waited: now - wait.began)
        case .timedOut(let missing):
            waits[device] = nil
            return .timedOut(device: device, missing: missing)
        case .waiting, .down:
            return nil
        }
    }

    /// The readiness timer fired: every wait whose deadline passed times out.
    public mutating func expire(now: UInt64, state: (String) -> ProcessorState, announced: (String) -> Set<String>) -> [Outcome] {
        waiting.compactMap { observe(device: $0, state: state($0), announced: announced($0), now: now) }
    }

    /// When the earliest wait times out (µs), for the manager's one timer; nil: no deadline.
    public var nextDeadline: UInt64? {
        waits.values.compactMap { wait -> UInt64? in
            guard let timeout = wait.timeout, !timeout.isInfinite, let since = wait.upSince else { return nil }
            let (deadline, overflow) = since.addingReportingOverflow(timeout.microseconds)
            return overflow ? nil : deadline
        }.min()
    }

    /// Stops waiting for `device` without an outcome.
    public mutating func cancel(device: String) { waits[device] = nil }
}
