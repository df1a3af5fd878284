import CUdev
import Glibc
import SystemPackage

/// Mirrors `enum kobject_action` as `kobject_actions[]` spells it in a uevent's `ACTION=`.
public enum UdevAction: Sendable, Hashable {
    case add, remove, change, move, online, offline, bind, unbind
    case unrecognized(String)

    static let table: [(UdevAction, String)] = [
        (.add, "add"), (.remove, "remove"), (.change, "change"), (.move, "move"), (.online, "online"),
        (.offline, "offline"), (.bind, "bind"), (.unbind, "unbind"),
    ]

    public init(kernelString: String) {
        self = Self.table.first { $0.1 == kernelString }?.0 ?? .unrecognized(kernelString)
    }

    public var kernelString: String {
        if case .unrecognized(let raw) = self { return raw }
        return Self.table.first { $0.0 == self }!.1
    }
}

/// One device event from udev.
public struct UdevEvent: Sendable, Equatable {
    public var action: UdevAction
    /// `SUBSYSTEM`: `remoteproc`, `devcoredump`, `rpmsg` (bus and class share the name), `virtio`, `platform`.
    public var subsystem: String
    /// `DEVPATH`, e.g. `/devices/virtual/devcoredump/devcd1`.
    public var devicePath: String
    /// The last component of the device path (`devcd1`, `remoteproc0`).
    public var systemName: String
    /// `DEVTYPE`, when set (`remoteproc` for the class device).
    public var deviceType: String?
    /// Every property of the event.
    public var properties: [String: String]
}

/// Why the udev monitor cannot be used; the daemon then relies on rescans and the kernel log.
public struct UdevUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "udev monitoring is unavailable: \(reason)" }
}

/// A libudev monitor (`udev_monitor_new_from_netlink(udev, "udev")`) filtered to the subsystems rprocd
/// follows. Its descriptor is non-blocking: give it to the event loop, then call `receive()` until nil.
/// Owned by the thread that created it.
public final class UdevMonitor {
    /// The subsystems rprocd follows (kernel-contract.md §3.4): the processors, their coredumps, and the
    /// virtio/rpmsg child devices created at boot and removed at stop and recovery.
    public static let defaultSubsystems = ["remoteproc", "devcoredump", "rpmsg", "virtio", "platform"]

    private let udev: OpaquePointer
    private let monitor: OpaquePointer

    private init(udev: OpaquePointer, monitor: OpaquePointer) {
        self.udev = udev
        self.monitor = monitor
    }

    /// Opens a monitor when udev can be used: the root is `/` and udev runs (`/run/udev/control` exists).
    /// Returns the reason as a value otherwise.
    public static func open(
        kernel: KernelFiles, subsystems: [String] = defaultSubsystems
    ) -> Result<UdevMonitor, UdevUnavailable> {
        guard kernel.isHostRoot else {
            return .failure(UdevUnavailable(reason: "the root directory '\(kernel.root)' is not '/'"))
        }
        guard system_access("/run/udev/control", F_OK) == 0 else {
            return .failure(UdevUnavailable(reason: "udev is not running ('/run/udev/control' does not exist)"))
        }
        return openMonitor(subsystems: subsystems)
    }

    /// Opens a monitor without checking that udev runs (tests; a monitor without udev receives nothing).
    static func openMonitor(subsystems: [String]) -> Result<UdevMonitor, UdevUnavailable> {
        guard let udev = udev_new() else {
            return .failure(UdevUnavailable(reason: "udev_new() failed: \(Errno(rawValue: system_errno()))"))
        }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            let code = Errno(rawValue: system_errno())
            udev_unref(udev)
            return .failure(UdevUnavailable(reason: "cannot open the udev netlink socket: \(code)"))
        }
        for subsystem in subsystems {
            let result = udev_monitor_filter_add_match_subsystem_devtype(monitor, subsystem, nil)
            if result < 0 {
                udev_monitor_unref(monitor)
                udev_unref(udev)
                return .failure(UdevUnavailable(
                    reason: "cannot filter for subsystem '\(subsystem)': \(Errno(rawValue: -result))"))
            }
        }
        let result = udev_monitor_enable_receiving(monitor)
        if result < 0 {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            return .failure(UdevUnavailable(reason: "cannot start receiving: \(Errno(rawValue: -result))"))
        }
        return .success(UdevMonitor(udev: udev, monitor: monitor))
    }

    /// The monitor's socket (non-blocking, close-on-exec) for the event loop to poll for input.
    public var fileDescriptor: FileDescriptor { FileDescriptor(rawValue: udev_monitor_get_fd(monitor)) }

    /// The next event, or nil when none is queued.
    public func receive() -> UdevEvent? {
        guard let device = udev_monitor_receive_device(monitor) else { return nil }
        defer { udev_device_unref(device) }
        func string(_ pointer: UnsafePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }
        var properties: [String: String] = [:]
        var entry = udev_device_get_properties_list_entry(device)
        while let current = entry {
            if let name = string(udev_list_entry_get_name(current)) {
                properties[name] = string(udev_list_entry_get_value(current)) ?? ""
            }
            entry = udev_list_entry_get_next(current)
        }
        return UdevEvent(
            action: UdevAction(kernelString: string(udev_device_get_action(device)) ?? ""),
            subsystem: string(udev_device_get_subsystem(device)) ?? "",
            devicePath: string(udev_device_get_devpath(device)) ?? "",
            systemName: string(udev_device_get_sysname(device)) ?? "",
            deviceType: string(udev_device_get_devtype(device)),
            properties: properties)
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }
}
