// Turns the three ways a crash shows (the kernel log, a devcoredump, `state` samples) into one
// crash event per crash (kernel-contract.md §3.1, §3.4). Pure: the caller passes the time.

import RprocModel
import RprocSystem

/// How rprocd learnt of a crash.
public enum CrashEvidence: String, Hashable, Sendable {
    /// "crash detected in %s: type %s" or "handling crash #%u in %s" in the kernel log.
    case kernelLog = "kernel-log"
    /// A `state` sample read `crashed`, or `running → offline → running` with no job of rprocd's.
    case statePoll = "state-poll"
    /// A devcoredump of the processor appeared with no crash seen before it.
    case devcoredump
    /// The processor was already `crashed` when rprocd adopted it.
    case adopted
}

/// One crash, reported once however many inputs showed it.
public struct CrashEvent: Hashable, Sendable {
    public var device: String
    /// From the kernel log; nil when only the poll or a dump showed the crash.
    public var type: CrashType?
    /// `CrashCount` after this crash (crashes the kernel counted and rprocd missed are included).
    public var count: UInt32
    /// µs (CLOCK_REALTIME) of the first evidence.
    public var at: UInt64
    public var evidence: CrashEvidence
    /// Crashes the kernel counted ("handling crash #N" jumped) that no input showed; included in `count`.
    public var missed: UInt32
}

/// What the detector reports.
public enum CrashDetection: Hashable, Sendable {
    case crashed(CrashEvent)
    /// The kernel log named the type of a crash already reported.
    case typeLearned(device: String, CrashType)
    /// The processor is up again after a crash. `byKernel`: no recovery of rprocd's was in flight.
    case recovered(device: String, byKernel: Bool)
}

/// The crash detector of one processor. Loop-owned; feed it every input in the order it arrived.
///
/// Deduplication: a crash opens an *episode* at its first evidence; further evidence (the other
/// log line, a `crashed` sample, a dump) only completes it, and the episode closes when the
/// processor is seen up again or rprocd stops it. The kernel's own counter ("handling crash #N")
/// catches crashes that came and went between two inputs.
public struct CrashDetector: Sendable {
    public let device: String
    /// `CrashCount`: crashes seen (restored from the state directory by the caller).
    public private(set) var crashCount: UInt32
    /// The kernel state last seen.
    public private(set) var state: ProcessorState
    /// The type of the last crash, when the kernel log named it.
    public private(set) var lastCrashType: CrashType?

    private var episode: Episode?
    /// The last closed episode, for a dump that arrives after the processor is back up.
    private var lastEpisode: Episode?
    /// The last "handling crash #N" seen.
    private var kernelCount: UInt32?
    /// A "crash detected" type seen while no episode was open (the processor looked down): kept for
    /// the `crashed` sample or "handling crash" line that follows.
    private var pendingType: (type: CrashType, at: UInt64)?
    /// The processor went down with no job of rprocd's and no crash evidence: a kernel recovery
    /// whose `crashed` phase the poll missed, unless it stays down.
    private var unexplainedDownSince: UInt64?
    /// rprocd's own operation in flight (a stop is not a crash; a recovery is not the kernel's).
    private var operation: Operation?

    /// How long a "crash detected" type waits for the transition it announces (µs).
    static let typeWindow: UInt64 = 5_000_000

    struct Episode: Sendable {
        var at: UInt64
        var hasDump = false
        /// N of the "handling crash #N" line that belongs to this crash, once read.
        var kernelCount: UInt32?
    }

    public init(device: String, state: ProcessorState, crashCount: UInt32 = 0) {
        self.device = device
        self.state = state
        self.crashCount = crashCount
    }

    /// Whether a crash is open (seen and not yet resolved by a recovery or a stop).
    public var crashOpen: Bool { episode != nil }

    /// A processor adopted `crashed` (it crashed while rprocd was away): one crash, `adopted`.
    public mutating func adopt(at now: UInt64) -> [CrashDetection] {
        guard state == .crashed, episode == nil else { return [] }
        return open(type: nil, at: now, evidence: .adopted)
    }

    // MARK: Inputs

    /// rprocd began an operation on the processor.
    public mutating func jobStarted(_ operation: Operation) { self.operation = operation }

    /// rprocd's operation ended; `state` is what the kernel showed after it.
    public mutating func jobFinished(state: ProcessorState, at now: UInt64) -> [CrashDetection] {
        let finished = operation
        defer { operation = nil }
        if finished == .stop || finished == .restart, state == .offline {
            if let stopped = episode { lastEpisode = stopped }
            episode = nil
            unexplainedDownSince = nil
        }
        return observe(state: state, at: now)
    }

    /// A line of the kernel log about this processor.
    public mutating func kernelLog(_ event: RemoteprocLogEvent, at now: UInt64) -> [CrashDetection] {
        switch event {
        case .crashDetected:
            // Logged for every report, even while offline or already crashed (the kernel then ignores it).
            let type = event.crashType ?? .unknown
            if episode != nil {
                // A second report while crashed is ignored by the kernel ("handle only the first crash").
                guard lastCrashType == nil else { return [] }
                lastCrashType = type
                return [.typeLearned(device: device, type)]
            }
            guard state.isUp else {
                pendingType = (type, now)
                return []
            }
            return open(type: type, at: now, evidence: .kernelLog)
        case .handlingCrash(let count, _):
            // The transition to `crashed`: the kernel's `crash_cnt` after it.
            // A count that does not grow means the processor was registered again (driver rebind).
            let previous = kernelCount
            kernelCount = count
            let missed = previous.map { count > $0 ? count - $0 - 1 : 0 } ?? 0
            state = .crashed  // logged right after the kernel set RPROC_CRASHED
            if var open = episode, open.kernelCount == nil {
                // The transition of the crash "crash detected" opened.
                crashCount &+= missed
                open.kernelCount = count
                episode = open
                return []
            }
            if var last = lastEpisode, episode == nil, last.kernelCount == nil, last.at + Self.typeWindow >= now {
                // The episode already ended (rprocd stopped or recovered it before this line was read).
                crashCount &+= missed
                last.kernelCount = count
                lastEpisode = last
                return []
            }
            // A crash the counter proves is new (the previous one's recovery went unseen).
            if episode != nil { lastEpisode = episode }
            let detections = open(type: takePendingType(at: now), at: now, evidence: .kernelLog, missed: missed)
            episode?.kernelCount = count
            return detections
        case .up, .attached:
            // "is now up": the end of a recovery even when no sample showed the processor down.
            var detections = observe(state: .running, at: now)
            if let closed = episode {
                lastEpisode = closed
                episode = nil
                detections.append(.recovered(device: device, byKernel: operation == nil))
            }
            return detections
        default:
            return []
        }
    }

    /// A `state` sample (poll, or the re-read after a write).
    public mutating func observe(state new: ProcessorState, at now: UInt64) -> [CrashDetection] {
        let old = state
        state = new
        var detections: [CrashDetection] = []
        if new == .crashed {
            if episode == nil { detections += open(type: takePendingType(at: now), at: now, evidence: .statePoll) }
            return detections
        }
        if new.isUp {
            if let downSince = unexplainedDownSince, episode == nil, operation == nil {
                // running → offline → running without rprocd: a kernel recovery whose `crashed` the poll missed.
                detections += open(type: takePendingType(at: now), at: downSince, evidence: .statePoll)
            }
            unexplainedDownSince = nil
            // Only a return from down ends a crash: a `running` sample taken between the crash
            // report and the kernel's transition to `crashed` does not.
            if let closed = episode, !old.isUp {
                lastEpisode = closed
                episode = nil
                detections.append(.recovered(device: device, byKernel: operation == nil))
            }
            return detections
        }
        if new == .offline || new == .detached, old.isUp, episode == nil, operation == nil {
            unexplainedDownSince = now
        }
        return detections
    }

    /// A devcoredump whose `failing_device` is this processor appeared (udev `add`, or a scan).
    public mutating func devcoredumpAppeared(at now: UInt64) -> [CrashDetection] {
        if episode != nil {
            episode?.hasDump = true
            return []
        }
        if let last = lastEpisode, !last.hasDump {
            lastEpisode?.hasDump = true
            return []
        }
        // A dump with no crash seen: count it; the processor is being (or was) recovered.
        var detections = open(type: takePendingType(at: now), at: now, evidence: .devcoredump)
        episode?.hasDump = true
        if state.isUp {
            lastEpisode = episode
            episode = nil
            detections.append(.recovered(device: device, byKernel: operation == nil))
        }
        return detections
    }

    // MARK: Helpers

    private mutating func takePendingType(at now: UInt64) -> CrashType? {
        defer { pendingType = nil }
        guard let pending = pendingType, now >= pending.at, now - pending.at <= Self.typeWindow else { return nil }
        return pending.type
    }

    private mutating func open(type: CrashType?, at now: UInt64, evidence: CrashEvidence, missed: UInt32 = 0) -> [CrashDetection] {
        crashCount &+= 1 &+ missed
        lastCrashType = type
        episode = Episode(at: now)
        unexplainedDownSince = nil
        return [.crashed(CrashEvent(device: device, type: type, count: crashCount, at: now, evidence: evidence, missed: missed))]
    }
}
