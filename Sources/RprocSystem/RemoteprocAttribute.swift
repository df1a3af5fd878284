/// One attribute file of `/sys/class/remoteproc/remoteprocN/` (kernel-contract.md §1.3, `remoteproc_sysfs.c`).
public enum RemoteprocAttribute: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Mirrors `name_show`, sysfs `name` (always 0444).
    case name
    /// Mirrors `firmware_show`/`firmware_store`, sysfs `firmware`.
    case firmware
    /// Mirrors `state_show`/`state_store`, sysfs `state`.
    case state
    /// Mirrors `recovery_show`/`recovery_store`, sysfs `recovery`.
    case recovery
    /// Mirrors `coredump_show`/`coredump_store`, sysfs `coredump`.
    case coredump

    static let table: [(RemoteprocAttribute, String)] = [
        (.name, "name"), (.firmware, "firmware"), (.state, "state"), (.recovery, "recovery"), (.coredump, "coredump"),
    ]

    /// The attribute whose file is called `fileName`.
    public init?(fileName: String) {
        guard let entry = Self.table.first(where: { $0.1 == fileName }) else { return nil }
        self = entry.0
    }

    /// The file name in the device directory.
    public var fileName: String { Self.table.first { $0.0 == self }!.1 }

    public var description: String { fileName }
}

/// One command for the kernel: the value to write into one attribute, as a single `write(2)`.
///
/// The bytes written are the value followed by one `\n` (`start\n`); sysfs keywords ignore exactly one trailing
/// newline (`sysfs_streq`) and `firmware` keeps the bytes before the first newline (kernel-contract.md §1.2–1.3).
public struct KernelWrite: Sendable, Hashable, CustomStringConvertible {
    public var attribute: RemoteprocAttribute
    public var value: String

    public init(attribute: RemoteprocAttribute, value: String) {
        self.attribute = attribute
        self.value = value
    }

    /// `state` ← `start`: `rproc_boot()`.
    public static let start = KernelWrite(attribute: .state, value: "start")
    /// `state` ← `stop`: `rproc_shutdown()`.
    public static let stop = KernelWrite(attribute: .state, value: "stop")
    /// `state` ← `detach`: `rproc_detach()`.
    public static let detach = KernelWrite(attribute: .state, value: "detach")
    /// `recovery` ← `recover`: `rproc_trigger_recovery()` without changing the flag.
    public static let recover = KernelWrite(attribute: .recovery, value: "recover")

    /// `firmware` ← `name`: `rproc_set_firmware()`.
    public static func firmware(_ name: String) -> KernelWrite { KernelWrite(attribute: .firmware, value: name) }
    /// `recovery` ← `enabled`/`disabled`.
    public static func recovery(_ mode: RecoveryMode) -> KernelWrite {
        KernelWrite(attribute: .recovery, value: mode.sysfsValue)
    }
    /// `coredump` ← `disabled`/`enabled`/`inline`.
    public static func coredump(_ mode: CoredumpMode) -> KernelWrite {
        KernelWrite(attribute: .coredump, value: mode.sysfsValue)
    }

    /// Exactly the bytes of the one `write(2)`: the value and one newline.
    public var bytes: [UInt8] { Array(value.utf8) + [0x0A] }

    /// Why the value cannot be written as one command, or nil when it can: the kernel would cut it at a
    /// newline or NUL, ignore an empty one, and truncate one longer than a page.
    public var problem: String? {
        if value.isEmpty { return "the value is empty" }
        if value.utf8.contains(0x0A) { return "the value contains a newline" }
        if value.utf8.contains(0) { return "the value contains a NUL byte" }
        if value.utf8.count >= 4095 { return "the value is longer than a page" }
        return nil
    }

    public var description: String { "\(attribute) ← '\(value)'" }
}
