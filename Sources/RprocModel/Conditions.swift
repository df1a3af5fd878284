// Conditions rprocd infers from what the kernel shows, since the kernel hides the power refcount
// (contract §1.4, §2.2) and reports failed recoveries only in its log (§3.2).

/// Pure detection from before/after observations.
public enum ConditionDetector {
    /// The condition a successful write reveals, given `state` just before and just after it.
    ///
    /// - `start` that returned success and left `offline`/`detached`: the refcount was already ≥ 1,
    ///   which only a failed recovery leaves behind (§2.3, §9.5) → `stuckAfterFailedRecovery`.
    /// - `stop` (or `detach`) that returned success and left the processor as it was: another user
    ///   still holds the refcount (§2.3, §9.1) → `heldByOtherUser`.
    /// - `recovery` ← `recover`/`enabled` on a crashed processor that ends `offline`/`detached`: the
    ///   recovery failed (the kernel discards its result, §1.3) → `stuckAfterFailedRecovery`.
    public static func afterWrite(_ write: KernelWrite, before: ProcessorState, after: ProcessorState) -> Condition? {
        switch write {
        case .state(.start):
            return before.acceptsStart && after == before ? .stuckAfterFailedRecovery : nil
        case .state(.stop):
            return before.acceptsStop && after == before ? .heldByOtherUser : nil
        case .state(.detach):
            return before == .attached && after == .attached ? .heldByOtherUser : nil
        case .recovery(.recover), .recovery(.enable):
            return before == .crashed && (after == .offline || after == .detached) ? .stuckAfterFailedRecovery : nil
        case .recovery(.disable), .firmware, .coredump:
            return nil
        }
    }

    /// Whether a processor that crashed (and was not stopped by rprocd) is stuck: still
    /// `offline`/`detached` `grace` µs after the crash was seen. A boot recovery passes through
    /// `offline` for as long as a boot takes, so `grace` must exceed the processor's boot time.
    ///
    /// - Parameters:
    ///   - state: the state now.
    ///   - crashSeenAt: when the crash was first seen (µs); `nil` when no crash is outstanding.
    ///   - now: the current time (µs).
    ///   - grace: how long a recovery may take (µs).
    public static func afterCrash(state: ProcessorState, crashSeenAt: UInt64?, now: UInt64, grace: UInt64) -> Condition? {
        guard let crashSeenAt, state == .offline || state == .detached else { return nil }
        return now >= crashSeenAt && now - crashSeenAt >= grace ? .stuckAfterFailedRecovery : nil
    }

    /// Whether a condition no longer holds in `state`: a stuck processor that runs again (driver
    /// rebound) is no longer stuck; one held by another user is released once it stops.
    public static func clears(_ condition: Condition, in state: ProcessorState) -> Bool {
        switch condition {
        case .stuckAfterFailedRecovery: return state.isUp
        case .heldByOtherUser: return state == .offline || state == .detached
        }
    }
}
