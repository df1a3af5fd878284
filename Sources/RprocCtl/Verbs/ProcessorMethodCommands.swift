// set-firmware and reset-failed: Processor methods that reply when they are done.

import ArgumentParser
import RprocBus
import RprocJSON

/// Calls `member` on each processor of `paths`, then prints them (DEVICE NAME STATE JOB FIRMWARE;
/// with --json, the objects of 'show --json'). Returns the exit code of the first failure.
func callProcessors(_ member: String, _ arguments: [BusValue], paths: [String], daemon: DaemonClient, _ options: DaemonOptions,
                    _ context: OutputContext) throws -> ExitStatus {
    var firstFailure: ExitStatus?
    var done: [ProcessorProperties] = []
    for path in paths {
        do {
            _ = try daemon.call(path, DaemonClient.processorInterface, member, arguments)
            done.append(try daemon.properties(path))
        } catch {
            report(error)
            firstFailure = firstFailure ?? error.status
        }
    }
    if done.isEmpty { return firstFailure ?? .success }
    if !options.printJSON(.array(done.map { $0.json() })) {
        var table = Table([.init("DEVICE"), .init("NAME"), .init("STATE"), .init("JOB"), .init("FIRMWARE")])
        for p in done {
            let job = p.string("Job")
            table.append([Table.Cell(p.device), Table.Cell(terminalSafe(p.name)), stateCell(p.state),
                          Table.Cell(job, style: outcomeStyle(job)), Table.Cell(terminalSafe(p.string("Firmware")))])
        }
        options.print(options.render(table, legend: legend(done.count, "processor", "processors"), styler: context.styler))
    }
    return firstFailure ?? .success
}

struct SetFirmwareCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-firmware",
        abstract: "Set the firmware an offline processor boots next.",
        discussion: "FILE is a name in the kernel's firmware search path (/lib/firmware), as the kernel's 'firmware' attribute takes it.")

    @OptionGroup var options: DaemonOptions
    @Argument(help: ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var name: String
    @Argument(help: ArgumentHelp("The firmware name.", valueName: "file")) var file: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect()
        return try callProcessors("SetFirmware", [.string(file)], paths: [try daemon.processorPath(name)], daemon: daemon, options, context)
    }
}

struct ResetFailedCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-failed",
        abstract: "Leave the 'failed' job state and forget the start-limit history.",
        discussion: "Without NAME, every processor.")

    @OptionGroup var options: DaemonOptions
    @Argument(help: ArgumentHelp("Processors: names (m4) or devices (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var names: [String] = []

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect()
        return try callProcessors("ResetFailed", [], paths: try daemon.processorPaths(names), daemon: daemon, options, context)
    }
}
