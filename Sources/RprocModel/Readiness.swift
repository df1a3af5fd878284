// Readiness (`[Boot] ReadyOn=`, `ReadyTimeoutSec=`): a processor is ready when the kernel says it
// runs and every listed rpmsg channel has been announced. Pure; time is a parameter (µs).

/// Where a start job stands on readiness.
public enum Readiness: Hashable, Sendable {
    /// Up, and every `ReadyOn=` channel announced.
    case ready
    /// Still waiting for these channels (in `ReadyOn=` order); give up at `deadline` (µs), or never
    /// when `nil`.
    case waiting(missing: [String], deadline: UInt64?)
    /// `ReadyTimeoutSec=` passed with these channels missing (`Result=timeout`).
    case timedOut(missing: [String])
    /// The processor is not up (`state` is not `running`/`attached`).
    case down

    /// Evaluates readiness.
    ///
    /// - Parameters:
    ///   - state: the kernel state now.
    ///   - announced: names of the rpmsg channels the remote announced so far.
    ///   - readyOn: `ReadyOn=`.
    ///   - timeout: `ReadyTimeoutSec=`; `nil` waits forever.
    ///   - since: when the kernel reported the processor up (µs).
    ///   - now: the current time (µs).
    public static func evaluate(
        state: ProcessorState, announced: Set<String>, readyOn: [String], timeout: TimeSpan?, since: UInt64, now: UInt64
    ) -> Readiness {
        guard state.isUp else { return .down }
        var missing: [String] = []
        for name in readyOn where !announced.contains(name) && !missing.contains(name) { missing.append(name) }
        if missing.isEmpty { return .ready }
        guard let timeout, !timeout.isInfinite else { return .waiting(missing: missing, deadline: nil) }
        let (deadline, overflow) = since.addingReportingOverflow(timeout.microseconds)
        if overflow { return .waiting(missing: missing, deadline: nil) }
        return now >= deadline ? .timedOut(missing: missing) : .waiting(missing: missing, deadline: deadline)
    }
}
