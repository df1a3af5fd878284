import CSystemd
import Glibc

/// A received signal.
public struct ReceivedSignal: Sendable {
    public var path: String
    public var interface: String
    public var member: String
    /// The sender (a unique or well-known name), when the message carries one.
    public var sender: String?
    public var arguments: [BusValue]
}

/// A blocking D-Bus client for command-line tools (`rprocctl`): synchronous calls, property reads, and
/// signal subscriptions processed by a wait loop. Single-threaded: use it on the thread that made it.
public final class BusClient {
    /// Where to connect.
    public enum Address: Sendable {
        /// rprocd's private socket (peer-to-peer; no `Hello`).
        case socket(String)
        /// The system bus.
        case systemBus
        /// Any D-Bus address of a message bus (`unix:path=…`).
        case bus(String)
    }

    private let bus: OpaquePointer
    private let target: String

    /// Connects.
    ///
    /// - Throws: `BusError`: for a socket that does not exist or that nobody listens on,
    ///   `org.freedesktop.DBus.Error.NoServer` with "rprocd is not running (no socket at '…'): start it
    ///   with 'systemctl start rprocd'."; `AccessDenied` when the socket is not accessible.
    public init(_ address: Address) throws(BusError) {
        var b: OpaquePointer?
        var r: Int32
        switch address {
        case .socket(let path):
            target = path
            var st = stat()
            if stat(path, &st) != 0 { throw Self.connectError(-Glibc.errno, path: path) }
            r = sd_bus_new(&b)
            if r >= 0 { r = sd_bus_set_address(b, "unix:path=" + Self.escapeAddressValue(path)) }
            if r >= 0 { r = sd_bus_negotiate_fds(b, 1) }
            if r >= 0 { r = sd_bus_start(b) }
        case .systemBus:
            target = "the system bus"
            r = sd_bus_open_system(&b)
        case .bus(let a):
            target = a
            r = sd_bus_new(&b)
            if r >= 0 { r = sd_bus_set_address(b, a) }
            if r >= 0 { r = sd_bus_set_bus_client(b, 1) }
            if r >= 0 { r = sd_bus_start(b) }
        }
        guard r >= 0, let bus = b else {
            sd_bus_unref(b)
            throw Self.connectError(r, path: target)
        }
        self.bus = bus
    }

    deinit { sd_bus_flush_close_unref(bus) }

    private static func connectError(_ r: Int32, path: String) -> BusError {
        switch -r {
        case ENOENT:
            return BusError(name: BusError.Name.noServer,
                            message: "rprocd is not running (no socket at '\(path)'): start it with 'systemctl start rprocd'.")
        case ECONNREFUSED:
            return BusError(name: BusError.Name.noServer,
                            message: "rprocd is not running (nobody listens on '\(path)'): start it with 'systemctl start rprocd'.")
        case ECONNRESET, EPIPE:
            return BusError(name: BusError.Name.disconnected,
                            message: "'\(path)' closed the connection at once: the server may have too many clients.")
        case EACCES, EPERM:
            return .accessDenied("Permission denied connecting to '\(path)': run as root or as a member of the socket's group.")
        default:
            return BusError(name: BusError.Name.failed, message: "Cannot connect to '\(path)': \(String(cString: strerror(-r))).")
        }
    }

    /// D-Bus address escaping: bytes other than `[-0-9A-Za-z_/.\*]` become `%xx`.
    package static func escapeAddressValue(_ s: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "*"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xf)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func failure(_ r: Int32, _ error: inout sd_bus_error, _ what: String) -> BusError {
        // sd-bus reports local failures as errors named "System.Error.E…": translate those from the errno.
        if let name = error.name.map({ String(cString: $0) }), !name.hasPrefix("System.Error.") {
            return BusError(name: name, message: error.message.map { String(cString: $0) } ?? "")
        }
        switch -r {
        case ETIMEDOUT:
            return BusError(name: BusError.Name.timeout, message: "\(what): no reply from '\(target)' in time.")
        case ECONNRESET, ENOTCONN, EPIPE:
            return BusError(name: BusError.Name.disconnected, message: "\(what): the connection to '\(target)' was closed (by the server, or it has too many clients).")
        default:
            return .errno(r, what)
        }
    }

    /// Calls a method and waits for its reply.
    ///
    /// - Parameters:
    ///   - destination: the bus name; nil on the private socket.
    ///   - timeoutMicroseconds: 0 is sd-bus's default (25 s).
    /// - Returns: the reply's values.
    /// - Throws: the error the method replied with, or `Timeout`/`Disconnected`/`Failed`.
    public func call(destination: String? = nil, path: String, interface: String, member: String,
                     arguments: [BusValue] = [], timeoutMicroseconds: UInt64 = 0) throws(BusError) -> [BusValue] {
        var m: OpaquePointer?
        let r = sd_bus_message_new_method_call(bus, &m, destination, path, interface, member)
        guard r >= 0, let m else { throw .errno(r, "Calling '\(interface).\(member)' on '\(path)'") }
        defer { sd_bus_message_unref(m) }
        try Message.append(arguments, to: m)
        var error = sd_bus_error(name: nil, message: nil, _need_free: 0)
        defer { sd_bus_error_free(&error) }
        var reply: OpaquePointer?
        let rc = sd_bus_call(bus, m, timeoutMicroseconds, &error, &reply)
        guard rc >= 0, let reply else { throw failure(rc, &error, "'\(member)'") }
        defer { sd_bus_message_unref(reply) }
        return try Message.readAll(reply)
    }

    /// Reads one property (`org.freedesktop.DBus.Properties.Get`), variant unwrapped.
    public func property(destination: String? = nil, path: String, interface: String, name: String) throws(BusError) -> BusValue {
        let out = try call(destination: destination, path: path, interface: StandardInterface.properties, member: "Get",
                           arguments: [.string(interface), .string(name)])
        guard out.count == 1, let v = out[0].variant else { throw .failed("'Get' of '\(name)' returned '\(out.signature)'.") }
        return v
    }

    /// Reads every property of `interface` (`GetAll`), variants unwrapped.
    public func allProperties(destination: String? = nil, path: String, interface: String) throws(BusError) -> [String: BusValue] {
        let out = try call(destination: destination, path: path, interface: StandardInterface.properties, member: "GetAll",
                           arguments: [.string(interface)])
        guard out.count == 1, let d = out[0].propertyDictionary else { throw .failed("'GetAll' returned '\(out.signature)'.") }
        return d
    }

    /// Calls `handler` for every matching signal while `wait`/`process` run. nil matches anything.
    ///
    /// - Returns: the subscription; it ends when released or cancelled.
    /// The corresponding C function is `sd_bus_add_match` (on a bus it also sends `AddMatch`).
    public func subscribe(path: String? = nil, interface: String? = nil, member: String? = nil, sender: String? = nil,
                          _ handler: @escaping (ReceivedSignal) -> Void) throws(BusError) -> Subscription {
        var rule = "type='signal'"
        if let sender { rule += ",sender='\(sender)'" }
        if let path { rule += ",path='\(path)'" }
        if let interface { rule += ",interface='\(interface)'" }
        if let member { rule += ",member='\(member)'" }
        let sub = Subscription(handler)
        var slot: OpaquePointer?
        let r = sd_bus_add_match(bus, &slot, rule, { m, userdata, _ in
            guard let m else { return 0 }
            let sub = Unmanaged<Subscription>.fromOpaque(userdata!).takeUnretainedValue()
            func str(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
            guard let args = try? Message.readAll(m) else { return 0 }
            sub.handler?(ReceivedSignal(path: str(sd_bus_message_get_path(m)) ?? "",
                                        interface: str(sd_bus_message_get_interface(m)) ?? "",
                                        member: str(sd_bus_message_get_member(m)) ?? "",
                                        sender: str(sd_bus_message_get_sender(m)), arguments: args))
            return 0
        }, Unmanaged.passUnretained(sub).toOpaque())
        guard r >= 0 else { throw .errno(r, "Subscribing to '\(rule)'") }
        sub.slot = slot
        return sub
    }

    /// A signal subscription.
    public final class Subscription {
        fileprivate var handler: ((ReceivedSignal) -> Void)?
        fileprivate var slot: OpaquePointer?
        fileprivate init(_ handler: @escaping (ReceivedSignal) -> Void) { self.handler = handler }
        deinit { sd_bus_slot_unref(slot) }
        /// Ends the subscription.
        public func cancel() {
            slot = sd_bus_slot_unref(slot)
            handler = nil
        }
    }

    /// Dispatches everything already received (signals to their handlers), without blocking.
    ///
    /// - Throws: `Disconnected` when the connection was closed.
    public func process() throws(BusError) {
        while true {
            let r = sd_bus_process(bus, nil)
            var none = sd_bus_error(name: nil, message: nil, _need_free: 0)
            if r < 0 { throw failure(r, &none, "Processing messages") }
            if r == 0 { return }
        }
    }

    /// Blocks until a message arrives or `timeoutMicroseconds` pass, then dispatches.
    ///
    /// - Returns: whether something arrived.
    /// The corresponding C functions are `sd_bus_wait` and `sd_bus_process`.
    @discardableResult
    public func wait(timeoutMicroseconds: UInt64) throws(BusError) -> Bool {
        try process()
        let r = sd_bus_wait(bus, timeoutMicroseconds)
        var none = sd_bus_error(name: nil, message: nil, _need_free: 0)
        if r < 0 && r != -EINTR { throw failure(r, &none, "Waiting for messages") }
        try process()
        return r > 0
    }

    /// Waits and dispatches until `done()` holds or `timeoutMicroseconds` pass.
    ///
    /// - Returns: whether `done()` held.
    public func run(until done: () -> Bool, timeoutMicroseconds: UInt64) throws(BusError) -> Bool {
        let deadline = monotonicMicroseconds() + timeoutMicroseconds
        try process()
        while !done() {
            let now = monotonicMicroseconds()
            guard now < deadline else { return false }
            try wait(timeoutMicroseconds: deadline - now)
        }
        return true
    }

    private func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}
