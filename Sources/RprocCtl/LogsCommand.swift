// `rprocctl logs NAME [-f] [-n N]`: the remote's own log (its trace buffer) as rprocd keeps it
// (GetLog), and with -f the new lines as they come (the LogLines signal), like journalctl -f.

import ArgumentParser
import Glibc
import RprocBus

struct LogsCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the log the remote processor writes into its trace buffer.",
        discussion: """
            rprocd reads the processor's debugfs trace buffers while it runs and keeps the last lines; \
            they are also in the journal (journalctl -t rprocd DEVICE=remoteprocN).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Argument(help: ArgumentHelp("The processor (name or device).", valueName: "name"))
    var name: String

    @Option(name: [.customShort("n"), .customLong("lines")], help: ArgumentHelp("How many of the last lines to show (0: all kept).", valueName: "N"))
    var lines: UInt32 = 10

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing new lines as the remote writes them, until interrupted.")
    var follow = false

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try connection.connect()
        var subscription: BusClient.Subscription?
        let quiet = global.quiet
        if follow {
            // Subscribe before reading the kept lines, so nothing falls between the two.
            let resolved = try daemon.callManager("GetProcessor", [.string(name)])
            guard let object = resolved.first?.objectPath else { throw DaemonClient.unexpected("GetProcessor", resolved) }
            do {
                subscription = try daemon.client.subscribe(path: object, interface: DaemonClient.processorInterface, member: "LogLines") {
                    signal in
                    let text = signal.arguments.first?.strings ?? []
                    if !quiet, !text.isEmpty { Terminal.write(text.map { terminalSafe($0) + "\n" }.joined(), to: 1) }
                }
            } catch {
                throw DaemonClient.failure(error)
            }
        }
        let (_, reply) = try daemon.callProcessor(name, "GetLog", [.uint32(lines)])
        guard let kept = reply.first?.strings else { throw DaemonClient.unexpected("GetLog", reply) }
        if !global.quiet {
            Terminal.write(kept.map { terminalSafe($0) + "\n" }.joined(), to: 1)
        }
        guard follow, subscription != nil else { return .success }
        while true {
            do {
                try daemon.client.wait(timeoutMicroseconds: UInt64.max)
            } catch {
                if error.name == BusError.Name.disconnected {
                    throw CommandFailure("rprocd closed the connection; stopped following '\(name)'.", status: .failure)
                }
                throw DaemonClient.failure(error)
            }
        }
    }
}
