// Talking to rprocd for the coredump and logs verbs: where to connect, the object paths and
// interfaces of docs/dbus-api.md, and rprocd's error names turned into rprocctl exit codes.
// (When the daemon verbs of issue #5 bring a shared connection helper, these verbs move onto it.)

import ArgumentParser
import Glibc
import RprocBus

/// `--socket`, `--system`: where rprocd listens.
struct DaemonConnectionOptions: ParsableArguments {
    @Option(name: .customLong("socket"), help: ArgumentHelp("rprocd's private control socket.", valueName: "path"))
    var socket = "/run/rprocd/control"

    @Flag(name: .customLong("system"), help: "Talk to rprocd on the system bus instead of its private socket.")
    var systemBus = false

    /// Connects, or fails with rprocd's own sentence ("rprocd is not running …").
    func connect() throws -> DaemonClient {
        do {
            return DaemonClient(client: try BusClient(systemBus ? .systemBus : .socket(socket)), onSystemBus: systemBus)
        } catch {
            throw DaemonClient.failure(error)
        }
    }
}

/// A connection to rprocd with the names of its API.
struct DaemonClient {
    static let busName = "org.daybreak.RemoteProc1"
    static let managerPath = "/org/daybreak/RemoteProc1"
    static let managerInterface = "org.daybreak.RemoteProc1.Manager"
    static let processorInterface = "org.daybreak.RemoteProc1.Processor"

    let client: BusClient
    let onSystemBus: Bool

    /// Calls a manager method.
    func callManager(_ member: String, _ arguments: [BusValue]) throws -> [BusValue] {
        try call(path: Self.managerPath, interface: Self.managerInterface, member, arguments)
    }

    /// Calls a method of the processor named by a name or device (resolved with `GetProcessor`).
    func callProcessor(_ nameOrDevice: String, _ member: String, _ arguments: [BusValue]) throws -> (path: String, reply: [BusValue]) {
        let reply = try callManager("GetProcessor", [.string(nameOrDevice)])
        guard let path = reply.first?.objectPath else { throw Self.unexpected("GetProcessor", reply) }
        return (path, try call(path: path, interface: Self.processorInterface, member, arguments))
    }

    func call(path: String, interface: String, _ member: String, _ arguments: [BusValue]) throws -> [BusValue] {
        do {
            return try client.call(
                destination: onSystemBus ? Self.busName : nil, path: path, interface: interface, member: member, arguments: arguments)
        } catch {
            throw Self.failure(error)
        }
    }

    static func unexpected(_ member: String, _ reply: [BusValue]) -> CommandFailure {
        CommandFailure("rprocd answered '\(member)' with '\(reply.signature)', which this rprocctl does not understand.", status: .failure)
    }

    /// rprocd's error names to the exit codes of docs/dbus-api.md (systemctl's LSB codes).
    static let exitCodes: [String: Int32] = [
        "org.daybreak.RemoteProc1.Error.NoSuchProcessor": 5,
        "org.daybreak.RemoteProc1.Error.NotRunning": 7,
        "org.daybreak.RemoteProc1.Error.NotConfigured": 6,
        "org.daybreak.RemoteProc1.Error.FirmwareNotFound": 6,
        "org.daybreak.RemoteProc1.Error.ReadOnly": 4,
        BusError.Name.accessDenied: 4,
        BusError.Name.invalidArgs: 2,
    ]

    static func failure(_ error: BusError) -> CommandFailure {
        CommandFailure(error.message.isEmpty ? error.name : error.message, status: ExitStatus(rawValue: exitCodes[error.name] ?? 1))
    }
}

/// `1.5M`, as systemd's `format_bytes` prints sizes (binary multiples).
func formatBytes(_ bytes: UInt64) -> String {
    let units: [(UInt64, String)] = [(1 << 60, "E"), (1 << 50, "P"), (1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")]
    for (factor, suffix) in units where bytes >= factor {
        let tenths = bytes * 10 / factor
        return tenths % 10 == 0 || tenths >= 1000 ? "\(tenths / 10)\(suffix)" : "\(tenths / 10).\(tenths % 10)\(suffix)"
    }
    return "\(bytes)B"
}

/// µs since the epoch as local time, `Tue 2026-12-01 08:09:25 UTC` (systemd's timestamp style).
func formatTimestamp(_ usec: UInt64) -> String {
    guard usec > 0 else { return "n/a" }
    var seconds = time_t(usec / 1_000_000)
    var parts = tm()
    guard localtime_r(&seconds, &parts) != nil else { return "\(usec)" }
    var buffer = [CChar](repeating: 0, count: 64)
    let count = strftime(&buffer, buffer.count, "%a %Y-%m-%d %H:%M:%S %Z", &parts)
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
