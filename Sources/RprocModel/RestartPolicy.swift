// The restart policy, with systemd's names and semantics (systemd.service(5) Restart=, RestartSec=,
// RestartSteps=, RestartMaxDelaySec=; systemd.unit(5) StartLimitIntervalSec=, StartLimitBurst=,
// FailureAction=). Pure: the caller passes the time (µs) and keeps the history.

/// `[Recovery] Restart=`: when rprocd brings a processor back by itself.
public enum RestartMode: KernelString {
    /// Never.
    case no
    /// After a crash.
    case onCrash
    /// After a crash, a failed boot, a readiness timeout, or a stop rprocd did not ask for.
    case always

    public static let table: [(RestartMode, String)] = [(.no, "no"), (.onCrash, "on-crash"), (.always, "always")]

    /// Whether this mode restarts after `trigger`.
    public func restarts(after trigger: RestartTrigger) -> Bool {
        switch (self, trigger) {
        case (.no, _), (_, .stoppedByRprocd): return false
        case (.onCrash, .crash): return true
        case (.onCrash, _): return false
        case (.always, _): return true
        }
    }
}

/// `[Recovery] FailureAction=`: what happens when the start limit is hit (the processor is
/// `failed` until `reset-failed` in every case).
public enum FailureAction: KernelString {
    /// Stop the processor.
    case stop
    /// Leave it as it is (crashed, or offline).
    case leave
    /// Ask systemd to reboot the board (`org.freedesktop.systemd1.Manager.Reboot`).
    case reboot

    public static let table: [(FailureAction, String)] = [(.stop, "stop"), (.leave, "leave"), (.reboot, "reboot")]
}

/// `[Recovery] Owner=`: who recovers a crashed processor.
public enum RecoveryOwner: KernelString {
    /// rprocd sets `recovery` to `disabled` and applies its restart policy.
    case rprocd
    /// The kernel recovers by itself; rprocd counts and records.
    case kernel

    public static let table: [(RecoveryOwner, String)] = [(.rprocd, "rprocd"), (.kernel, "kernel")]
}

/// What ended a processor's run.
public enum RestartTrigger: Hashable, Sendable {
    case crash
    /// A boot rprocd made failed (kernel refused, or it crashed while starting).
    case bootFailed
    /// `ReadyOn=` channels did not come within `ReadyTimeoutSec=`.
    case readinessTimeout
    /// It went offline and rprocd did not ask for it.
    case externalStop
    /// rprocd stopped it on request: never restarted.
    case stoppedByRprocd
}

/// The restart settings of one processor, with systemd's defaults.
public struct RestartSettings: Hashable, Sendable {
    public var restart: RestartMode = .onCrash
    /// systemd's default `RestartSec=100ms`.
    public var restartSec: TimeSpan = .milliseconds(100)
    /// 0: no backoff.
    public var restartSteps: UInt32 = 0
    public var restartMaxDelaySec: TimeSpan = .infinity
    /// systemd's `DefaultStartLimitIntervalSec=10s`; 0 disables the limit.
    public var startLimitIntervalSec: TimeSpan = .seconds(10)
    /// systemd's `DefaultStartLimitBurst=5`; 0 disables the limit.
    public var startLimitBurst: UInt32 = 5
    public var failureAction: FailureAction = .leave
    /// Booted once when the start limit is hit.
    public var fallbackFirmware: String?

    public init() {}
}

/// systemd's `RateLimit` as `ratelimit_below` uses it: a window opens at the first event and
/// admits `burst` events until `interval` has passed since it opened.
public struct StartLimitWindow: Hashable, Sendable {
    /// When the current window opened (µs); `nil` before the first start.
    public var begin: UInt64?
    /// Starts admitted in the current window.
    public var count: UInt32 = 0

    public init(begin: UInt64? = nil, count: UInt32 = 0) {
        self.begin = begin
        self.count = count
    }

    /// Admits a start at `now`, or refuses it (the limit is hit). Mirrors `ratelimit_below`.
    public mutating func admit(at now: UInt64, interval: TimeSpan, burst: UInt32) -> Bool {
        guard interval.microseconds > 0, burst > 0 else { return true }
        if let begin, now >= begin, now - begin <= interval.microseconds {
            guard count < UInt32.max else { return false }
            count += 1
            return count <= burst
        }
        begin = now
        count = 1
        return true
    }
}

/// What the policy remembers between runs.
public struct RestartHistory: Hashable, Sendable {
    public var startLimit = StartLimitWindow()
    /// The fallback firmware was booted since the last `reset-failed`.
    public var fallbackUsed = false

    public init() {}

    /// `reset-failed`: forget the start-limit window and the fallback.
    public mutating func reset() { self = RestartHistory() }
}

/// The policy's answer.
public enum RestartDecision: Hashable, Sendable {
    /// No restart: the mode does not cover the trigger.
    case none
    /// Restart at `at` µs (`delay` after now); `attempt` is the 1-based restart number.
    case restart(at: UInt64, delay: TimeSpan, attempt: UInt32)
    /// The start limit is hit: boot `firmware` once at `at` (Result=`fallback`).
    case fallback(firmware: String, at: UInt64)
    /// The start limit is hit: the processor becomes `failed` (Result=`start-limit-hit`); apply `action`.
    case fail(action: FailureAction)
}

public enum RestartPolicy {
    /// The delay before restart number `attempt` (1-based), as systemd's
    /// `service_restart_usec_next` computes it: `RestartSec=` for the first, then growing
    /// geometrically over `RestartSteps=` steps to `RestartMaxDelaySec=`:
    /// `r_i = r_0 · (r_max / r_0)^((i−1)/steps)`, `r_max` from step `steps + 1` on.
    ///
    /// - Note: computed in `Double` and truncated to whole µs as systemd truncates its `long double`
    ///   result; a value within 1e-4 µs of an integer is taken as that integer, so exact cases
    ///   (2 s → 4 s → 8 s) come out as systemd's extended precision gives them.
    public static func delay(forAttempt attempt: UInt32, settings: RestartSettings) -> TimeSpan {
        let r0 = settings.restartSec.microseconds
        let max = settings.restartMaxDelaySec
        let steps = settings.restartSteps
        if attempt <= 1 || steps == 0 || r0 == 0 || max.isInfinite || r0 >= max.microseconds {
            return settings.restartSec
        }
        if attempt > steps { return max }
        let ratio = Double(max.microseconds) / Double(r0)
        let value = Double(r0) * MathFunctions.power(ratio, Double(attempt - 1) / Double(steps))
        let nearest = value.rounded()
        let usec = (value - nearest).magnitude < 1e-4 ? nearest : value.rounded(.down)
        return TimeSpan(microseconds: UInt64(usec))
    }

    /// What to do after a run ended with `trigger` at `now`.
    ///
    /// - Parameters:
    ///   - restartsSoFar: restarts by the policy since the last user start or reset (`RestartCount`).
    ///   - history: the start-limit window and whether the fallback was used; not changed here
    ///     (call `admitStart` when the start is made).
    /// - Returns: `restart` with its time; when that start would exceed the start limit,
    ///   `fallback` (once, if `FallbackFirmware=` is set) or `fail`.
    public static func next(
        after trigger: RestartTrigger, restartsSoFar: UInt32, history: RestartHistory, settings: RestartSettings,
        now: UInt64
    ) -> RestartDecision {
        guard settings.restart.restarts(after: trigger) else { return .none }
        let attempt = restartsSoFar + 1
        let delay = delay(forAttempt: attempt, settings: settings)
        let at = now.addingReportingOverflow(delay.microseconds)
        let when = at.overflow ? UInt64.max : at.partialValue
        var window = history.startLimit
        if window.admit(at: when, interval: settings.startLimitIntervalSec, burst: settings.startLimitBurst) {
            return .restart(at: when, delay: delay, attempt: attempt)
        }
        if let fallback = settings.fallbackFirmware, !history.fallbackUsed {
            return .fallback(firmware: fallback, at: when)
        }
        return .fail(action: settings.failureAction)
    }

    /// Counts a start (by a user or the policy) against the start limit. `false`: the limit is hit
    /// and the start must not be made (the processor becomes `failed`, as systemd's
    /// "Start request repeated too quickly").
    public static func admitStart(history: inout RestartHistory, settings: RestartSettings, now: UInt64) -> Bool {
        history.startLimit.admit(at: now, interval: settings.startLimitIntervalSec, burst: settings.startLimitBurst)
    }

    /// Records that the fallback firmware is being booted: it gets a fresh start-limit window, and
    /// the next limit hit is final.
    public static func beginFallback(history: inout RestartHistory, now: UInt64) {
        history.fallbackUsed = true
        history.startLimit = StartLimitWindow(begin: now, count: 1)
    }
}

/// `pow` for the backoff, since the standard library has none: exp(y·ln x) with range reduction.
/// Relative error about 1e-15 for the arguments the backoff uses.
enum MathFunctions {
    static let ln2 = 0.693_147_180_559_945_309_417_232_121_458

    static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite)
        // x = m · 2^e with m in [√½, √2): ln x = e·ln 2 + 2·atanh((m−1)/(m+1)).
        var e = Int(x.exponent)
        var m = x.significand  // [1, 2)
        if m > 1.414_213_562_373_095_048_8 { m /= 2; e += 1 }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        while true {
            let add = term / k
            if add.magnitude < 1e-18 * max(sum.magnitude, 1e-300) || k > 61 { sum += add; break }
            sum += add
            term *= s2
            k += 2
        }
        return Double(e) * ln2 + 2 * sum
    }

    static func exp(_ z: Double) -> Double {
        let k = (z / ln2).rounded()
        let r = z - k * ln2
        var term = 1.0
        var sum = 1.0
        for n in 1...30 {
            term *= r / Double(n)
            sum += term
            if term.magnitude < 1e-18 { break }
        }
        return Double(sign: .plus, exponent: Int(k), significand: sum)
    }

    static func power(_ x: Double, _ y: Double) -> Double {
        if y == 0 || x == 1 { return 1 }
        return exp(y * log(x))
    }
}

extension RestartDecision {
    /// The operation (and firmware argument) that carries the decision out on a processor now in
    /// `state`, for `Planner.plan(_:firmware:…)` with `byPolicy`: a crashed processor is recovered
    /// through the kernel's `recovery` (same firmware: stop, dump, reload, start), a down one is
    /// started; the fallback needs a firmware switch, so a restart (stop first; on CLASSIC kernels
    /// that means recover, then stop). `fail` yields the `FailureAction=`'s operation, if any.
    public func operation(in state: ProcessorState) -> (operation: Operation, firmware: String?)? {
        switch self {
        case .none: return nil
        case .restart: return state == .crashed ? (.recover, nil) : (.start, nil)
        case .fallback(let firmware, _): return (.restart, firmware)
        case .fail(let action): return action == .stop && state != .offline ? (.stop, nil) : nil
        }
    }
}
