// The `rprocctl` command: its configuration and its verbs (one file per verb).

import ArgumentParser

/// `rprocctl`, the command-line client of rprocd.
///
/// The verbs that talk to the daemon (list, status, start, …: issue #5) join `subcommands`
/// when the daemon exists; `list` then becomes the `defaultSubcommand`, as in systemctl.
public struct RootCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rprocctl",
        abstract: "Inspect, check and control the remote processors of a Linux AMP board.",
        discussion: """
            inspect and validate read a firmware file directly and need no daemon.

            \(ExitStatus.helpText)
            """,
        version: "rprocctl \(rprocctlVersion)",
        subcommands: [InspectCommand.self, ValidateCommand.self])

    /// The global options may also come before the verb (`rprocctl --json=short inspect FILE`),
    /// as systemctl allows; ArgumentParser fills both this group and the verb's.
    @OptionGroup(visibility: .hidden) var global: GlobalOptions

    public init() {}
}

/// The version `rprocctl --version` prints.
public let rprocctlVersion = "0.1.0"
