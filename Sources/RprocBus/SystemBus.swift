import CSystemd
import Glibc
import RprocEventLoop

/// The outcome of joining a message bus: a value, since "no system bus here" is normal (containers,
/// early boot) and the private socket serves regardless.
public enum BusAttachment {
    /// Connected, name owned, registry served.
    case connected(BusConnection)
    /// No bus could be reached (the reason says why, e.g. "No such file or directory").
    case notReachable(String)
    /// Connected, but the name was refused (owned by someone else, or denied by the bus policy).
    case nameNotAcquired(String)

    /// The connection, when connected.
    public var connection: BusConnection? {
        if case .connected(let c) = self { return c }
        return nil
    }
}

extension ObjectRegistry {
    /// Connects to the system bus (or to `address`, for tests with a private bus daemon), requests
    /// `name`, attaches the connection to the loop and serves this registry on it.
    ///
    /// Blocking: the connect, `Hello` and `RequestName` are synchronous round trips to the bus daemon.
    /// The corresponding C functions are `sd_bus_open_system` and `sd_bus_request_name`.
    public func joinBus(name: String, address: String? = nil) -> BusAttachment {
        loop.assertOnLoop()
        var b: OpaquePointer?
        var r: Int32
        if let address {
            r = sd_bus_new(&b)
            if r >= 0 { r = sd_bus_set_address(b, address) }
            if r >= 0 { r = sd_bus_set_bus_client(b, 1) }
            if r >= 0 { r = sd_bus_start(b) }
        } else {
            r = sd_bus_open_system(&b)
        }
        guard r >= 0, let bus = b else {
            sd_bus_unref(b)
            return .notReachable(String(cString: strerror(-r)))
        }
        var unique: UnsafePointer<CChar>?
        _ = sd_bus_get_unique_name(bus, &unique)
        let conn = BusConnection(bus: bus, kind: .bus, loop: loop, uniqueName: unique.map { String(cString: $0) })
        r = sd_bus_request_name(bus, name, 0)
        if r < 0 {
            let reason = r == -EEXIST ? "'\(name)' is owned by another connection" : "requesting '\(name)': \(String(cString: strerror(-r)))"
            return .nameNotAcquired(reason)
        }
        r = sd_bus_attach_event(bus, loop.event, 0)
        guard r >= 0 else { return .notReachable("sd_bus_attach_event: \(String(cString: strerror(-r)))") }
        do throws(SyscallError) {
            try attach(conn)
        } catch {
            return .notReachable(error.description)
        }
        return .connected(conn)
    }
}
