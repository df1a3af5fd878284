import RprocModel
import SystemPackage

/// The hint every refused kernel write carries: the kernel gives its reason only in its log.
public let kernelLogHint = "The kernel logs its reason: see 'journalctl -k' or 'dmesg'."

/// The kernel refused a command: its `write(2)` failed.
///
/// The errno alone rarely explains why (`EINVAL` covers a bad ELF, a missing resource table and an unknown
/// keyword alike), so the error carries the state around the write and points at the kernel log.
public struct KernelWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var device: String
    public var attribute: Attribute
    /// The value written (without the newline that was sent after it).
    public var value: String
    /// The attribute file.
    public var path: String
    /// The errno `write(2)` returned: the kernel's negative return value.
    public var errno: Errno
    /// `state` read just before the write.
    public var stateBefore: ProcessorState
    /// `state` read just after the refusal; nil when it could not be read.
    public var stateAfter: ProcessorState?
    /// Where the kernel's reason is: `kernelLogHint`.
    public var hint: String { kernelLogHint }

    public init(
        device: String, attribute: Attribute, value: String, path: String, errno: Errno,
        stateBefore: ProcessorState, stateAfter: ProcessorState?
    ) {
        self.device = device
        self.attribute = attribute
        self.value = value
        self.path = path
        self.errno = errno
        self.stateBefore = stateBefore
        self.stateAfter = stateAfter
    }

    public var description: String {
        let after = stateAfter.map { "'\($0.sysfsValue)'" } ?? "unreadable"
        return "The kernel refused '\(value)' written to '\(device)/\(attribute)' (state '\(stateBefore.sysfsValue)' "
            + "before, \(after) after): \(errno.description). \(hint)"
    }
}

/// A command for an attribute the kernel made read-only (mode 0444): the open for writing failed with EACCES,
/// which sysfs returns even for root (kernel-contract.md §1.2, §9 item 22). Not a failure of the processor.
public struct ReadOnlyAttributeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var device: String
    public var attribute: Attribute
    public var value: String
    public var path: String
    /// The file's permission bits (0444).
    public var permissions: UInt32
    public var stateBefore: ProcessorState

    public var description: String {
        "'\(device)/\(attribute)' is read-only (mode 0\(String(permissions, radix: 8))): the driver does not let "
            + "userspace write '\(value)' to it."
    }
}

/// A value that cannot be sent as one command (empty, with a newline or NUL, longer than a page). Nothing was
/// opened or written.
public struct InvalidKernelWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var device: String
    public var write: AttributeWrite
    public var problem: String

    public var description: String {
        "Cannot write '\(write.value)' to '\(device)/\(write.attribute)': \(problem)."
    }
}

/// An attribute read a string its kernel show function never prints (a newer kernel, or not a kernel file).
public struct UnexpectedAttributeValueError: Error, Equatable, Sendable, CustomStringConvertible {
    public var device: String
    public var attribute: Attribute
    /// The value read, without its trailing newline.
    public var value: String

    public var description: String { "'\(device)/\(attribute)' reads '\(value)', which rprocd does not know." }
}
