// `rprocctl wait-ready NAME [--timeout SPAN]` and `rprocctl channels NAME`: a processor's
// readiness (`Ready`: running and every `[Boot] ReadyOn=` channel announced) and its rpmsg
// channels (`Channels`), docs/dbus-api.md.

import ArgumentParser
import Glibc
import RprocBus
import RprocJSON
import SystemdIni

struct WaitReadyCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait-ready",
        abstract: "Wait until a processor is ready: running, with every ReadyOn= channel announced.",
        discussion: """
            For scripts: returns 0 as soon as the processor's Ready property is true (at once when it \
            already is), 1 when --timeout passes first. Nothing is started: start the processor \
            first, or let AutoStart= do it.
            """)

    @OptionGroup var options: DaemonOptions

    @Option(name: .customLong("timeout"), help: ArgumentHelp(
        "Give up after this long (systemd time span: 500ms, 5s, 2min; a bare number is seconds; default infinity).",
        valueName: "span"))
    var timeout: String = "infinity"

    @Argument(help: ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var name: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let span: TimeSpan
        do {
            span = try Values.parseTimeSpan(timeout)
        } catch {
            throw CommandFailure("Invalid --timeout '\(timeout)': \(error).", status: .invalidArgument)
        }
        let daemon = try options.connect()
        let path = try daemon.processorPath(name)
        // Subscribed before the first read, so that a change between the two ends the wait below.
        let subscription = try daemon.subscribe(interface: StandardInterface.properties, member: "PropertiesChanged") { _ in }
        defer { subscription.cancel() }
        let start = Self.monotonic()
        var properties = try daemon.properties(path)
        while !properties.flag("Ready") {
            let elapsed = Self.monotonic() - start
            guard span.isInfinite || elapsed < span.microseconds else {
                let channels = properties.channels.map(\.name)
                let failure = CommandFailure(
                    "'\(properties.name)' was not ready within \(span): it is '\(properties.state)'"
                        + (channels.isEmpty ? " and announced no channel." : " with \(channels.map { "'\($0)'" }.joined(separator: ", ")) announced."),
                    status: .failure)
                if !options.printJSON(Self.json(properties)) { report(failure) }
                return failure.status
            }
            try daemon.wait(timeoutMicroseconds: span.isInfinite ? 1_000_000 : min(1_000_000, span.microseconds - elapsed))
            // Re-read after a change, and once a second in case a signal was missed.
            properties = try daemon.properties(path)
        }
        if !options.printJSON(Self.json(properties)) {
            options.print("'\(terminalSafe(properties.name))' is ready (\(terminalSafe(properties.state))).\n")
        }
        return .success
    }

    static func json(_ p: ProcessorProperties) -> JSONValue {
        .object(JSONObject([
            ("device", .string(p.device)), ("name", .string(p.name)), ("state", .string(p.state)), ("ready", .bool(p.flag("Ready"))),
        ]))
    }

    static func monotonic() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}

struct ChannelsCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "channels",
        abstract: "List the rpmsg channels a processor's remote announced.",
        discussion: """
            One row per channel: its name, the character device rpmsg_char made for it (or -), and \
            the local and remote addresses. With --json, an array of {"name", "deviceNode", \
            "source", "destination"}.
            """)

    @OptionGroup var options: DaemonOptions

    @Argument(help: ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var name: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect()
        let channels = try daemon.properties(try daemon.processorPath(name)).channels
        let json = JSONValue.array(channels.map {
            .object(JSONObject([
                ("name", .string($0.name)), ("deviceNode", .string($0.node)), ("source", .number($0.source)),
                ("destination", .number($0.destination)),
            ]))
        })
        if !options.printJSON(json) {
            var table = Table([.init("NAME"), .init("DEVICE"), .init("SRC", .right), .init("DST", .right)])
            for channel in channels {
                table.append([
                    Table.Cell(terminalSafe(channel.name)), Table.Cell(channel.node.isEmpty ? "-" : terminalSafe(channel.node)),
                    Table.Cell(StatusCommand.address(channel.source)), Table.Cell(StatusCommand.address(channel.destination)),
                ])
            }
            options.print(options.render(table, legend: legend(channels.count, "channel", "channels"), styler: context.styler))
        }
        return .success
    }
}
