// Stand-ins for RprocModel's kernel-string types until branch `model` lands them; this file is deleted then.
// Same shape as ARCHITECTURE.md prescribes: one `table`, both directions derived from it, unknown strings kept.

/// Mirrors `enum rproc_state`, sysfs `state` (kernel-contract.md §1.3).
public enum ProcessorState: Sendable, Hashable {
    case offline, suspended, running, crashed, deleted, attached, detached, invalid
    case unrecognized(String)

    static let table: [(ProcessorState, String)] = [
        (.offline, "offline"), (.suspended, "suspended"), (.running, "running"), (.crashed, "crashed"),
        (.deleted, "deleted"), (.attached, "attached"), (.detached, "detached"), (.invalid, "invalid"),
    ]

    public init(sysfs: String) {
        self = Self.table.first { $0.1 == sysfs }?.0 ?? .unrecognized(sysfs)
    }

    public var sysfsValue: String {
        if case .unrecognized(let raw) = self { return raw }
        return Self.table.first { $0.0 == self }!.1
    }
}

/// Mirrors `rproc->recovery_disabled`, sysfs `recovery`.
public enum RecoveryMode: Sendable, Hashable {
    case enabled, disabled
    case unrecognized(String)

    static let table: [(RecoveryMode, String)] = [(.enabled, "enabled"), (.disabled, "disabled")]

    public init(sysfs: String) {
        self = Self.table.first { $0.1 == sysfs }?.0 ?? .unrecognized(sysfs)
    }

    public var sysfsValue: String {
        if case .unrecognized(let raw) = self { return raw }
        return Self.table.first { $0.0 == self }!.1
    }
}

/// Mirrors `enum rproc_dump_mechanism`, sysfs `coredump`.
public enum CoredumpMode: Sendable, Hashable {
    case disabled, enabled, inline
    case unrecognized(String)

    static let table: [(CoredumpMode, String)] = [(.disabled, "disabled"), (.enabled, "enabled"), (.inline, "inline")]

    public init(sysfs: String) {
        self = Self.table.first { $0.1 == sysfs }?.0 ?? .unrecognized(sysfs)
    }

    public var sysfsValue: String {
        if case .unrecognized(let raw) = self { return raw }
        return Self.table.first { $0.0 == self }!.1
    }
}
