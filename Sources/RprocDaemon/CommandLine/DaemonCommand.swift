// The command line: `rprocd [--root DIR] [--socket PATH] [--config-dir DIR] [--state-dir DIR] …`.
// Every `[Daemon]` setting of rprocd.conf can be overridden here; the command line wins over the
// configuration files, which win over the built-in defaults.

import ArgumentParser
import Glibc

/// The `rprocd` command: parses arguments, then runs the daemon until SIGTERM.
public struct DaemonCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rprocd",
        abstract: "Manage the remote processors of this board (Linux remoteproc) and serve the org.daybreak.RemoteProc1 API.",
        discussion: """
            Configuration: rprocd.conf and rprocd.conf.d/*.conf, processors.d/*.rproc, searched in \
            /etc/rprocd, /run/rprocd and /usr/lib/rprocd (or the --config-dir directories, first wins). \
            Options given here override the [Daemon] settings of those files.
            Exit status: 0 after SIGTERM, 1 on a fatal error, 2 on a usage error.
            """,
        version: DaemonVersion.string)

    @Option(name: .long, help: ArgumentHelp("The directory holding the kernel's files (sys/, dev/kmsg).", valueName: "DIR"))
    public var root: String = "/"

    @Option(name: .long, help: ArgumentHelp("The private control socket. [Daemon] SocketPath=.", valueName: "PATH"))
    public var socket: String?

    @Option(
        name: .customLong("config-dir"),
        help: ArgumentHelp("A configuration directory, highest priority first; may be repeated.", valueName: "DIR"))
    public var configDirectories: [String] = []

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("Where counters survive restarts (default: $STATE_DIRECTORY, else /var/lib/rprocd).", valueName: "DIR"))
    public var stateDirectory: String?

    @Option(name: .customLong("socket-group"), help: ArgumentHelp("Group owning the control socket. [Daemon] SocketGroup=.", valueName: "GROUP"))
    public var socketGroup: String?

    @Option(name: .customLong("socket-mode"), help: ArgumentHelp("Octal mode of the control socket. [Daemon] SocketMode=.", valueName: "MODE"))
    public var socketMode: String?

    @Option(name: .customLong("admin-group"), help: ArgumentHelp("Group allowed to call mutating methods. [Daemon] AdminGroup=.", valueName: "GROUP"))
    public var adminGroup: String?

    @Option(name: .customLong("system-bus"), help: ArgumentHelp("Own org.daybreak.RemoteProc1 on the system bus: yes or no. [Daemon] SystemBus=.", valueName: "BOOL"))
    public var systemBus: String?

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("How often 'state' is re-read (a time span: 1s, 500ms). [Daemon] PollIntervalSec=.", valueName: "SPAN"))
    public var pollInterval: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("debug, info, notice, warning or error.", valueName: "LEVEL"))
    public var logLevel: String = "info"

    public init() {}

    /// `StateDirectory=rprocd` in the unit sets `$STATE_DIRECTORY` (the first path, when several).
    static var environmentStateDirectory: String? {
        guard let value = getenv("STATE_DIRECTORY").map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value.split(separator: ":").first.map(String.init)
    }

    public func validate() throws {
        if root.isEmpty { throw ValidationError("--root must not be empty.") }
        if let socket, !socket.hasPrefix("/") { throw ValidationError("--socket must be an absolute path, not '\(socket)'.") }
        if let mode = socketMode, DaemonSettings.parseMode(mode) == nil {
            throw ValidationError("--socket-mode must be an octal mode such as 0660, not '\(mode)'.")
        }
        if let systemBus, DaemonSettings.parseBoolean(systemBus) == nil {
            throw ValidationError("--system-bus must be yes or no, not '\(systemBus)'.")
        }
        if let pollInterval, DaemonSettings.parseTimeSpanMicroseconds(pollInterval) == nil {
            throw ValidationError("--poll-interval must be a time span such as 1s or 500ms, not '\(pollInterval)'.")
        }
        if DaemonSettings.parseLogLevel(logLevel) == nil {
            throw ValidationError("--log-level must be debug, info, notice, warning or error, not '\(logLevel)'.")
        }
    }

    /// What the command line sets, to lay over the configuration files.
    public var overrides: DaemonSettings.Overrides {
        DaemonSettings.Overrides(
            socketPath: socket, socketGroup: socketGroup,
            socketMode: socketMode.flatMap(DaemonSettings.parseMode),
            adminGroup: adminGroup, systemBus: systemBus.flatMap(DaemonSettings.parseBoolean),
            pollIntervalMicroseconds: pollInterval.flatMap(DaemonSettings.parseTimeSpanMicroseconds))
    }

    /// The invocation: where to look, before the configuration files are read.
    public var invocation: DaemonInvocation {
        DaemonInvocation(
            root: root,
            configDirectories: configDirectories.isEmpty ? DaemonSettings.defaultConfigDirectories : configDirectories,
            stateDirectory: stateDirectory ?? Self.environmentStateDirectory ?? DaemonSettings.defaultStateDirectory,
            overrides: overrides,
            logLevel: DaemonSettings.parseLogLevel(logLevel) ?? .info)
    }

    public func run() throws {
        Daemon.run(invocation)
    }

    /// The entry point of `rprocd/main.swift`. Usage errors exit with 2 (systemd's
    /// `EXIT_INVALIDARGUMENT`), not ArgumentParser's 64.
    public static func runMain(arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                let line = message.hasSuffix("\n") ? message : message + "\n"
                if code == .success { print(line, terminator: "") } else { JournalLogHandler.writeStandardError(line) }
            }
            if code == .validationFailure { Glibc.exit(2) }
            Glibc.exit(code.rawValue)
        }
    }
}
