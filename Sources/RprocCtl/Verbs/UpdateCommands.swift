// `rprocctl update NAME FILE`, `update --list NAME` and `rollback NAME`: rprocd's firmware update
// with automatic rollback (Update, ListFirmwareImages, Rollback in docs/dbus-api.md).

import ArgumentParser
import Glibc
import RprocBus
import RprocJSON

/// How long rprocctl waits for an update's reply: stop, start, readiness and probation (rprocd
/// bounds each with ReadyTimeoutSec= and UpdateProbationSec=).
private let updateReplyTimeout: UInt64 = 30 * 60 * 1_000_000

/// Prints the processor after an update or rollback: DEVICE NAME STATE FIRMWARE RESULT.
private func printOutcome(_ p: ProcessorProperties, _ options: DaemonOptions, _ context: OutputContext) {
    let json = JSONValue.object(JSONObject([
        ("device", .string(p.device)), ("name", .string(p.name)), ("state", .string(p.state)),
        ("firmware", .string(p.string("Firmware"))), ("result", .string(p.string("Result"))), ("ready", .bool(p.flag("Ready"))),
    ]))
    guard !options.printJSON(json) else { return }
    var table = Table([.init("DEVICE"), .init("NAME"), .init("STATE"), .init("FIRMWARE"), .init("RESULT")])
    let result = p.string("Result")
    table.append([Table.Cell(p.device), Table.Cell(terminalSafe(p.name)), stateCell(p.state),
                  Table.Cell(terminalSafe(p.string("Firmware"))), Table.Cell(result, style: outcomeStyle(result))])
    options.print(options.render(table, legend: legend(1, "processor", "processors"), styler: context.styler))
}

/// Calls `member` on the processor; on failure reports it, prints where the processor is now,
/// and returns the failure's exit code.
private func runUpdate(_ member: String, _ arguments: [BusValue], name: String, _ options: DaemonOptions, _ context: OutputContext) throws
    -> ExitStatus
{
    let daemon = try options.connect()
    let path = try daemon.processorPath(name)
    var status = ExitStatus.success
    do {
        _ = try daemon.call(path, DaemonClient.processorInterface, member, arguments, timeoutMicroseconds: updateReplyTimeout)
    } catch {
        report(error)
        status = error.status
    }
    printOutcome(try daemon.properties(path), options, context)
    return status
}

struct UpdateCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Install a new firmware image; keep it only if it comes up.",
        discussion: """
            rprocd validates FILE against the processor's memory windows (an invalid image is refused \
            before anything stops), stages it in the firmware directory under a versioned name \
            (keeping KeepFirmware= previous images), stops the processor, switches its firmware, \
            starts it and waits for readiness (ReadyOn=). If the start fails, readiness times out, \
            or it crashes within UpdateProbationSec=, rprocd boots the previous image again: the \
            command then fails (exit 1) and Result reads rolled-back. Every step is in the journal \
            (journalctl -t rprocd DEVICE=remoteprocN). With --list, the staged images instead: \
            file, SHA-256, when staged, and which one runs.
            """)

    @OptionGroup var options: DaemonOptions

    @Flag(name: .customLong("list"), help: "List the staged firmware images of the processor instead of updating.")
    var list = false

    @Argument(help: ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var name: String

    @Argument(help: ArgumentHelp("The new firmware image (an ELF file; a relative path is from here).", valueName: "file"),
              completion: .file())
    var file: String?

    mutating func validate() throws {
        if list, file != nil { throw ValidationError("--list takes no FILE.") }
        if !list, file == nil { throw ValidationError("Missing the firmware FILE to install (or use --list).") }
    }

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        guard let file else { return try listImages(context) }
        return try runUpdate("Update", [.string(Self.absolute(file))], name: name, options, context)
    }

    /// `file` from the current directory (rprocd resolves nothing).
    static func absolute(_ file: String) -> String {
        if file.hasPrefix("/") { return file }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return file }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (cwd == "/" ? "" : cwd) + "/" + (file.hasPrefix("./") ? String(file.dropFirst(2)) : file)
    }

    private func listImages(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect()
        let reply = try daemon.call(try daemon.processorPath(name), DaemonClient.processorInterface, "ListFirmwareImages")
        guard reply.count == 1, let rows = reply[0].elements else { throw daemon.unexpected("ListFirmwareImages", reply) }
        var images: [(file: String, sha256: String, staged: UInt64, current: Bool)] = []
        for row in rows {
            guard let m = row.members, m.count == 4, let file = m[0].string, let sha = m[1].string, case .uint64(let staged) = m[2],
                let current = m[3].bool
            else { throw daemon.unexpected("ListFirmwareImages", reply) }
            images.append((file, sha, staged, current))
        }
        let json = JSONValue.array(images.map {
            .object(JSONObject([
                ("file", .string($0.file)), ("sha256", .string($0.sha256)), ("stagedUSec", .number($0.staged)),
                ("current", .bool($0.current)),
            ]))
        })
        if !options.printJSON(json) {
            var table = Table([.init("FILE"), .init("SHA256"), .init("STAGED"), .init("CURRENT")])
            for image in images {
                table.append([
                    Table.Cell(terminalSafe(image.file)), Table.Cell(String(image.sha256.prefix(16))),
                    Table.Cell(TimeText.timestamp(image.staged)), Table.Cell(image.current ? "yes" : "", style: image.current ? .green : nil),
                ])
            }
            options.print(options.render(table, legend: legend(images.count, "staged image", "staged images"), styler: context.styler))
        }
        return .success
    }
}

struct RollbackCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Boot the previous staged firmware image again.",
        discussion: "The newest staged image before the one that runs (see 'update --list'): stop, switch, start, wait for readiness.")

    @OptionGroup var options: DaemonOptions

    @Argument(help: ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var name: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        try runUpdate("Rollback", [], name: name, options, context)
    }
}
