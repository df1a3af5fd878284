import CSystemd
import RprocEventLoop

/// An incoming method call, as a handler sees it: the object, the checked arguments, the connection and
/// the caller. Loop-thread only.
public final class MethodCall {
    public let object: BusObjectRef
    public let interface: String
    public let member: String
    /// The arguments, already checked against the method's declared in-signature.
    public let arguments: [BusValue]
    /// The connection the call came on.
    public let connection: BusConnection
    package let message: OpaquePointer
    private var cachedCredentials: Credentials?
    package var afterReplyHooks: [() -> Void] = []

    package init(message: OpaquePointer, object: BusObjectRef, interface: String, member: String,
                 arguments: [BusValue], connection: BusConnection) {
        self.message = sd_bus_message_ref(message)
        self.object = object
        self.interface = interface
        self.member = member
        self.arguments = arguments
        self.connection = connection
    }

    deinit { sd_bus_message_unref(message) }

    /// The sender's unique name on a bus (nil on a direct connection).
    public var sender: String? { sd_bus_message_get_sender(message).map { String(cString: $0) } }

    /// The caller's credentials (read once per call).
    ///
    /// - Throws: `AccessDenied` when they cannot be determined.
    public func credentials() throws(BusError) -> Credentials {
        if let cachedCredentials { return cachedCredentials }
        let c: Credentials
        if let o = connection.credentialsOverride { c = o } else { c = try Credentials.of(message: message) }
        cachedCredentials = c
        return c
    }

    /// Runs `body` once the reply has been queued (for example to close a file descriptor that the reply
    /// carries: sd-bus duplicated it).
    public func afterReply(_ body: @escaping () -> Void) { afterReplyHooks.append(body) }

    /// The string argument at `index` (the in-signature was checked, so a wrong type is a bug).
    public func string(_ index: Int) -> String { arguments[index].string! }
    public func bool(_ index: Int) -> Bool { arguments[index].bool! }
    public func uint32(_ index: Int) -> UInt32 { arguments[index].uint32! }
    public func uint64(_ index: Int) -> UInt64 { arguments[index].uint64! }
    public func int32(_ index: Int) -> Int32 { arguments[index].int32! }
}

/// The promise of a reply to a deferred method call. Complete it once, on the loop thread, with
/// `reply(_:)` or `fail(_:)`. Dropped without either, it replies `org.freedesktop.DBus.Error.Failed`, so a
/// client never waits for its timeout because of a lost token. Replying after the client disconnected is
/// harmless (nothing is sent).
public final class ReplyToken {
    private var call: MethodCall?
    private let outArgs: [BusArgument]
    private let loop: EventLoop
    private let member: String

    package init(call: MethodCall, outArgs: [BusArgument]) {
        self.call = call
        self.outArgs = outArgs
        self.loop = call.connection.loop
        self.member = call.member
    }

    /// Whether `reply` or `fail` was called.
    public var isCompleted: Bool { call == nil }

    /// The call being answered (nil once completed).
    public var methodCall: MethodCall? { call }

    /// Replies with `values`, which must match the declared out-arguments (else the client gets `Failed`).
    public func reply(_ values: [BusValue] = []) {
        loop.assertOnLoop()
        guard let call else { return }
        self.call = nil
        Reply.send(values, to: call, declared: outArgs)
    }

    /// Replies with the error.
    public func fail(_ error: BusError) {
        loop.assertOnLoop()
        guard let call else { return }
        self.call = nil
        Reply.send(error, to: call.message)
        call.afterReplyHooks.forEach { $0() }
    }

    deinit {
        guard let pending = call else { return }
        call = nil
        let error = BusError.failed("'\(member)' ended without a reply.")
        if loop.isOnLoop {
            Reply.send(error, to: pending.message)
            return
        }
        // Dropped off the loop thread: the message is released on the loop, never here.
        let raw = UncheckedBox(Unmanaged.passRetained(pending))
        loop.post {
            let call = raw.value.takeRetainedValue()
            Reply.send(error, to: call.message)
        }
    }
}

/// A box that crosses threads without checks; read it only on the loop it belongs to.
package struct UncheckedBox<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}

/// Sending replies. sd-bus drops replies to calls flagged NO_REPLY_EXPECTED itself.
package enum Reply {
    package static func send(_ values: [BusValue], to call: MethodCall, declared: [BusArgument]) {
        defer { call.afterReplyHooks.forEach { $0() } }
        guard values.map(\.type) == declared.map(\.type) else {
            send(.failed("Internal error: '\(call.member)' replied '\(values.signature)' instead of '\(declared.map(\.type).signature)'."),
                 to: call.message)
            return
        }
        send(values, to: call.message)
    }

    package static func send(_ values: [BusValue], to m: OpaquePointer) {
        var reply: OpaquePointer?
        guard sd_bus_message_new_method_return(m, &reply) >= 0, let reply else { return }
        defer { sd_bus_message_unref(reply) }
        do throws(BusError) {
            try Message.append(values, to: reply)
        } catch {
            send(error, to: m)
            return
        }
        _ = sd_bus_send(nil, reply, nil)
    }

    package static func send(_ error: BusError, to m: OpaquePointer) {
        var e = sd_bus_error(name: nil, message: nil, _need_free: 0)
        defer { sd_bus_error_free(&e) }
        _ = sd_bus_error_set(&e, error.name, error.message)
        _ = sd_bus_reply_method_error(m, &e)
    }
}
