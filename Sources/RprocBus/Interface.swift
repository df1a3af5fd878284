/// A named argument of a method or signal.
public struct BusArgument: Sendable, Hashable {
    public var name: String
    public var type: BusType

    public init(_ name: String, _ type: BusType) {
        self.name = name
        self.type = type
    }

    /// `BusArgument("processors", "a(ssso)")`; the signature must be one complete type.
    public init(_ name: String, _ signature: String) {
        guard let t = BusType(signature) else { preconditionFailure("invalid D-Bus signature '\(signature)' for '\(name)'") }
        self.init(name, t)
    }
}

/// An object a method, property getter or setter acts on: its path and, for objects of a subtree
/// (`…/processor/<id>`), the decoded id.
public struct BusObjectRef: Sendable, Hashable {
    public var path: String
    /// The subtree id (`remoteproc0`), decoded with `sd_bus_path_decode`; nil for a fixed object.
    public var id: String?

    public init(path: String, id: String? = nil) {
        self.path = path
        self.id = id
    }
}

/// A method of an interface: named in and out arguments, flags, and a handler that runs on the loop.
public struct BusMethod {
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Changes state: the registry's `authorize` check runs before the handler.
        public static let mutating = Flags(rawValue: 1 << 0)
        /// Annotated `org.freedesktop.DBus.Method.NoReply`.
        public static let noReply = Flags(rawValue: 1 << 1)
        /// Annotated `org.freedesktop.DBus.Deprecated`.
        public static let deprecated = Flags(rawValue: 1 << 2)
    }

    /// Replies at once with the returned values (which must match `outArgs`), or with the thrown error.
    public typealias Handler = (MethodCall) throws(BusError) -> [BusValue]
    /// Replies later, through the token, on the loop thread. A thrown error is the reply.
    public typealias DeferredHandler = (MethodCall, ReplyToken) throws(BusError) -> Void

    package enum Kind {
        case immediate(Handler)
        case deferred(DeferredHandler)
    }

    public let name: String
    public let inArgs: [BusArgument]
    public let outArgs: [BusArgument]
    public let flags: Flags
    package let kind: Kind

    /// A method that replies when its handler returns.
    public init(_ name: String, in inArgs: [BusArgument] = [], out outArgs: [BusArgument] = [],
                flags: Flags = [], _ handler: @escaping Handler) {
        self.name = name
        self.inArgs = inArgs
        self.outArgs = outArgs
        self.flags = flags
        self.kind = .immediate(handler)
    }

    /// A method that replies later (for example when a kernel write finishes on a worker thread):
    /// the handler gets a `ReplyToken` to complete on the loop thread.
    public static func deferred(_ name: String, in inArgs: [BusArgument] = [], out outArgs: [BusArgument] = [],
                                flags: Flags = [], _ handler: @escaping DeferredHandler) -> BusMethod {
        BusMethod(name: name, inArgs: inArgs, outArgs: outArgs, flags: flags, kind: .deferred(handler))
    }

    private init(name: String, inArgs: [BusArgument], outArgs: [BusArgument], flags: Flags, kind: Kind) {
        self.name = name
        self.inArgs = inArgs
        self.outArgs = outArgs
        self.flags = flags
        self.kind = kind
    }
}

/// A property: name, type, how changes are announced, a getter and an optional setter.
public struct BusProperty {
    /// How clients learn of a change (`org.freedesktop.DBus.Property.EmitsChangedSignal`).
    public enum Change: String, Sendable {
        /// `PropertiesChanged` carries the new value.
        case emitsChange = "true"
        /// `PropertiesChanged` names the property as invalidated, without the value.
        case invalidates = "invalidates"
        /// Never changes.
        case constant = "const"
        /// Changes are not announced.
        case none = "false"
    }

    public typealias Getter = (BusObjectRef) -> BusValue
    public typealias Setter = (BusObjectRef, BusValue, MethodCall) throws(BusError) -> Void

    public let name: String
    public let type: BusType
    public let change: Change
    public let getter: Getter
    /// Nil: read-only (`Set` fails with `PropertyReadOnly`). A setter runs after the `authorize` check.
    public let setter: Setter?

    public init(_ name: String, _ signature: String, change: Change = .emitsChange,
                get getter: @escaping Getter, set setter: Setter? = nil) {
        guard let t = BusType(signature) else { preconditionFailure("invalid D-Bus signature '\(signature)' for '\(name)'") }
        self.name = name
        self.type = t
        self.change = change
        self.getter = getter
        self.setter = setter
    }
}

/// A signal: name and named arguments.
public struct BusSignal: Sendable {
    public let name: String
    public let args: [BusArgument]
    public init(_ name: String, _ args: [BusArgument] = []) {
        self.name = name
        self.args = args
    }
}

/// An interface described once: the registry derives dispatch, argument checks, introspection XML and
/// `org.freedesktop.DBus.Properties` from it.
public struct BusInterface {
    public let name: String
    public let methods: [BusMethod]
    public let properties: [BusProperty]
    public let signals: [BusSignal]
    private let methodIndex: [String: Int]
    private let propertyIndex: [String: Int]
    private let signalIndex: [String: Int]

    public init(_ name: String, methods: [BusMethod] = [], properties: [BusProperty] = [], signals: [BusSignal] = []) {
        self.name = name
        self.methods = methods
        self.properties = properties
        self.signals = signals
        methodIndex = Dictionary(methods.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        propertyIndex = Dictionary(properties.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        signalIndex = Dictionary(signals.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        precondition(methodIndex.count == methods.count && propertyIndex.count == properties.count
                     && signalIndex.count == signals.count, "duplicate member name in interface '\(name)'")
    }

    public func method(_ name: String) -> BusMethod? { methodIndex[name].map { methods[$0] } }
    public func property(_ name: String) -> BusProperty? { propertyIndex[name].map { properties[$0] } }
    public func signal(_ name: String) -> BusSignal? { signalIndex[name].map { signals[$0] } }
}
