// Carries out RprocModel's RestartPolicy for one processor: a crash → a decision → a timer → an
// operation the manager performs through its one write path. Time comes from an injected clock
// and timer, so tests drive it without sleeping.

import Glibc
import RprocEventLoop
import RprocModel

/// A one-shot timer at an absolute CLOCK_REALTIME time, re-armable. `LoopRestartTimer` is the
/// event-loop one; tests use a fake and call `RestartDriver.timerFired()` themselves.
public protocol RestartTimer: AnyObject {
    /// Fires at `at` µs (CLOCK_REALTIME), replacing an earlier arming.
    func arm(at: UInt64)
    func disarm()
}

/// Why the driver asks for an operation.
public enum RestartReason: Hashable, Sendable {
    /// Restart number `attempt` by `Restart=`.
    case policy(attempt: UInt32)
    /// The start limit was hit: `FallbackFirmware=` is booted once.
    case fallback
    /// The start limit was hit and the processor is `failed`: `FailureAction=`.
    case failureAction(FailureAction)
}

/// An operation the manager must carry out: plan it with `Planner.plan(operation, firmware:…)`
/// (a crashed processor's `recover` is `recovery ← recover`; a fallback's `restart` on a crashed
/// processor is recover, stop, `firmware`, start) and run it on the processor's worker.
public struct RestartRequest: Hashable, Sendable {
    public var operation: Operation
    public var firmware: String?
    public var reason: RestartReason
}

/// How the manager's operation went.
public enum RestartOutcome: Hashable, Sendable {
    /// Every write was accepted; `state` was read after the last one.
    case succeeded(state: ProcessorState)
    /// A write was refused or the plan was refused; `error` is the one sentence for `LastError`.
    case failed(error: String, state: ProcessorState)
}

/// The processor signals of docs/dbus-api.md that crashes and the policy cause.
public enum CrashSignal: Hashable, Sendable {
    /// `Crashed(s type, u count)`: `type` is empty when the kernel log did not name it.
    case crashed(type: String, count: UInt32)
    /// `Recovered(u restarts)`: up again; `restarts` is `RestartCount`.
    case recovered(restarts: UInt32)
    /// `Failed(s reason)`.
    case failed(reason: String)
}

/// What the driver needs from the manager. Called on the loop thread.
public protocol RestartDriverDelegate: AnyObject {
    /// The kernel state of the driver's processor as last seen.
    func restartDriverState(_ driver: RestartDriver) -> ProcessorState
    /// Carries out `request` through the manager's write path; calls `completion` on the loop.
    func restartDriver(_ driver: RestartDriver, perform request: RestartRequest, completion: @escaping (RestartOutcome) -> Void)
    /// Emits a signal on the processor's object.
    func restartDriver(_ driver: RestartDriver, announce signal: CrashSignal)
    /// `RestartCount`, `Result`, `NextRestartUSec`, `LastCrashType` or `Job` (failed) may have changed.
    func restartDriverChanged(_ driver: RestartDriver)
}

/// The restart policy driver of one processor. Loop-owned.
public final class RestartDriver {
    public let device: String
    public private(set) var owner: RecoveryOwner
    public private(set) var settings: RestartSettings
    public weak var delegate: (any RestartDriverDelegate)?

    /// D-Bus `RestartCount`: restarts by the policy since the last user start or `reset-failed`.
    public private(set) var restartCount: UInt32 = 0
    /// D-Bus `Result` as far as crashes and the policy decide it.
    public private(set) var result: ProcessorResult = .success
    /// D-Bus `NextRestartUSec`: 0 when no restart is scheduled.
    public private(set) var nextRestartUSec: UInt64 = 0
    /// D-Bus `LastCrashType`: nil when not known.
    public private(set) var lastCrashType: CrashType?
    /// The start limit was hit: the processor is `failed` until `resetFailed()` (D-Bus `Job` = `failed`).
    public private(set) var isFailed = false
    /// The fallback firmware booted since the last `reset-failed`, if any (recorded for status and the journal).
    public private(set) var fallbackBooted: String?
    /// The start-limit window and whether the fallback was used.
    public private(set) var history = RestartHistory()

    private let timer: any RestartTimer
    private let clock: () -> UInt64
    private var pending: Pending?
    private var inFlight = false
    /// Re-armings while the crash was reported but `state` still read up.
    private var waitedForCrashed = 0
    static let crashedRetryInterval: UInt64 = 10_000
    static let crashedWaitLimit = 100

    private enum Pending {
        case restart(attempt: UInt32)
        case fallback(firmware: String)
        /// `FailureAction=stop`, carried out like a restart once `state` reads `crashed`.
        case failureAction(FailureAction)
    }

    /// - Parameters:
    ///   - clock: µs on CLOCK_REALTIME (the loop's `now(CLOCK_REALTIME)`; a counter in tests).
    public init(device: String, owner: RecoveryOwner, settings: RestartSettings, timer: any RestartTimer, clock: @escaping () -> UInt64) {
        self.device = device
        self.owner = owner
        self.settings = settings
        self.timer = timer
        self.clock = clock
    }

    /// New settings (`Reload()`): a scheduled restart keeps its time.
    public func update(owner: RecoveryOwner, settings: RestartSettings) {
        self.owner = owner
        self.settings = settings
    }

    /// `LastCrashType` as D-Bus shows it.
    public var lastCrashTypeString: String { lastCrashType?.sysfsValue ?? "" }

    // MARK: Inputs

    /// A detector's output for this processor.
    public func handle(_ detection: CrashDetection) {
        switch detection {
        case .crashed(let event): crashed(event)
        case .typeLearned(_, let type):
            lastCrashType = type
            delegate?.restartDriverChanged(self)
        case .recovered(_, let byKernel):
            // rprocd's own recoveries are announced when their operation completes.
            if byKernel { delegate?.restartDriver(self, announce: .recovered(restarts: restartCount)) }
        }
    }

    /// What the manager's `ProcessorMirror` derived (the manager announces `Crashed` and the
    /// kernel's recoveries from these itself, so the driver only decides here).
    public func handle(_ event: MirrorEvent) {
        switch event {
        case .crashed(let type, let count):
            crashed(CrashEvent(device: device, type: type, count: count, at: clock(), evidence: .kernelLog, missed: 0), announce: false)
        case .crashTypeLearned(let type):
            lastCrashType = type
            delegate?.restartDriverChanged(self)
        default:
            break
        }
    }

    /// A crash: record it and, when rprocd owns recovery, apply `Restart=`.
    ///
    /// - Parameter announce: emit `Crashed` (false when the caller already did).
    public func crashed(_ event: CrashEvent, announce: Bool = true) {
        lastCrashType = event.type
        result = .crash
        if announce { delegate?.restartDriver(self, announce: .crashed(type: event.type?.sysfsValue ?? "", count: event.count)) }
        defer { delegate?.restartDriverChanged(self) }
        guard owner == .rprocd, !isFailed, pending == nil, !inFlight else { return }
        decide(after: .crash)
    }

    /// `state` changed: an operation put off until `state` reads `crashed` runs now, not at the
    /// next look (`crashedRetryInterval`).
    public func stateChanged(to state: ProcessorState) {
        guard state == .crashed, waitedForCrashed > 0, pending != nil, !inFlight else { return }
        timer.arm(at: clock())
    }

    /// A start's `ReadyOn=` channels did not come within `ReadyTimeoutSec=` and rprocd stopped it:
    /// `Restart=always` restarts it (`RestartTrigger.readinessTimeout`), within the start limit.
    public func readinessTimedOut() {
        defer { delegate?.restartDriverChanged(self) }
        guard owner == .rprocd, !isFailed, pending == nil, !inFlight else { return }
        decide(after: .readinessTimeout)
    }

    /// The user started (or restarted) the processor: `RestartCount` starts again; a scheduled restart is dropped.
    public func userStarted() {
        cancelPending()
        restartCount = 0
        delegate?.restartDriverChanged(self)
    }

    /// The user stopped the processor (or took over a crashed one): a scheduled restart is dropped.
    public func userStopped() {
        cancelPending()
        delegate?.restartDriverChanged(self)
    }

    /// Counts a user start against `StartLimitBurst=`. `false`: the limit is hit, the processor is
    /// now `failed` and the start must be refused (systemd's "Start request repeated too quickly").
    public func admitUserStart() -> Bool {
        if RestartPolicy.admitStart(history: &history, settings: settings, now: clock()) { return true }
        enterFailed(action: .leave)
        return false
    }

    /// `ResetFailed()`: back to normal, the start-limit history and the fallback forgotten.
    public func resetFailed() {
        cancelPending()
        history.reset()
        restartCount = 0
        isFailed = false
        fallbackBooted = nil
        result = .success
        delegate?.restartDriverChanged(self)
    }

    /// The timer fired: carry out the scheduled restart.
    public func timerFired() {
        guard let scheduled = pending, !inFlight else { return }
        pending = nil
        nextRestartUSec = 0
        let now = clock()
        switch scheduled {
        case .restart(let attempt):
            let saved = history
            guard RestartPolicy.admitStart(history: &history, settings: settings, now: now) else {
                // The window moved on while the timer waited: the limit decides now.
                limitHit(at: now)
                return
            }
            let state = delegate?.restartDriverState(self) ?? .crashed
            guard !waitForCrashed(scheduled, state: state, now: now) else {
                history = saved
                return
            }
            restartCount += 1
            perform(RestartRequest(operation: state == .crashed ? .recover : .start, firmware: nil, reason: .policy(attempt: attempt)))
        case .fallback(let firmware):
            guard !waitForCrashed(scheduled, state: delegate?.restartDriverState(self) ?? .crashed, now: now) else { return }
            RestartPolicy.beginFallback(history: &history, now: now)
            restartCount += 1
            result = .fallback
            fallbackBooted = firmware
            perform(RestartRequest(operation: .restart, firmware: firmware, reason: .fallback))
        case .failureAction(let action):
            guard !waitForCrashed(scheduled, state: delegate?.restartDriverState(self) ?? .crashed, now: now) else { return }
            perform(RestartRequest(operation: .stop, firmware: nil, reason: .failureAction(action)))
        }
        delegate?.restartDriverChanged(self)
    }

    /// The kernel log reported the crash before the kernel's work set `crashed`: an operation
    /// planned now would be planned for a running processor (a `recover` a no-op, a `stop` refused
    /// when `state` reads `crashed` under it). Looks again shortly, at most `crashedWaitLimit` times.
    ///
    /// - Returns: whether `scheduled` was put off.
    private func waitForCrashed(_ scheduled: Pending, state: ProcessorState, now: UInt64) -> Bool {
        guard state.isUp, waitedForCrashed < Self.crashedWaitLimit else {
            waitedForCrashed = 0
            return false
        }
        waitedForCrashed += 1
        schedule(scheduled, at: now + Self.crashedRetryInterval)
        return true
    }

    // MARK: Decisions

    private func decide(after trigger: RestartTrigger) {
        let decision = RestartPolicy.next(
            after: trigger, restartsSoFar: restartCount, history: history, settings: settings, now: clock())
        switch decision {
        case .none:
            nextRestartUSec = 0
        case .restart(let at, _, let attempt):
            schedule(.restart(attempt: attempt), at: at)
        case .fallback(let firmware, let at):
            schedule(.fallback(firmware: firmware), at: at)
        case .fail(let action):
            enterFailed(action: action)
        }
    }

    private func limitHit(at now: UInt64) {
        if let firmware = settings.fallbackFirmware, !history.fallbackUsed {
            schedule(.fallback(firmware: firmware), at: now)
            timerFired()
        } else {
            enterFailed(action: settings.failureAction)
            delegate?.restartDriverChanged(self)
        }
    }

    private func schedule(_ what: Pending, at: UInt64) {
        pending = what
        if case .failureAction = what { nextRestartUSec = 0 } else { nextRestartUSec = at }
        timer.arm(at: at)
    }

    private func cancelPending() {
        pending = nil
        nextRestartUSec = 0
        timer.disarm()
    }

    private func enterFailed(action: FailureAction) {
        cancelPending()
        isFailed = true
        result = .startLimitHit
        let interval = settings.startLimitIntervalSec.microseconds / 1_000_000
        let reason = "'\(device)' hit its start limit, more than \(settings.startLimitBurst) starts within \(interval)s (StartLimitBurst=, StartLimitIntervalSec=)"
            + (history.fallbackUsed ? ", also with the fallback firmware" : "") + "; call ResetFailed to start it again."
        delegate?.restartDriver(self, announce: .failed(reason: reason))
        if action != .leave {
            // On the timer, as a restart: the crash may be reported before `state` reads `crashed`.
            schedule(.failureAction(action), at: clock())
        }
    }

    private func perform(_ request: RestartRequest) {
        guard let delegate else { return }
        inFlight = true
        delegate.restartDriver(self, perform: request) { [weak self] outcome in
            self?.finished(request, outcome)
        }
    }

    private func finished(_ request: RestartRequest, _ outcome: RestartOutcome) {
        inFlight = false
        guard case .failureAction = request.reason else {
            switch outcome {
            case .succeeded(let state) where state.isUp:
                delegate?.restartDriver(self, announce: .recovered(restarts: restartCount))
            case .succeeded(let state) where state == .crashed:
                // Crashed again while booting: the detector reports that crash; decide now if it came first.
                if !isFailed, pending == nil { decide(after: .crash) }
            case .succeeded:
                break
            case .failed(_, let state) where state == .crashed:
                // Up again and crashed again before `state` was re-read (the write was accepted): a
                // crash, decided like one.
                if !isFailed, pending == nil { decide(after: .crash) }
            case .failed:
                if !isFailed { decide(after: .bootFailed) }
            }
            delegate?.restartDriverChanged(self)
            return
        }
        delegate?.restartDriverChanged(self)
    }
}

/// `RestartTimer` on the event loop (CLOCK_REALTIME times turned into a relative arming).
public final class LoopRestartTimer: RestartTimer {
    private let loop: EventLoop
    private var source: TimerSource?
    private let handler: () -> Void

    /// `handler` runs on the loop when the timer fires (call the driver's `timerFired()` from it).
    public init(loop: EventLoop, handler: @escaping () -> Void) {
        self.loop = loop
        self.handler = handler
    }

    deinit { source?.cancel() }

    public func arm(at: UInt64) {
        let now = loop.now(CLOCK_REALTIME)
        let after = at > now ? at - now : 0
        if let source {
            source.arm(afterMicroseconds: after)
        } else {
            source = try? loop.addTimer(afterMicroseconds: after, accuracy: 1000) { [weak self] in self?.handler() }
        }
    }

    public func disarm() { source?.disarm() }
}
