// `rprocctl is-running NAME`: LSB status codes, as `systemctl is-active`.

import ArgumentParser
import RprocJSON
import RprocModel

struct IsRunningCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "is-running",
        abstract: "Print the kernel state of a processor; exit 0 when it is running.",
        discussion: """
            Exits 0 when the processor is running (or attached: running firmware the kernel did not \
            load), 3 when it is not, 4 when there is no such processor or rprocd cannot be asked (LSB \
            status codes, as systemctl is-active). Prints the state unless -q.
            """)

    @OptionGroup var options: DaemonOptions

    @Argument(help: ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var name: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect(.status)
        let properties = try daemon.properties(try daemon.processorPath(name))
        let running = ProcessorState(sysfs: properties.state).isUp
        let json = JSONValue.object(JSONObject([
            ("device", .string(properties.device)), ("name", .string(properties.name)), ("state", .string(properties.state)),
            ("running", .bool(running)),
        ]))
        if !options.printJSON(json) { options.print(terminalSafe(properties.state) + "\n") }
        return running ? .success : .programNotRunning
    }
}
