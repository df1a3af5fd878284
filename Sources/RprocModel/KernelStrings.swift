// Every string rprocd reads from or writes to the kernel, and rprocd's own strings on the bus, each
// through one table from which both directions derive (docs/ARCHITECTURE.md, "Kernel strings").

/// A value spelled by exactly one string, listed in one `table`.
///
/// `init?(sysfs:)` and `sysfsValue` both derive from `table`, so they cannot drift apart.
/// `init?(sysfs:)` tolerates exactly one trailing `"\n"`, as `sysfs_streq` does (contract §9.15).
public protocol KernelString: Hashable, Sendable, CustomStringConvertible {
    /// Every case and its string, in the kernel's (or rprocd's) order.
    static var table: [(Self, String)] { get }
    /// The case spelled `sysfs` (one trailing newline allowed), or `nil`.
    init?(sysfs: String)
    /// The string the kernel prints or accepts for this case.
    var sysfsValue: String { get }
}

extension KernelString {
    public init?(sysfs: String) {
        guard let value = Self.lookup(sysfs) else { return nil }
        self = value
    }

    public var sysfsValue: String {
        guard let entry = Self.table.first(where: { $0.0 == self }) else {
            preconditionFailure("\(Self.self) case missing from its table")
        }
        return entry.1
    }

    public var description: String { sysfsValue }

    /// The table lookup, after dropping one trailing newline.
    static func lookup(_ text: String) -> Self? {
        let key = stripOneNewline(text)
        return table.first(where: { $0.1 == key })?.0
    }
}

/// `text` without one trailing `"\n"` (what sysfs prints and what `sysfs_streq` ignores).
func stripOneNewline(_ text: String) -> String {
    // Compare scalars: "\r\n" is a single Character and must not lose its "\n" here.
    guard text.unicodeScalars.last == "\n" else { return text }
    return String(text.unicodeScalars.dropLast())
}

/// The remote processor's state, sysfs `state` (`rproc_state_string[]` in remoteproc_sysfs.c).
///
/// Unknown strings (a future kernel's "defunct") are kept verbatim in `unrecognized`, never mapped
/// to a guess, so reading `state` never fails.
public enum ProcessorState: KernelString {
    /// Mirrors `RPROC_OFFLINE`, sysfs `offline`: powered off (also shown during a boot, and during a
    /// recovery between `crashed` and `running`).
    case offline
    /// Mirrors `RPROC_SUSPENDED`, sysfs `suspended` (set only by omap_remoteproc's runtime PM).
    case suspended
    /// Mirrors `RPROC_RUNNING`, sysfs `running`: booted by the kernel from a firmware.
    case running
    /// Mirrors `RPROC_CRASHED`, sysfs `crashed`: a crash was handled and no recovery has run yet.
    case crashed
    /// Mirrors `RPROC_DELETED`, sysfs `deleted`: being removed (CLASSIC kernels only, contract §0.2).
    case deleted
    /// Mirrors `RPROC_ATTACHED`, sysfs `attached`: running a firmware the kernel did not load.
    case attached
    /// Mirrors `RPROC_DETACHED`, sysfs `detached`: running, but the kernel is not attached to it.
    case detached
    /// Mirrors `RPROC_LAST`, sysfs `invalid`: an index past the table (unreachable in practice).
    case invalid
    /// A string this version of rprocd does not know, kept verbatim (without its newline).
    case unrecognized(String)

    public static let table: [(ProcessorState, String)] = [
        (.offline, "offline"), (.suspended, "suspended"), (.running, "running"), (.crashed, "crashed"),
        (.deleted, "deleted"), (.attached, "attached"), (.detached, "detached"), (.invalid, "invalid"),
    ]

    /// Never fails: a string outside `table` becomes `.unrecognized` (one trailing newline dropped).
    public init(sysfs: String) {
        self = Self.lookup(sysfs) ?? .unrecognized(stripOneNewline(sysfs))
    }

    public var sysfsValue: String {
        if case .unrecognized(let text) = self { return text }
        guard let entry = Self.table.first(where: { $0.0 == self }) else {
            preconditionFailure("ProcessorState case missing from its table")
        }
        return entry.1
    }

    /// `running` or `attached`: the remote executes and the kernel manages it.
    public var isUp: Bool { self == .running || self == .attached }

    /// The only states in which a `start` write is not a silent power-refcount increment
    /// (contract §2.2, §9.1): `offline` boots, `detached` attaches.
    public var acceptsStart: Bool { self == .offline || self == .detached }

    /// The states a `stop` write can act on: `running`, `attached`, and `crashed` on NEW kernels.
    public var acceptsStop: Bool { self == .running || self == .attached || self == .crashed }
}

/// sysfs `recovery` as read: whether the kernel recovers a crashed processor by itself.
public enum RecoveryMode: KernelString {
    /// Mirrors `recovery_disabled == false`, sysfs `enabled` (the default).
    case enabled
    /// Mirrors `recovery_disabled == true`, sysfs `disabled`: a crash stays `crashed`.
    case disabled

    public static let table: [(RecoveryMode, String)] = [(.enabled, "enabled"), (.disabled, "disabled")]
}

/// A keyword written to sysfs `recovery` (`recovery_store` in remoteproc_sysfs.c).
public enum RecoveryCommand: KernelString {
    /// sysfs `enabled`: clear `recovery_disabled`, then `rproc_trigger_recovery()`.
    case enable
    /// sysfs `disabled`: set `recovery_disabled` (no other effect).
    case disable
    /// sysfs `recover`: `rproc_trigger_recovery()` without changing the flag; a no-op unless crashed.
    case recover

    public static let table: [(RecoveryCommand, String)] = [
        (.enable, "enabled"), (.disable, "disabled"), (.recover, "recover"),
    ]
}

/// sysfs `coredump`: what the kernel does with a crashed processor's memory at recovery.
public enum CoredumpMode: KernelString {
    /// Mirrors `RPROC_COREDUMP_DISABLED`, sysfs `disabled` (the default).
    case disabled
    /// Mirrors `RPROC_COREDUMP_ENABLED`, sysfs `enabled`: a devcoredump copied at recovery.
    case enabled
    /// Mirrors `RPROC_COREDUMP_INLINE`, sysfs `inline`: read in place; recovery blocks until released.
    case inline

    public static let table: [(CoredumpMode, String)] = [
        (.disabled, "disabled"), (.enabled, "enabled"), (.inline, "inline"),
    ]
}

/// A keyword written to sysfs `state` (`state_store` in remoteproc_sysfs.c).
public enum StateCommand: KernelString {
    /// sysfs `start` → `rproc_boot()`.
    case start
    /// sysfs `stop` → `rproc_shutdown()`.
    case stop
    /// sysfs `detach` → `rproc_detach()`.
    case detach

    public static let table: [(StateCommand, String)] = [(.start, "start"), (.stop, "stop"), (.detach, "detach")]
}

/// The attribute files of `/sys/class/remoteproc/remoteprocN/` (remoteproc_sysfs.c).
public enum Attribute: KernelString {
    /// sysfs `name` (0444): the driver's name for the processor.
    case name
    /// sysfs `firmware` (0644): the firmware file name, relative to the firmware search path.
    case firmware
    /// sysfs `state` (0644).
    case state
    /// sysfs `recovery` (0644).
    case recovery
    /// sysfs `coredump` (0644).
    case coredump

    public static let table: [(Attribute, String)] = [
        (.name, "name"), (.firmware, "firmware"), (.state, "state"), (.recovery, "recovery"),
        (.coredump, "coredump"),
    ]
}

/// The crash type in the kernel's "crash detected in %s: type %s" line (`rproc_crash_to_string`).
public enum CrashType: KernelString {
    /// Mirrors `RPROC_MMUFAULT` (0), `mmufault`.
    case mmuFault
    /// Mirrors `RPROC_WATCHDOG` (1), `watchdog`.
    case watchdog
    /// Mirrors `RPROC_FATAL_ERROR` (2), `fatal error`.
    case fatalError
    /// Any other type number, `unknown`.
    case unknown

    public static let table: [(CrashType, String)] = [
        (.mmuFault, "mmufault"), (.watchdog, "watchdog"), (.fatalError, "fatal error"), (.unknown, "unknown"),
    ]

    /// The type for `enum rproc_crash_type` value `number` (what debugfs `crash` takes).
    public init(kernelNumber number: Int) {
        switch number {
        case 0: self = .mmuFault
        case 1: self = .watchdog
        case 2: self = .fatalError
        default: self = .unknown
        }
    }
}

/// rprocd's own job on a processor (D-Bus property `Job`). The kernel has no such notion: during
/// a boot `state` just keeps reading `offline` (contract §1.3).
public enum Job: KernelString {
    /// Nothing in flight.
    case idle
    /// A `start` (boot or attach) or the start half of a restart or update.
    case starting
    /// A `stop`, or the stop half of a restart or update.
    case stopping
    /// A `detach`.
    case detaching
    /// A `start` on a detached processor.
    case attaching
    /// A write of `recovery` ← `recover`.
    case recovering
    /// The start limit was hit: mutating operations other than `reset-failed` are refused.
    case failed

    public static let table: [(Job, String)] = [
        (.idle, "idle"), (.starting, "starting"), (.stopping, "stopping"), (.detaching, "detaching"),
        (.attaching, "attaching"), (.recovering, "recovering"), (.failed, "failed"),
    ]

    /// A kernel write is in flight (every job but `idle` and `failed`).
    public var isActive: Bool { self != .idle && self != .failed }
}

/// How the last operation or crash ended (D-Bus property `Result`, as systemd's `Result`).
public enum ProcessorResult: KernelString {
    case success
    /// The processor crashed.
    case crash
    /// Too many starts within `StartLimitIntervalSec=`.
    case startLimitHit
    /// The start limit was hit and `FallbackFirmware=` was booted.
    case fallback
    /// Readiness did not come within `ReadyTimeoutSec=`.
    case timeout
    /// An update failed and the previous image was booted again.
    case rolledBack
    /// A kernel write failed.
    case kernelRefused

    public static let table: [(ProcessorResult, String)] = [
        (.success, "success"), (.crash, "crash"), (.startLimitHit, "start-limit-hit"), (.fallback, "fallback"),
        (.timeout, "timeout"), (.rolledBack, "rolled-back"), (.kernelRefused, "kernel-refused"),
    ]
}

/// Something wrong rprocd inferred from what the kernel showed (D-Bus property `Condition`).
public enum Condition: KernelString {
    /// `offline`/`detached` after a crash rprocd did not stop, or a `start` that returned success and
    /// left it `offline`: a failed recovery left the power refcount at 1 (contract §3.2, §9.5).
    case stuckAfterFailedRecovery
    /// A `stop` succeeded and the processor kept running: another user holds the power refcount
    /// (contract §2.2, §2.3).
    case heldByOtherUser

    public static let table: [(Condition, String)] = [
        (.stuckAfterFailedRecovery, "stuck-after-failed-recovery"), (.heldByOtherUser, "held-by-other-user"),
    ]
}

/// An operation a client asks for (`EnqueueJob`'s `operation`, rprocctl's verbs).
public enum Operation: KernelString {
    case start, stop, restart, detach, attach, recover, update, rollback
    case setFirmware
    case resetFailed

    public static let table: [(Operation, String)] = [
        (.start, "start"), (.stop, "stop"), (.restart, "restart"), (.detach, "detach"), (.attach, "attach"),
        (.recover, "recover"), (.update, "update"), (.rollback, "rollback"), (.setFirmware, "set-firmware"),
        (.resetFailed, "reset-failed"),
    ]
}
