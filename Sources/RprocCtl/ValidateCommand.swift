// `rprocctl validate FILE`: would the kernel boot this image?

import ArgumentParser
import RprocFirmware
import RprocJSON

/// `--kernel`: which kernels' checks decide the exit code.
enum KernelSelection: String, CaseIterable, ExpressibleByArgument {
    case v6_1 = "6.1"
    case v6_12 = "6.12"
    case all

    /// The kernel profiles the selection stands for, oldest first.
    var profiles: [KernelProfile] {
        switch self {
        case .v6_1: KernelProfile.profiles(of: [.v6_1])
        case .v6_12: KernelProfile.profiles(of: [.v6_12])
        case .all: KernelProfile.all
        }
    }
}

struct ValidateCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check whether the kernel would boot a firmware file, and list what is wrong.",
        discussion: """
            Runs every check the kernel's remoteproc core makes on the way to a boot, for each selected \
            kernel, plus checks for mistakes the kernel accepts but that break real boards. Exits 0 when \
            every selected kernel would boot the image (warnings allowed), 1 when one would refuse it, \
            2 for usage errors or a file that cannot be read.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .customLong("memory"),
        help: ArgumentHelp(
            "The processor's memory windows, as device address and length: DA:LEN[,DA:LEN…]. Numbers are decimal or 0x hexadecimal; LEN may end in K, M or G. May be repeated. Segments and resources outside every window are reported.",
            valueName: "windows"),
        transform: MemoryWindowArgument.parseOption)
    var memory: [[MemoryWindowArgument]] = []

    @Option(name: .customLong("kernel"), help: ArgumentHelp("Which kernels decide the result.", valueName: "6.1|6.12|all"))
    var kernel: KernelSelection = .all

    @Argument(help: ArgumentHelp("The firmware image (an ELF file).", valueName: "file"))
    var file: String

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let mapped = try openFirmware(file)
        let kernels = kernel.profiles
        let options = CheckOptions(
            kernels: kernels,
            memory: memory.isEmpty ? nil : memory.joined().map { MemoryRegion(da: $0.deviceAddress, length: $0.length) })
        let report = mapped.withBytes { FirmwareCheck.check($0, options: options) }
        let refused = kernels.contains(where: report.isRefused(by:))
        if !global.quiet {
            let output: String
            if let format = global.jsonFormat {
                output = FirmwareJSON.validate(path: file, report: report, kernels: kernels).serialized(format) + "\n"
            } else {
                let text = FirmwareText(styler: context.styler, showsLegend: !global.noLegend)
                output = text.findings(report.findings) + text.verdict(path: file, report: report, kernels: kernels)
            }
            Terminal.write(output, to: 1)
        }
        return refused ? .failure : .success
    }
}
