// The `rprocctl` command: its configuration and its verbs (one file per verb).

import ArgumentParser

/// `rprocctl`, the command-line client of rprocd.
public struct RootCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rprocctl",
        abstract: "Inspect, check and control the remote processors of a Linux AMP board.",
        discussion: """
            Without a command, rprocctl lists the processors (list). Every command but inspect and \
            validate asks rprocd, over its private socket (--socket, $RPROCD_SOCKET, default \
            /run/rprocd/control) or the system bus (--system). NAME is a processor's name (m4) or \
            device (remoteproc0). inspect and validate read a firmware file directly and need no daemon.

            \(ExitStatus.helpText)
            """,
        version: "rprocctl \(rprocctlVersion)",
        subcommands: [
            ListCommand.self, StatusCommand.self, StartCommand.self, StopCommand.self, RestartCommand.self,
            DetachCommand.self, AttachCommand.self, RecoverCommand.self, SetFirmwareCommand.self, ResetFailedCommand.self,
            WaitReadyCommand.self, ChannelsCommand.self, UpdateCommand.self, RollbackCommand.self,
            ShowCommand.self, IsRunningCommand.self, MonitorCommand.self, CoredumpCommand.self, LogsCommand.self, InspectCommand.self,
            ValidateCommand.self,
        ],
        defaultSubcommand: ListCommand.self)

    /// The global options may also come before the verb (`rprocctl --json=short inspect FILE`),
    /// as systemctl allows; ArgumentParser fills both this group and the verb's.
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @OptionGroup(visibility: .hidden) var connection: ConnectionOptions

    public init() {}
}

/// The version `rprocctl --version` prints.
public let rprocctlVersion = "0.1.0"
