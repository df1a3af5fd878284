import CRprocShims
import CSystemd
import Glibc

/// Who called: on the private socket the peer's credentials (SO_PEERCRED, SO_PEERGROUPS), on the system
/// bus the sender's (asked of the bus).
public struct Credentials: Sendable, Equatable {
    /// The effective uid.
    public var uid: UInt32
    /// The effective gid, when known.
    public var gid: UInt32?
    public var pid: Int32?
    /// Supplementary groups; empty when unknown or none.
    public var supplementaryGroups: [UInt32]

    public init(uid: UInt32, gid: UInt32? = nil, pid: Int32? = nil, supplementaryGroups: [UInt32] = []) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.supplementaryGroups = supplementaryGroups
    }

    /// Whether the caller has `gid` as effective or supplementary group.
    public func isMember(of gid: UInt32) -> Bool { self.gid == gid || supplementaryGroups.contains(gid) }

    /// Reads the sender's credentials of a method call.
    ///
    /// The corresponding C function is `sd_bus_query_sender_creds` (EUID, EGID, PID, supplementary gids,
    /// AUGMENT), which falls back to the peer credentials on a direct connection. Supplementary groups
    /// that sd-bus cannot give are read from `/proc/<pid>/status` (`Groups:`).
    package static func of(message m: OpaquePointer) throws(BusError) -> Credentials {
        var c: OpaquePointer?
        let mask = UInt64(SD_BUS_CREDS_EUID) | UInt64(SD_BUS_CREDS_EGID) | UInt64(SD_BUS_CREDS_PID)
            | UInt64(SD_BUS_CREDS_SUPPLEMENTARY_GIDS) | rproc_shim_sd_bus_creds_augment
        let r = sd_bus_query_sender_creds(m, mask, &c)
        guard r >= 0, let c else {
            throw .accessDenied("Cannot determine the caller's credentials: \(String(cString: strerror(-r))).")
        }
        defer { sd_bus_creds_unref(c) }
        var uid: uid_t = 0
        guard sd_bus_creds_get_euid(c, &uid) >= 0 else {
            throw .accessDenied("Cannot determine the caller's user id.")
        }
        var creds = Credentials(uid: uid)
        var gid: gid_t = 0
        if sd_bus_creds_get_egid(c, &gid) >= 0 { creds.gid = gid }
        var pid: pid_t = 0
        if sd_bus_creds_get_pid(c, &pid) >= 0 { creds.pid = pid }
        var gids: UnsafePointer<gid_t>?
        let n = sd_bus_creds_get_supplementary_gids(c, &gids)
        if n >= 0, let gids {
            creds.supplementaryGroups = Array(UnsafeBufferPointer(start: gids, count: Int(n)))
        } else if let pid = creds.pid {
            creds.supplementaryGroups = procStatusGroups(pid: pid) ?? []
        }
        return creds
    }

    /// The `Groups:` line of `/proc/<pid>/status`.
    package static func procStatusGroups(pid: Int32) -> [UInt32]? {
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && Glibc.errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return parseStatusGroups(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses the `Groups:` line of a `/proc/<pid>/status` text.
    package static func parseStatusGroups(_ status: String) -> [UInt32]? {
        for line in status.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
        }
        return nil
    }
}

/// Authorization policies for the registry's `authorize` hook, which mutating methods and property
/// setters pass before their handler runs.
public enum Authorization {
    /// Whether `credentials` belong to uid 0 or a member of `adminGroup`.
    public static func isAdmin(_ credentials: Credentials, adminGroup: UInt32?) -> Bool {
        if credentials.uid == 0 { return true }
        guard let adminGroup else { return false }
        return credentials.isMember(of: adminGroup)
    }

    /// A hook that allows uid 0 and members of `adminGroup` (named `groupName` in the refusal), and
    /// refuses everyone else with `org.freedesktop.DBus.Error.AccessDenied`.
    public static func rootOrGroup(_ adminGroup: UInt32?, groupName: String?) -> (MethodCall) throws(BusError) -> Void {
        return { (call: MethodCall) throws(BusError) in
            let creds = try call.credentials()
            guard !isAdmin(creds, adminGroup: adminGroup) else { return }
            if let groupName, adminGroup != nil {
                throw .accessDenied("Only root and members of group '\(groupName)' may call '\(call.member)'; you are uid \(creds.uid).")
            }
            throw .accessDenied("Only root may call '\(call.member)'; you are uid \(creds.uid).")
        }
    }
}
