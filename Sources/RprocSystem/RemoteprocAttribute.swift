import RprocModel

extension Attribute {
    /// Every attribute, in the kernel's creation order of the files.
    static var allAttributes: [Attribute] { table.map(\.0) }

    /// The file name in the device directory.
    public var fileName: String { sysfsValue }
}

/// One command for the kernel as raw text: the value to write into one attribute, as a single `write(2)`.
///
/// RprocModel's `KernelWrite` is the typed command the planner produces; this is what reaches the file
/// (it can also carry text the kernel refuses, which the tests use to prove the refusal).
///
/// The bytes written are the value followed by one `\n` (`start\n`); sysfs keywords ignore exactly one trailing
/// newline (`sysfs_streq`) and `firmware` keeps the bytes before the first newline (kernel-contract.md §1.2–1.3).
public struct AttributeWrite: Sendable, Hashable, CustomStringConvertible {
    public var attribute: Attribute
    public var value: String

    public init(attribute: Attribute, value: String) {
        self.attribute = attribute
        self.value = value
    }

    /// Exactly the bytes of the one `write(2)`: the value and one newline.
    public var bytes: [UInt8] { Array(value.utf8) + [0x0A] }

    /// Why the value cannot be written as one command, or nil when it can: the kernel would cut it at a
    /// newline or NUL, refuse an empty one, and truncate one longer than a page.
    public var problem: String? {
        if value.isEmpty { return "the value is empty" }
        if value.utf8.contains(0x0A) { return "the value contains a newline" }
        if value.utf8.contains(0) { return "the value contains a NUL byte" }
        if value.utf8.count >= 4095 { return "the value is longer than a page" }
        return nil
    }

    public var description: String { "\(attribute) ← '\(value)'" }
}

extension AttributeWrite {
    /// The raw form of one of the planner's typed writes.
    public init(_ write: KernelWrite) {
        self.init(attribute: write.attribute, value: write.value)
    }
}
