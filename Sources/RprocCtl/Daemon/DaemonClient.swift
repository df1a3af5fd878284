// rprocd's D-Bus API (docs/dbus-api.md) as rprocctl calls it, over RprocBus's blocking client.
// Every failure leaves here as a CommandFailure: the daemon's own sentence and the exit code of
// its error name, or a sentence saying that rprocd is not there and how to start it.

import RprocBus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One row of `ListProcessors()`.
struct ProcessorEntry: Equatable {
    var device: String
    var name: String
    var state: String
    var objectPath: String
}

/// A connection to rprocd.
final class DaemonClient {
    static let busName = "org.daybreak.RemoteProc1"
    static let managerPath = "/org/daybreak/RemoteProc1"
    static let managerInterface = "org.daybreak.RemoteProc1.Manager"
    static let processorInterface = "org.daybreak.RemoteProc1.Processor"
    static let processorPrefix = "/org/daybreak/RemoteProc1/processor"

    let bus: BusClient
    let endpoint: DaemonEndpoint
    let codes: DaemonErrorCodes
    /// The bus name to call: none on the private socket.
    var destination: String? { endpoint == .systemBus ? Self.busName : nil }

    /// Connects to rprocd at `endpoint`; `codes` decides the exit codes of every failure.
    init(_ endpoint: DaemonEndpoint, codes: DaemonErrorCodes) throws(CommandFailure) {
        self.endpoint = endpoint
        self.codes = codes
        do {
            switch endpoint {
            case .socket(let path): bus = try BusClient(.socket(path))
            case .systemBus: bus = try BusClient(.systemBus)
            }
        } catch {
            throw Self.connectFailure(error, endpoint: endpoint, codes: codes)
        }
    }

    convenience init(_ options: ConnectionOptions, codes: DaemonErrorCodes = .action) throws(CommandFailure) {
        try self.init(options.endpoint, codes: codes)
    }

    private static let startHint = "Start it with 'systemctl start rprocd'."

    private static func connectFailure(_ error: BusError, endpoint: DaemonEndpoint, codes: DaemonErrorCodes) -> CommandFailure {
        switch endpoint {
        case .socket(let path):
            if error.name == BusError.Name.noServer {
                var status = stat()
                let what = stat(path, &status) == 0 ? "nobody listens on '\(path)'" : "no socket at '\(path)'"
                return CommandFailure("rprocd is not running (\(what)). \(startHint)", status: codes.unreachable)
            }
            if error.name == BusError.Name.accessDenied {
                return CommandFailure(error.message, status: codes == .action ? .noPermission : .statusUnknown)
            }
            return CommandFailure(error.message, status: codes.unreachable)
        case .systemBus:
            if error.name == BusError.Name.noServer {
                return CommandFailure(
                    "The system bus is not reachable, so rprocd cannot be asked there; drop --system to use rprocd's socket.",
                    status: codes.unreachable)
            }
            return CommandFailure("Cannot connect to the system bus: \(error.message)", status: codes.unreachable)
        }
    }

    /// The failure for `error`, the reply to a call.
    func failure(_ error: BusError) -> CommandFailure {
        switch error.name {
        case "org.freedesktop.DBus.Error.ServiceUnknown", BusError.Name.nameHasNoOwner:
            return CommandFailure(
                "rprocd is not on the system bus (nobody owns '\(Self.busName)'). \(Self.startHint)", status: codes.unreachable)
        case BusError.Name.disconnected, BusError.Name.noReply:
            return CommandFailure("rprocd closed the connection: it stopped, or has too many clients.", status: codes.unreachable)
        case BusError.Name.unknownMethod, BusError.Name.unknownInterface, BusError.Name.unknownObject:
            return CommandFailure("rprocd does not offer this (\(error.message)); is it older than rprocctl?", status: .failure)
        default:
            return CommandFailure(error.message.isEmpty ? error.name : error.message, status: codes.status(forErrorName: error.name))
        }
    }

    /// Calls `member` and returns its reply (`timeoutMicroseconds` 0: sd-bus's 25 s).
    func call(
        _ path: String, _ interface: String, _ member: String, _ arguments: [BusValue] = [], timeoutMicroseconds: UInt64 = 0
    ) throws(CommandFailure) -> [BusValue] {
        do {
            return try bus.call(
                destination: destination, path: path, interface: interface, member: member, arguments: arguments,
                timeoutMicroseconds: timeoutMicroseconds)
        } catch {
            throw failure(error)
        }
    }

    /// A reply that is not what docs/dbus-api.md says.
    func unexpected(_ member: String, _ reply: [BusValue]) -> CommandFailure {
        CommandFailure("rprocd answered '\(member)' with '\(reply.signature)', which rprocctl does not understand.", status: .failure)
    }

    // MARK: Manager

    /// `ListProcessors()`, in device order.
    func listProcessors() throws(CommandFailure) -> [ProcessorEntry] {
        let reply = try call(Self.managerPath, Self.managerInterface, "ListProcessors")
        guard reply.count == 1, let rows = reply[0].elements else { throw unexpected("ListProcessors", reply) }
        var entries: [ProcessorEntry] = []
        entries.reserveCapacity(rows.count)
        for row in rows {
            guard let m = row.members, m.count == 4, let device = m[0].string, let name = m[1].string, let state = m[2].string,
                let path = m[3].string
            else { throw unexpected("ListProcessors", reply) }
            entries.append(ProcessorEntry(device: device, name: name, state: state, objectPath: path))
        }
        return entries
    }

    /// `GetProcessor(nameOrDevice)`: the object path; an unknown or ambiguous name fails with the
    /// daemon's message (which lists the candidates).
    func processorPath(_ nameOrDevice: String) throws(CommandFailure) -> String {
        let reply = try call(Self.managerPath, Self.managerInterface, "GetProcessor", [.string(nameOrDevice)])
        guard reply.count == 1, let path = reply[0].objectPath else { throw unexpected("GetProcessor", reply) }
        return path
    }

    /// The object paths of `names` (each looked up with `GetProcessor`), or of every processor
    /// when `names` is empty.
    func processorPaths(_ names: [String]) throws(CommandFailure) -> [String] {
        if names.isEmpty { return try listProcessors().map(\.objectPath) }
        var paths: [String] = []
        for name in names { paths.append(try processorPath(name)) }
        return paths
    }

    /// `EnqueueJob(nameOrDevice, operation, argument)`: the job id and the processor's path.
    func enqueueJob(_ nameOrDevice: String, _ operation: String, _ argument: String) throws(CommandFailure) -> (id: UInt32, path: String) {
        let reply = try call(
            Self.managerPath, Self.managerInterface, "EnqueueJob", [.string(nameOrDevice), .string(operation), .string(argument)])
        guard reply.count == 2, let id = reply[0].uint32, let path = reply[1].objectPath else { throw unexpected("EnqueueJob", reply) }
        return (id, path)
    }

    // MARK: Processors

    /// Every property of the processor at `path`, in the order rprocd sends them.
    func properties(_ path: String) throws(CommandFailure) -> ProcessorProperties {
        let reply = try call(path, StandardInterface.properties, "GetAll", [.string(Self.processorInterface)])
        guard reply.count == 1, let entries = reply[0].entries else { throw unexpected("GetAll", reply) }
        var values: [(String, BusValue)] = []
        values.reserveCapacity(entries.count)
        for entry in entries {
            guard let key = entry.key.string else { throw unexpected("GetAll", reply) }
            values.append((key, entry.value.variant ?? entry.value))
        }
        return ProcessorProperties(values)
    }

    /// The last `lines` log lines rprocd keeps for the processor (`GetLog`), or nil when this
    /// rprocd does not offer them.
    func logLines(_ path: String, lines: UInt32) -> [String]? {
        guard let reply = try? bus.call(
            destination: destination, path: path, interface: Self.processorInterface, member: "GetLog", arguments: [.uint32(lines)]),
            reply.count == 1
        else { return nil }
        return reply[0].strings
    }

    /// The device in a processor object path (`…/processor/remoteproc0`).
    static func device(ofPath path: String) -> String? { ObjectPath.decode(path, prefix: processorPrefix) }

    // MARK: Signals and waiting

    /// Calls `handler` for every signal of `interface` (every member when `member` is nil).
    func subscribe(interface: String, member: String? = nil, _ handler: @escaping (ReceivedSignal) -> Void) throws(CommandFailure)
        -> BusClient.Subscription
    {
        do {
            return try bus.subscribe(interface: interface, member: member, sender: destination, handler)
        } catch {
            throw failure(error)
        }
    }

    /// Waits for messages (dispatching signals) up to `timeoutMicroseconds`.
    func wait(timeoutMicroseconds: UInt64) throws(CommandFailure) {
        do {
            try bus.wait(timeoutMicroseconds: timeoutMicroseconds)
        } catch {
            throw failure(error)
        }
    }
}
