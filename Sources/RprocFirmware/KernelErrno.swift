// The errno values the remoteproc core, the firmware loader and sysfs return, as a pure value.
//
// RprocFirmware is the lowest module (no Glibc), so it cannot use swift-system's `Errno`. This type
// is shared by the firmware checks (a finding names the errno the kernel would return) and by the
// kernel model of the virtual board (every refused write returns one). The numbers are Linux's
// asm-generic ones, which every architecture rprocd targets (arm, arm64, x86, riscv) uses.

/// A Linux errno value, with its symbolic name.
///
/// Mirrors the `-E…` values in `include/uapi/asm-generic/errno-base.h` and `errno.h`.
public struct KernelErrno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The positive errno number (the kernel returns its negation).
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let EPERM = KernelErrno(rawValue: 1)
    public static let ENOENT = KernelErrno(rawValue: 2)
    public static let EINTR = KernelErrno(rawValue: 4)
    public static let EIO = KernelErrno(rawValue: 5)
    public static let ENXIO = KernelErrno(rawValue: 6)
    public static let EBADF = KernelErrno(rawValue: 9)
    public static let EAGAIN = KernelErrno(rawValue: 11)
    public static let ENOMEM = KernelErrno(rawValue: 12)
    public static let EACCES = KernelErrno(rawValue: 13)
    public static let EFAULT = KernelErrno(rawValue: 14)
    public static let EBUSY = KernelErrno(rawValue: 16)
    public static let EEXIST = KernelErrno(rawValue: 17)
    public static let ENODEV = KernelErrno(rawValue: 19)
    public static let ENOTDIR = KernelErrno(rawValue: 20)
    public static let EISDIR = KernelErrno(rawValue: 21)
    public static let EINVAL = KernelErrno(rawValue: 22)
    public static let ETXTBSY = KernelErrno(rawValue: 26)
    public static let EFBIG = KernelErrno(rawValue: 27)
    public static let ENOSPC = KernelErrno(rawValue: 28)
    public static let EPIPE = KernelErrno(rawValue: 32)
    public static let ERANGE = KernelErrno(rawValue: 34)
    public static let ENAMETOOLONG = KernelErrno(rawValue: 36)
    public static let ENOSYS = KernelErrno(rawValue: 38)
    public static let ENOTEMPTY = KernelErrno(rawValue: 39)
    public static let EOVERFLOW = KernelErrno(rawValue: 75)
    public static let EMSGSIZE = KernelErrno(rawValue: 90)
    public static let EOPNOTSUPP = KernelErrno(rawValue: 95)
    public static let ENETRESET = KernelErrno(rawValue: 102)

    /// The one table from which `name` and `init?(name:)` are derived.
    static let table: [(KernelErrno, String)] = [
        (.EPERM, "EPERM"), (.ENOENT, "ENOENT"), (.EINTR, "EINTR"), (.EIO, "EIO"), (.ENXIO, "ENXIO"),
        (.EBADF, "EBADF"), (.EAGAIN, "EAGAIN"), (.ENOMEM, "ENOMEM"), (.EACCES, "EACCES"),
        (.EFAULT, "EFAULT"), (.EBUSY, "EBUSY"), (.EEXIST, "EEXIST"), (.ENODEV, "ENODEV"),
        (.ENOTDIR, "ENOTDIR"), (.EISDIR, "EISDIR"), (.EINVAL, "EINVAL"), (.ETXTBSY, "ETXTBSY"),
        (.EFBIG, "EFBIG"), (.ENOSPC, "ENOSPC"), (.EPIPE, "EPIPE"), (.ERANGE, "ERANGE"),
        (.ENAMETOOLONG, "ENAMETOOLONG"), (.ENOSYS, "ENOSYS"), (.ENOTEMPTY, "ENOTEMPTY"),
        (.EOVERFLOW, "EOVERFLOW"), (.EMSGSIZE, "EMSGSIZE"), (.EOPNOTSUPP, "EOPNOTSUPP"),
        (.ENETRESET, "ENETRESET"),
    ]

    /// The symbolic name (`"EINVAL"`), or `"E<number>"` for a value outside the table.
    public var name: String {
        for (value, name) in Self.table where value == self { return name }
        return "E\(rawValue)"
    }

    /// The errno with this symbolic name, or nil.
    public init?(name: String) {
        guard let match = Self.table.first(where: { $0.1 == name }) else { return nil }
        self = match.0
    }

    public var description: String { name }
}
