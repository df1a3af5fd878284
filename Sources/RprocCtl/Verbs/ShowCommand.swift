// `rprocctl show NAME [-p PROPERTY…] [--value]`: every property as Key=Value, as `systemctl show`.

import ArgumentParser

struct ShowCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the properties of a processor as Key=Value lines.",
        discussion: """
            The properties are those of the D-Bus interface org.daybreak.RemoteProc1.Processor, in its \
            order; times are µs since the epoch (0: never). With --json, one object whose keys are the \
            property names with a lowercase first letter (stateChangeUSec).
            """)

    @OptionGroup var options: DaemonOptions

    @Option(
        name: [.customShort("p"), .customLong("property")],
        help: ArgumentHelp("Show only this property; may be repeated or comma-separated (-p State,Job).", valueName: "name"))
    var properties: [String] = []

    @Flag(name: .customLong("value"), help: "Print only the values, without 'Name='.")
    var valueOnly = false

    @Argument(help: ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var name: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect()
        let properties = try daemon.properties(try daemon.processorPath(name))
        let selection = self.properties.flatMap { $0.split(separator: ",").map(String.init) }
        if options.printJSON(properties.json(selecting: selection)) { return .success }
        var text = ""
        for (name, value) in properties.selected(selection) {
            let shown = terminalSafe(ProcessorProperties.text(name, value))
            text += (valueOnly ? shown : name + "=" + shown) + "\n"
        }
        options.print(text)
        return .success
    }
}
