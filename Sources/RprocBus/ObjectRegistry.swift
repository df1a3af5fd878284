import CSystemd
import Glibc
import RprocEventLoop

/// The objects served on every attached connection, and the dispatcher that answers for them.
///
/// Interfaces are declared once (`BusInterface`); from them the registry checks argument signatures,
/// runs the `authorize` hook for mutating methods, answers `Introspect` (with child nodes),
/// `org.freedesktop.DBus.Properties` and `org.freedesktop.DBus.Peer`, and validates emitted signals.
/// One sd-bus fallback on `/` per connection routes every call here; sd-bus vtables are not used.
/// Loop-thread only.
public final class ObjectRegistry {
    /// Which connections see an object.
    public enum Scope: Sendable {
        case everywhere
        /// Only peers of the private socket (the stand-in `org.freedesktop.DBus` object).
        case peersOnly
    }

    private struct FixedObject {
        var interfaces: [BusInterface]
        var scope: Scope
    }

    private struct Subtree {
        var prefix: String
        var interfaces: [BusInterface]
        var enumerate: () -> [String]
        var exists: (String) -> Bool
    }

    /// A resolved path: an object with interfaces, or a node that only has children.
    package enum Node {
        case object(BusObjectRef, [BusInterface])
        case intermediate
    }

    public let loop: EventLoop
    private var fixed: [String: FixedObject] = [:]
    private var subtrees: [Subtree] = []
    private var interfacesByName: [String: BusInterface] = [:]
    /// Every attached connection (peers of the private socket, the system bus).
    public private(set) var connections: [BusConnection] = []

    /// Runs before every `.mutating` method and every property `Set`; throw (normally `AccessDenied`)
    /// to refuse. The default allows uid 0 only; the daemon sets
    /// `Authorization.rootOrGroup(gid, groupName: "rproc")`.
    public var authorize: (MethodCall) throws(BusError) -> Void = Authorization.rootOrGroup(nil, groupName: nil)

    /// A peer with more messages than this waiting to be written is not reading: it is closed when the
    /// next signal is emitted, so that it cannot make the server's memory grow without bound.
    public var maxQueuedMessagesPerPeer: UInt64 = 4096

    public init(loop: EventLoop) {
        loop.assertOnLoop()
        self.loop = loop
    }

    // MARK: Objects

    /// Serves `interfaces` at the fixed `path`. Replaces an object registered at the same path.
    public func addObject(_ path: String, interfaces: [BusInterface], scope: Scope = .everywhere) {
        loop.assertOnLoop()
        precondition(ObjectPath.isValid(path), "invalid object path '\(path)'")
        fixed[path] = FixedObject(interfaces: interfaces, scope: scope)
        index(interfaces)
    }

    /// Stops serving the fixed object at `path`.
    public func removeObject(_ path: String) {
        loop.assertOnLoop()
        fixed[path] = nil
    }

    /// Serves `interfaces` for every object `prefix/<escaped id>` (escaped with `sd_bus_path_encode`).
    ///
    /// - Parameters:
    ///   - enumerate: the ids that exist now (child nodes in introspection, in this order).
    ///   - exists: whether one id exists; default: `enumerate().contains(id)`.
    public func addSubtree(_ prefix: String, interfaces: [BusInterface], enumerate: @escaping () -> [String],
                           exists: ((String) -> Bool)? = nil) {
        loop.assertOnLoop()
        precondition(ObjectPath.isValid(prefix) && prefix != "/", "invalid subtree prefix '\(prefix)'")
        subtrees.removeAll { $0.prefix == prefix }
        subtrees.append(Subtree(prefix: prefix, interfaces: interfaces, enumerate: enumerate,
                                exists: exists ?? { id in enumerate().contains(id) }))
        index(interfaces)
    }

    private func index(_ interfaces: [BusInterface]) {
        for i in interfaces { interfacesByName[i.name] = i }
    }

    private func visible(_ scope: Scope, to kind: BusConnection.Kind) -> Bool {
        scope == .everywhere || kind == .peer
    }

    /// What `path` is for a connection of `kind`: nil when nothing is there.
    package func resolve(_ path: String, for kind: BusConnection.Kind) -> Node? {
        if let o = fixed[path], visible(o.scope, to: kind) {
            return .object(BusObjectRef(path: path), o.interfaces)
        }
        for s in subtrees {
            if let id = ObjectPath.decode(path, prefix: s.prefix), s.exists(id) {
                return .object(BusObjectRef(path: path, id: id), s.interfaces)
            }
        }
        return children(of: path, for: kind).isEmpty ? nil : .intermediate
    }

    /// The names of the child nodes of `path`, in order, without duplicates.
    package func children(of path: String, for kind: BusConnection.Kind) -> [String] {
        var seen = Set<Substring>()
        var result: [String] = []
        func add(_ below: String) {
            guard let c = ObjectPath.components(of: below, below: path)?.first, seen.insert(c).inserted else { return }
            result.append(String(c))
        }
        for (p, o) in fixed.sorted(by: { $0.key < $1.key }) where visible(o.scope, to: kind) { add(p) }
        for s in subtrees {
            if s.prefix == path {
                for id in s.enumerate() { add(ObjectPath.encode(prefix: s.prefix, id: id)) }
            } else {
                add(s.prefix)
            }
        }
        return result
    }

    // MARK: Signals

    /// Emits a signal from `path` on every attached connection.
    ///
    /// - Returns: how many connections it was queued on.
    /// - Throws: `BusError` when `interface` is registered and has no such signal, when the arguments do not
    ///   match its declaration, or when the message cannot be built.
    @discardableResult
    public func emitSignal(path: String, interface: String, member: String, arguments: [BusValue]) throws(BusError) -> Int {
        loop.assertOnLoop()
        if let i = interfacesByName[interface] {
            guard let s = i.signal(member) else { throw .failed("Interface '\(interface)' has no signal '\(member)'.") }
            guard s.args.map(\.type) == arguments.map(\.type) else {
                throw .failed("Signal '\(member)' takes '\(s.args.map(\.type).signature)', got '\(arguments.signature)'.")
            }
        }
        var sent = 0
        for c in connections where c.isOpen {
            if c.kind == .peer && c.outgoingQueueSize > maxQueuedMessagesPerPeer {
                c.close()
                continue
            }
            try c.sendSignal(path: path, interface: interface, member: member, arguments: arguments)
            sent += 1
        }
        return sent
    }

    /// Emits `org.freedesktop.DBus.Properties.PropertiesChanged` for `properties` of `interface` at `path`:
    /// the current values of the `.emitsChange` ones, the names of the `.invalidates` ones; `.constant`
    /// and `.none` properties are left out.
    ///
    /// - Throws: `BusError` when the object, interface or a property is unknown.
    @discardableResult
    public func emitPropertiesChanged(path: String, interface: String, properties: [String]) throws(BusError) -> Int {
        loop.assertOnLoop()
        guard case .object(let ref, let interfaces)? = resolve(path, for: .bus) else {
            throw .failed("No object at '\(path)'.")
        }
        guard let i = interfaces.first(where: { $0.name == interface }) else {
            throw .failed("Object '\(path)' has no interface '\(interface)'.")
        }
        var changed: [(String, BusValue)] = []
        var invalidated: [String] = []
        for name in properties {
            guard let p = i.property(name) else { throw .failed("Interface '\(interface)' has no property '\(name)'.") }
            switch p.change {
            case .emitsChange: changed.append((name, p.getter(ref)))
            case .invalidates: invalidated.append(name)
            case .constant, .none: break
            }
        }
        guard !changed.isEmpty || !invalidated.isEmpty else { return 0 }
        return try emitSignal(path: path, interface: StandardInterface.properties, member: "PropertiesChanged",
                              arguments: [.string(interface), .properties(changed), .strings(invalidated)])
    }

    // MARK: Connections

    /// Serves this registry on `connection`.
    package func attach(_ connection: BusConnection) throws(SyscallError) {
        loop.assertOnLoop()
        try connection.attach(to: self)
        connections.append(connection)
    }

    package func detach(_ connection: BusConnection) {
        connections.removeAll { $0 === connection }
    }

    // MARK: Dispatch

    package func dispatch(_ m: OpaquePointer, on connection: BusConnection) {
        let path = sd_bus_message_get_path(m).map { String(cString: $0) } ?? "/"
        let interface = sd_bus_message_get_interface(m).map { String(cString: $0) }
        let member = sd_bus_message_get_member(m).map { String(cString: $0) } ?? ""
        do throws(BusError) {
            guard let node = resolve(path, for: connection.kind) else {
                throw BusError(name: BusError.Name.unknownObject, message: "Unknown object '\(path)'.")
            }
            try route(m, node: node, path: path, interface: interface, member: member, connection: connection)
        } catch {
            Reply.send(error, to: m)
        }
    }

    private func route(_ m: OpaquePointer, node: Node, path: String, interface: String?, member: String,
                       connection: BusConnection) throws(BusError) {
        let ref: BusObjectRef
        let interfaces: [BusInterface]
        switch node {
        case .object(let r, let i): (ref, interfaces) = (r, i)
        case .intermediate: (ref, interfaces) = (BusObjectRef(path: path), [])
        }
        if let standard = StandardInterface(name: interface, member: member) {
            try answerStandard(standard, m, ref: ref, interfaces: interfaces, connection: connection)
            return
        }
        let method: BusMethod
        let interfaceName: String
        if let interface {
            guard let i = interfaces.first(where: { $0.name == interface }) else {
                throw BusError(name: BusError.Name.unknownInterface, message: "Unknown interface '\(interface)' on object '\(path)'.")
            }
            guard let found = i.method(member) else {
                throw BusError(name: BusError.Name.unknownMethod, message: "Unknown method '\(member)' of interface '\(interface)'.")
            }
            (method, interfaceName) = (found, interface)
        } else {
            guard let i = interfaces.first(where: { $0.method(member) != nil }) else {
                throw BusError(name: BusError.Name.unknownMethod, message: "Unknown method '\(member)' on object '\(path)'.")
            }
            (method, interfaceName) = (i.method(member)!, i.name)
        }
        let args = try Message.read(m, expecting: method.inArgs.map(\.type))
        let call = MethodCall(message: m, object: ref, interface: interfaceName, member: member,
                              arguments: args, connection: connection)
        if method.flags.contains(.mutating) { try authorize(call) }
        switch method.kind {
        case .immediate(let handler):
            let out = try handler(call)
            Reply.send(out, to: call, declared: method.outArgs)
        case .deferred(let handler):
            let token = ReplyToken(call: call, outArgs: method.outArgs)
            do throws(BusError) {
                try handler(call, token)
            } catch {
                token.fail(error)
            }
        }
    }

    private func answerStandard(_ standard: StandardInterface, _ m: OpaquePointer, ref: BusObjectRef,
                                interfaces: [BusInterface], connection: BusConnection) throws(BusError) {
        let args = try Message.read(m, expecting: standard.inTypes)
        func find(_ name: String) throws(BusError) -> BusInterface {
            guard let i = interfaces.first(where: { $0.name == name }) else {
                throw BusError(name: BusError.Name.unknownInterface, message: "Unknown interface '\(name)' on object '\(ref.path)'.")
            }
            return i
        }
        func findProperty(_ i: BusInterface, _ name: String) throws(BusError) -> BusProperty {
            guard let p = i.property(name) else {
                throw BusError(name: BusError.Name.unknownProperty, message: "Unknown property '\(name)' of interface '\(i.name)'.")
            }
            return p
        }
        func value(_ p: BusProperty) throws(BusError) -> BusValue {
            let v = p.getter(ref)
            guard v.type == p.type, v.isWellTyped else {
                throw .failed("Internal error: property '\(p.name)' has type '\(v.signature)' instead of '\(p.type.signature)'.")
            }
            return v
        }
        switch standard {
        case .introspect:
            Reply.send([.string(introspectionXML(ref: ref, interfaces: interfaces, kind: connection.kind))], to: m)
        case .ping:
            Reply.send([], to: m)
        case .getMachineID:
            var id = sd_id128_t()
            guard sd_id128_get_machine(&id) >= 0 else { throw .failed("The machine id is not available.") }
            Reply.send([.string(hexID(id))], to: m)
        case .get:
            let p = try findProperty(try find(args[0].string!), args[1].string!)
            Reply.send([.variant(try value(p))], to: m)
        case .getAll:
            let name = args[0].string!
            let selected = name.isEmpty ? interfaces : [try find(name)]
            var all: [(String, BusValue)] = []
            for i in selected { for p in i.properties { all.append((p.name, try value(p))) } }
            Reply.send([.properties(all)], to: m)
        case .set:
            let i = try find(args[0].string!)
            let p = try findProperty(i, args[1].string!)
            guard let setter = p.setter else {
                throw BusError(name: BusError.Name.propertyReadOnly, message: "Property '\(p.name)' is read-only.")
            }
            let newValue = args[2].variant!
            guard newValue.type == p.type else {
                throw .invalidArgs("Property '\(p.name)' has type '\(p.type.signature)', got '\(newValue.signature)'.")
            }
            let call = MethodCall(message: m, object: ref, interface: StandardInterface.properties, member: "Set",
                                  arguments: args, connection: connection)
            try authorize(call)
            try setter(ref, newValue, call)
            Reply.send([], to: call, declared: [])
            if p.change == .emitsChange || p.change == .invalidates {
                _ = try? emitPropertiesChanged(path: ref.path, interface: i.name, properties: [p.name])
            }
        }
    }

    /// The introspection XML of `path` as a connection of `kind` sees it (nil: no such object).
    public func introspect(_ path: String, for kind: BusConnection.Kind = .peer) -> String? {
        guard let node = resolve(path, for: kind) else { return nil }
        switch node {
        case .object(let ref, let interfaces): return introspectionXML(ref: ref, interfaces: interfaces, kind: kind)
        case .intermediate: return introspectionXML(ref: BusObjectRef(path: path), interfaces: [], kind: kind)
        }
    }

    private func introspectionXML(ref: BusObjectRef, interfaces: [BusInterface], kind: BusConnection.Kind) -> String {
        Introspection.xml(interfaces: interfaces, children: children(of: ref.path, for: kind))
    }
}
