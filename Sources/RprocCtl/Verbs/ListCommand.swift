// `rprocctl list` (the default verb): every processor rprocd manages, as `systemctl list-units`.

import ArgumentParser
import RprocJSON

struct ListCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the remote processors and their kernel state (the default command).",
        discussion: """
            One line per processor, in device order: the device, the kernel's name and its state. With \
            --json, an array of {"device", "name", "state", "objectPath"}.
            """)

    @OptionGroup var options: DaemonOptions

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let processors = try options.connect().listProcessors()
        if options.printJSON(.array(processors.map(Self.json))) { return .success }
        var table = Table([.init("DEVICE"), .init("NAME"), .init("STATE")])
        for processor in processors {
            table.append([Table.Cell(processor.device), Table.Cell(terminalSafe(processor.name)),
                          stateCell(processor.state)])
        }
        options.print(options.render(table, legend: legend(processors.count, "processor", "processors"), styler: context.styler))
        return .success
    }

    static func json(_ entry: ProcessorEntry) -> JSONValue {
        .object(JSONObject([
            ("device", .string(entry.device)), ("name", .string(entry.name)), ("state", .string(entry.state)),
            ("objectPath", .string(entry.objectPath)),
        ]))
    }
}
