// `rprocctl inspect FILE`: the ELF header, segments, sections and resource table of an image.

import ArgumentParser
import RprocFirmware
import RprocJSON

struct InspectCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the ELF header, segments, sections and resource table of a firmware file.",
        discussion: """
            Reads FILE directly (no daemon needed) and prints what the kernel's remoteproc ELF \
            loader would see, then the findings of the firmware checks for every modelled kernel \
            (6.1 and 6.12, both flavours). With --json, prints one JSON object with stable \
            lowerCamelCase keys. Exits 1 when FILE is not an ELF file or too damaged to parse, \
            2 when it cannot be read.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The firmware image (an ELF file).", valueName: "file"))
    var file: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let mapped = try openFirmware(file)
        let report = mapped.withBytes { FirmwareCheck.check($0) }
        let output: String
        if let format = global.jsonFormat {
            output = FirmwareJSON.inspect(path: file, size: mapped.size, report: report).serialized(format) + "\n"
        } else if let image = report.image {
            output = FirmwareText(styler: context.styler, showsLegend: !global.noLegend)
                .inspect(path: file, image: image, findings: report.findings)
        } else {
            output = ""
        }
        if !global.quiet { Terminal.write(output, to: 1) }
        if let error = report.parseError {
            // A file that is not ELF at all and a damaged ELF file say so in their own words.
            throw CommandFailure("Failed to parse '\(file)': \(error)", status: .failure)
        }
        return .success
    }
}

/// Maps `path`, turning a failure into the message and exit code rprocctl reports (2).
func openFirmware(_ path: String) throws(CommandFailure) -> MappedFile {
    do {
        return try MappedFile(path: path)
    } catch {
        throw CommandFailure(error.description, status: .invalidArgument)
    }
}
