import CSystemd
import Glibc
import RprocEventLoop

/// One sd-bus connection served by an `ObjectRegistry`: a peer on the private socket, or the system
/// bus. Attached to the loop; loop-thread only. No `sd_bus*` leaves it.
public final class BusConnection {
    public enum Kind: Sendable, Equatable {
        /// A peer-to-peer client of the private socket (sd-bus server mode).
        case peer
        /// A message bus (the system bus).
        case bus
    }

    public let kind: Kind
    public let loop: EventLoop
    package let bus: OpaquePointer
    /// On the private socket, the name `Hello` hands out (`:1.N`); on a bus, the bus-assigned name.
    public let uniqueName: String?
    /// Set when the peer called `Hello`.
    package var helloReceived = false
    /// Credentials to report instead of the real ones (tests of the authorization path).
    package var credentialsOverride: Credentials?
    package weak var registry: ObjectRegistry?
    private var slots: [OpaquePointer] = []
    /// Called once, on the loop, after the connection closed (by the peer, a protocol error, or `close()`).
    public var onClose: (() -> Void)?
    public private(set) var isOpen = true

    package init(bus: OpaquePointer, kind: Kind, loop: EventLoop, uniqueName: String?) {
        loop.assertOnLoop()
        self.bus = bus
        self.kind = kind
        self.loop = loop
        self.uniqueName = uniqueName
    }

    deinit {
        for s in slots { sd_bus_slot_unref(s) }
        sd_bus_close_unref(bus)
    }

    /// Routes every method call to `registry` (one fallback on `/`) and watches for the disconnect.
    package func attach(to registry: ObjectRegistry) throws(SyscallError) {
        self.registry = registry
        let me = Unmanaged.passUnretained(self).toOpaque()
        var slot: OpaquePointer?
        _ = try check(sd_bus_add_fallback(bus, &slot, "/", { m, userdata, _ in
            let conn = Unmanaged<BusConnection>.fromOpaque(userdata!).takeUnretainedValue()
            guard let registry = conn.registry, let m else { return 0 }
            registry.dispatch(m, on: conn)
            return 1
        }, me), "sd_bus_add_fallback")
        slots.append(slot!)
        _ = try check(sd_bus_add_filter(bus, &slot, { m, userdata, _ in
            guard let m, sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected") > 0 else { return 0 }
            let conn = Unmanaged<BusConnection>.fromOpaque(userdata!).takeUnretainedValue()
            // Not inside sd_bus_process: close on a later iteration.
            let box = UncheckedBox(conn)
            conn.loop.post { box.value.close() }
            return 0
        }, me), "sd_bus_add_filter")
        slots.append(slot!)
    }

    private var authenticationWatch: PostSource?

    /// Works around sd-bus 252 in server mode: when a client pipelines `BEGIN` and its first message
    /// (gdbus, sd-bus clients) and both arrive in one read, sd-bus leaves the message in its read buffer
    /// after authentication and waits for more input that never comes (its event-loop glue calls
    /// `sd_bus_process` once per wakeup, and `sd_bus_get_timeout` looks only at parsed messages). After
    /// each loop iteration until the connection is running, process everything once more.
    package func watchAuthentication() throws(SyscallError) {
        authenticationWatch = try loop.addPost { [unowned self] in
            guard self.isOpen else {
                self.authenticationWatch?.cancel()
                return
            }
            guard sd_bus_is_ready(self.bus) > 0 else { return }
            self.authenticationWatch?.cancel()
            self.authenticationWatch = nil
            var r: Int32
            repeat { r = sd_bus_process(self.bus, nil) } while r > 0
            if r < 0 { self.close() }
        }
    }

    /// Closes the connection without flushing (a peer that does not read cannot block the loop), detaches
    /// it from its registry and calls `onClose`. Idempotent.
    public func close() {
        loop.assertOnLoop()
        guard isOpen else { return }
        isOpen = false
        authenticationWatch?.cancel()
        authenticationWatch = nil
        for s in slots { sd_bus_slot_unref(s) }
        slots = []
        sd_bus_close(bus)
        registry?.detach(self)
        let done = onClose
        onClose = nil
        done?()
    }

    /// Sends a signal on this connection only.
    ///
    /// - Throws: `BusError` when the message cannot be built (invalid path or names, ill-typed values).
    public func sendSignal(path: String, interface: String, member: String, arguments: [BusValue]) throws(BusError) {
        loop.assertOnLoop()
        guard isOpen else { return }
        var m: OpaquePointer?
        let r = sd_bus_message_new_signal(bus, &m, path, interface, member)
        if r == -ENOTCONN { return }
        guard r >= 0, let m else { throw .errno(r, "Creating signal '\(interface).\(member)' on '\(path)'") }
        defer { sd_bus_message_unref(m) }
        try Message.append(arguments, to: m)
        _ = sd_bus_send(bus, m, nil)
    }

    /// Messages waiting to be written (a peer that does not read makes this grow).
    public var outgoingQueueSize: UInt64 {
        var n: UInt64 = 0
        _ = sd_bus_get_n_queued_write(bus, &n)
        return n
    }
}
