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

    @OptionGroup var options: DaemonOptions
    var global: GlobalOptions { options.global }

    @Argument(help: ArgumentHelp("The processor (name or device).", valueName: "name"), completion: .custom(completeProcessorNames))
    var name: String

    @Option(name: [.customShort("n"), .customLong("lines")], help: ArgumentHelp("How many of the last lines to show (0: all kept).", valueName: "N"))
    var lines: UInt32 = 10

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing new lines as the remote writes them, until interrupted.")
    var follow = false

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect()
        let path = try daemon.processorPath(name)
        var subscription: BusClient.Subscription?
        let quiet = global.quiet
        if follow {
            // Subscribe before reading the kept lines, so nothing falls between the two.
            subscription = try daemon.subscribe(interface: DaemonClient.processorInterface, member: "LogLines") { signal in
                guard signal.path == path else { return }
                let text = signal.arguments.first?.strings ?? []
                if !quiet, !text.isEmpty { Terminal.write(text.map { terminalSafe($0) + "\n" }.joined(), to: 1) }
            }
        }
        let reply = try daemon.call(path, DaemonClient.processorInterface, "GetLog", [.uint32(lines)])
        guard reply.count == 1, let kept = reply[0].strings else { throw daemon.unexpected("GetLog", reply) }
        if !global.quiet {
            Terminal.write(kept.map { terminalSafe($0) + "\n" }.joined(), to: 1)
        }
        guard follow, subscription != nil else { return .success }
        while true { try daemon.wait(timeoutMicroseconds: UInt64.max) }
    }
}
