import CRprocShims
import CSystemd
import Glibc
import RprocEventLoop

/// The private control socket: peer-to-peer D-Bus in sd-bus server mode, like systemd's private socket.
///
/// Each accepted connection is an sd-bus server connection attached to the loop and served by the
/// registry. Clients that believe they talk to a bus (`busctl`, `gdbus`) call `org.freedesktop.DBus.Hello`
/// first; a stand-in `org.freedesktop.DBus` object, visible to peers only, answers it with a unique name
/// `:1.N`, and answers `AddMatch`, `RemoveMatch`, `GetNameOwner`, `NameHasOwner`, `ListNames`,
/// `ListActivatableNames`, `GetId`, `GetConnectionUnixUser` and `GetConnectionUnixProcessID` minimally.
/// Peers get every signal (there is no bus to filter them; sd-bus clients match locally).
///
/// Limits: at most `maxConnections` peers (more are accepted and closed at once); fd exhaustion pauses
/// accepting for 100 ms instead of spinning; a peer that never authenticates is dropped by sd-bus after
/// its auth timeout; a protocol error closes only that peer. Loop-thread only.
public final class PrivateBusServer {
    /// Where to listen.
    public enum Listener {
        /// Bind a socket at this path: the directory is created (0755), a stale socket removed.
        case path(String)
        /// A listening socket passed by socket activation (`Systemd.listenFDs()`).
        case activated(fd: Int32)
    }

    public struct Options {
        /// The socket file's mode (set after bind, before listen).
        public var mode: UInt32 = 0o666
        /// The socket file's group, when set.
        public var group: UInt32?
        /// Peers served at once.
        public var maxConnections = 256
        /// The well-known name of the service: the sender of every message to peers, and a name
        /// `GetNameOwner`/`ListNames` report.
        public var busName: String?
        public init(mode: UInt32 = 0o666, group: UInt32? = nil, maxConnections: Int = 256, busName: String? = nil) {
            self.mode = mode
            self.group = group
            self.maxConnections = maxConnections
            self.busName = busName
        }
    }

    package static let daemonPath = "/org/freedesktop/DBus"
    package static let daemonInterface = "org.freedesktop.DBus"

    public let loop: EventLoop
    public let registry: ObjectRegistry
    public let options: Options
    /// The path bound by this server (nil for an activated socket); removed by `close()`.
    public let boundPath: String?
    private var listenFD: Int32
    private var listenSource: IOSource?
    private var retryTimer: TimerSource?
    private var serverID = sd_id128_t()
    private var nextPeer: UInt64 = 1
    private var peers: [ObjectIdentifier: BusConnection] = [:]
    /// Connections refused because `maxConnections` were open.
    public private(set) var refusedConnections = 0

    /// Starts listening.
    ///
    /// - Throws: `SyscallError` (`bind` EADDRINUSE when another server answers on the path; EEXIST when the
    ///   path is not a socket; ENAMETOOLONG for a path longer than 107 bytes).
    public init(loop: EventLoop, registry: ObjectRegistry, listen listener: Listener, options: Options = Options()) throws(SyscallError) {
        loop.assertOnLoop()
        self.loop = loop
        self.registry = registry
        self.options = options
        _ = try check(sd_id128_randomize(&serverID), "sd_id128_randomize")
        switch listener {
        case .path(let path):
            listenFD = try Socket.listen(path: path, mode: options.mode, group: options.group)
            boundPath = path
        case .activated(let fd):
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) >= 0 else {
                throw SyscallError(operation: "fcntl(O_NONBLOCK)", errno: Glibc.errno)
            }
            listenFD = fd
            boundPath = nil
        }
        do throws(SyscallError) {
            listenSource = try loop.addIO(fd: listenFD, events: .readable) { [unowned self] _ in self.acceptPending() }
            retryTimer = try loop.addTimer(afterMicroseconds: nil) { [unowned self] in self.listenSource?.setEnabled(true) }
        } catch {
            Glibc.close(listenFD)
            throw error
        }
        registry.addObject(Self.daemonPath, interfaces: [daemonInterface()], scope: .peersOnly)
    }

    deinit {
        if loop.isOnLoop { close() } else if listenFD >= 0 { Glibc.close(listenFD) }
    }

    /// Peers connected now.
    public var connectionCount: Int { peers.count }

    /// Stops listening, closes every peer and removes the socket file it bound. Idempotent. The stand-in
    /// `org.freedesktop.DBus` object stays in the registry (it is seen by peers only, and another server
    /// on the same registry may still use it; the last server created sets its bus name).
    public func close() {
        loop.assertOnLoop()
        listenSource?.cancel()
        retryTimer?.cancel()
        listenSource = nil
        retryTimer = nil
        if listenFD >= 0 {
            Glibc.close(listenFD)
            listenFD = -1
            if let boundPath { unlink(boundPath) }
        }
        for p in Array(peers.values) { p.close() }
    }

    private func acceptPending() {
        for _ in 0..<64 {
            let fd = rproc_shim_accept(listenFD)
            if fd == -EAGAIN || fd == -EWOULDBLOCK { return }
            if fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM {
                listenSource?.setEnabled(false)
                retryTimer?.arm(afterMicroseconds: 100_000)
                return
            }
            if fd < 0 { continue }
            guard peers.count < options.maxConnections else {
                Glibc.close(fd)
                refusedConnections += 1
                continue
            }
            try? serve(fd)
        }
    }

    /// Wraps an accepted socket in an sd-bus server connection. Takes ownership of `fd`.
    private func serve(_ fd: Int32) throws(SyscallError) {
        var b: OpaquePointer?
        guard sd_bus_new(&b) >= 0, let bus = b else {
            Glibc.close(fd)
            throw SyscallError(operation: "sd_bus_new", errno: ENOMEM)
        }
        let name = ":1.\(nextPeer)"
        nextPeer += 1
        do throws(SyscallError) {
            _ = try check(sd_bus_set_fd(bus, fd, fd), "sd_bus_set_fd")
        } catch {
            Glibc.close(fd)
            sd_bus_unref(bus)
            throw error
        }
        let conn = BusConnection(bus: bus, kind: .peer, loop: loop, uniqueName: name)
        _ = try check(sd_bus_set_server(bus, 1, serverID), "sd_bus_set_server")
        _ = try check(sd_bus_negotiate_fds(bus, 1), "sd_bus_negotiate_fds")
        if let busName = options.busName { _ = try check(sd_bus_set_sender(bus, busName), "sd_bus_set_sender") }
        _ = try check(sd_bus_set_description(bus, name), "sd_bus_set_description")
        _ = try check(sd_bus_start(bus), "sd_bus_start")
        _ = try check(sd_bus_attach_event(bus, loop.event, 0), "sd_bus_attach_event")
        try registry.attach(conn)
        try conn.watchAuthentication()
        let key = ObjectIdentifier(conn)
        conn.onClose = { [weak self] in self?.peers[key] = nil }
        peers[key] = conn
    }

    private func daemonInterface() -> BusInterface {
        let names: () -> [String] = { [options] in ["org.freedesktop.DBus"] + (options.busName.map { [$0] } ?? []) }
        let owner: (MethodCall, String) throws(BusError) -> String = { call, name throws(BusError) in
            if names().contains(name) || name == call.connection.uniqueName { return name }
            throw BusError(name: BusError.Name.nameHasNoOwner, message: "Could not get owner of name '\(name)': no such name.")
        }
        let id = hexID(serverID)
        return BusInterface(Self.daemonInterface, methods: [
            BusMethod("Hello", out: [BusArgument("unique_name", .string)]) { call throws(BusError) in
                guard !call.connection.helloReceived else { throw .failed("Already handled an Hello message.") }
                call.connection.helloReceived = true
                return [.string(call.connection.uniqueName ?? ":1.0")]
            },
            BusMethod("AddMatch", in: [BusArgument("rule", .string)]) { _ throws(BusError) in [] },
            BusMethod("RemoveMatch", in: [BusArgument("rule", .string)]) { _ throws(BusError) in [] },
            BusMethod("GetNameOwner", in: [BusArgument("name", .string)], out: [BusArgument("unique_name", .string)]) { call throws(BusError) in
                [.string(try owner(call, call.string(0)))]
            },
            BusMethod("NameHasOwner", in: [BusArgument("name", .string)], out: [BusArgument("has_owner", .bool)]) { call throws(BusError) in
                [.bool((try? owner(call, call.string(0))) != nil)]
            },
            BusMethod("ListNames", out: [BusArgument("names", "as")]) { call throws(BusError) in
                [.strings(names() + (call.connection.uniqueName.map { [$0] } ?? []))]
            },
            BusMethod("ListActivatableNames", out: [BusArgument("activatable_names", "as")]) { _ throws(BusError) in
                [.strings(["org.freedesktop.DBus"])]
            },
            BusMethod("GetId", out: [BusArgument("id", .string)]) { _ throws(BusError) in [.string(id)] },
            BusMethod("GetConnectionUnixUser", in: [BusArgument("name", .string)], out: [BusArgument("uid", .uint32)]) { call throws(BusError) in
                let name = try owner(call, call.string(0))
                return [.uint32(name == call.connection.uniqueName ? try call.credentials().uid : getuid())]
            },
            BusMethod("GetConnectionUnixProcessID", in: [BusArgument("name", .string)], out: [BusArgument("pid", .uint32)]) { call throws(BusError) in
                let name = try owner(call, call.string(0))
                let pid = name == call.connection.uniqueName ? try call.credentials().pid ?? 0 : getpid()
                return [.uint32(UInt32(bitPattern: pid))]
            },
        ], signals: [
            BusSignal("NameOwnerChanged", [BusArgument("name", .string), BusArgument("old_owner", .string), BusArgument("new_owner", .string)]),
            BusSignal("NameAcquired", [BusArgument("name", .string)]),
            BusSignal("NameLost", [BusArgument("name", .string)]),
        ])
    }
}

package func hexID(_ id: sd_id128_t) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    withUnsafeBytes(of: id.bytes) { raw in
        for b in raw {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// AF_UNIX socket helpers for the server and the client.
package enum Socket {
    /// Fills a `sockaddr_un` for `path`.
    package static func address(_ path: String) throws(SyscallError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw SyscallError(operation: "sockaddr_un", path: path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    private static func call(_ fd: Int32, _ addr: inout sockaddr_un, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Whether something accepts connections at `path` (a blocking connect attempt).
    package static func isAnswering(_ path: String) -> Bool {
        guard var addr = try? address(path) else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        return call(fd, &addr, connect) == 0
    }

    /// Creates the directory, removes a stale socket, binds, sets mode and group, listens.
    package static func listen(path: String, mode: UInt32, group: UInt32?) throws(SyscallError) -> Int32 {
        var addr = try address(path)
        try makeDirectories(parentOf: path)
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw SyscallError(operation: "bind", path: path, errno: EEXIST) }
            if isAnswering(path) { throw SyscallError(operation: "bind", path: path, errno: EADDRINUSE) }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SyscallError(operation: "socket", path: path, errno: Glibc.errno) }
        func fail(_ op: String) -> SyscallError {
            let e = SyscallError(operation: op, path: path, errno: Glibc.errno)
            Glibc.close(fd)
            return e
        }
        guard call(fd, &addr, bind) == 0 else { throw fail("bind") }
        guard chmod(path, mode_t(mode)) == 0 else { throw fail("chmod") }
        if let group, chown(path, uid_t.max, group) != 0 { throw fail("chown") }
        guard Glibc.listen(fd, SOMAXCONN) == 0 else { throw fail("listen") }
        return fd
    }

    /// `mkdir -p` of the directory holding `path`, mode 0755.
    private static func makeDirectories(parentOf path: String) throws(SyscallError) {
        var prefix = ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (i, part) in parts.enumerated() {
            prefix += (i == 0 ? "" : "/") + part
            guard !part.isEmpty else { continue }
            if mkdir(prefix, 0o755) != 0 && Glibc.errno != EEXIST {
                throw SyscallError(operation: "mkdir", path: prefix, errno: Glibc.errno)
            }
        }
    }
}
