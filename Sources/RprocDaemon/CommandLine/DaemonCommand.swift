// The command line: `rprocd [--root DIR] [--socket PATH] [--config-dir DIR] [--state-dir DIR] …`.
// Every `[Daemon]` setting of rprocd.conf can be overridden here; the command line wins over the
// configuration files, which win over the built-in defaults.
//
// Parsed by hand, not with swift-argument-parser: that package pulls in FoundationEssentials
// (`#if canImport(FoundationEssentials)`), 2 MiB of resident library pages in a daemon whose
// target is 8 MiB (Benchmarks/DaemonBench).

import Glibc

/// The `rprocd` command line: `--name VALUE` or `--name=VALUE`, in any order; a repeated option
/// keeps its last value, except `--config-dir`, which accumulates.
public struct DaemonCommand: Sendable, Equatable {
    /// The directory holding the kernel's files (sys/, dev/kmsg).
    public var root = "/"
    public var socket: String?
    /// Highest priority first; empty: the built-in search path.
    public var configDirectories: [String] = []
    public var stateDirectory: String?
    public var socketGroup: String?
    public var socketMode: String?
    public var adminGroup: String?
    public var systemBus: String?
    public var pollInterval: String?
    public var logLevel = "info"

    public init() {}

    /// What the command line asks for.
    public enum Request: Sendable, Equatable {
        case run(DaemonCommand)
        /// `--help` or `-h`: the usage text on stdout, exit 0.
        case help
        /// `--version`: the version on stdout, exit 0.
        case version
    }

    /// A usage error: printed as `rprocd: MESSAGE` and a hint to `--help`, exit status 2.
    public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Every option that takes a value, with its value's name for the usage text and its help.
    static let valueOptions: [(name: String, value: String, help: String, set: @Sendable (inout DaemonCommand, String) -> Void)] = [
        ("root", "DIR", "The directory holding the kernel's files (sys/, dev/kmsg). Default: /.", { $0.root = $1 }),
        ("socket", "PATH", "The private control socket. [Daemon] SocketPath=.", { $0.socket = $1 }),
        ("config-dir", "DIR", "A configuration directory, highest priority first; may be repeated.", { $0.configDirectories.append($1) }),
        ("state-dir", "DIR", "Where counters survive restarts (default: $STATE_DIRECTORY, else /var/lib/rprocd).", { $0.stateDirectory = $1 }),
        ("socket-group", "GROUP", "Group owning the control socket. [Daemon] SocketGroup=.", { $0.socketGroup = $1 }),
        ("socket-mode", "MODE", "Octal mode of the control socket. [Daemon] SocketMode=.", { $0.socketMode = $1 }),
        ("admin-group", "GROUP", "Group allowed to call mutating methods. [Daemon] AdminGroup=.", { $0.adminGroup = $1 }),
        ("system-bus", "BOOL", "Own org.daybreak.RemoteProc1 on the system bus: yes or no. [Daemon] SystemBus=.", { $0.systemBus = $1 }),
        ("poll-interval", "SPAN", "How often 'state' is re-read (a time span: 1s, 500ms). [Daemon] PollIntervalSec=.", { $0.pollInterval = $1 }),
        ("log-level", "LEVEL", "debug, info, notice, warning or error. Default: info.", { $0.logLevel = $1 }),
    ]

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(UsageError) -> Request {
        var command = DaemonCommand()
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help }
            if argument == "--version" { return .version }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                if argument == "--", index < arguments.endIndex {
                    throw UsageError("Unexpected argument '\(arguments[index])'")
                }
                if argument == "--" { continue }
                if argument.hasPrefix("-"), argument.count > 1 { throw UsageError("Unknown option '\(argument)'") }
                throw UsageError("Unexpected argument '\(argument)'")
            }
            let body = argument.dropFirst(2)
            let name: Substring
            var value: String?
            if let equals = body.firstIndex(of: "=") {
                name = body[..<equals]
                value = String(body[body.index(after: equals)...])
            } else {
                name = body
            }
            if name == "help" || name == "version" { throw UsageError("'--\(name)' takes no value") }
            guard let option = valueOptions.first(where: { $0.name == name }) else {
                throw UsageError("Unknown option '--\(name)'")
            }
            if value == nil {
                // As ArgumentParser: the next argument is the value unless it is itself an option.
                guard index < arguments.endIndex, !isOption(arguments[index]) else {
                    throw UsageError("Missing value for '--\(option.name) <\(option.value)>'")
                }
                value = arguments[index]
                index += 1
            }
            option.set(&command, value!)
        }
        try command.validate()
        return .run(command)
    }

    static func isOption(_ argument: String) -> Bool {
        argument.hasPrefix("-") && argument.count > 1
    }

    /// The values' own checks, in the order of the usage text.
    public func validate() throws(UsageError) {
        if root.isEmpty { throw UsageError("--root must not be empty.") }
        if let socket, !socket.hasPrefix("/") { throw UsageError("--socket must be an absolute path, not '\(socket)'.") }
        if let mode = socketMode, DaemonSettings.parseMode(mode) == nil {
            throw UsageError("--socket-mode must be an octal mode such as 0660, not '\(mode)'.")
        }
        if let systemBus, DaemonSettings.parseBoolean(systemBus) == nil {
            throw UsageError("--system-bus must be yes or no, not '\(systemBus)'.")
        }
        if let pollInterval, DaemonSettings.parseTimeSpanMicroseconds(pollInterval) == nil {
            throw UsageError("--poll-interval must be a time span such as 1s or 500ms, not '\(pollInterval)'.")
        }
        if DaemonSettings.parseLogLevel(logLevel) == nil {
            throw UsageError("--log-level must be debug, info, notice, warning or error, not '\(logLevel)'.")
        }
    }

    /// `--help`.
    public static var helpText: String {
        var text = """
            OVERVIEW: Manage the remote processors of this board (Linux remoteproc) and serve the \
            org.daybreak.RemoteProc1 API.

            Configuration: rprocd.conf and rprocd.conf.d/*.conf, processors.d/*.rproc, searched in \
            /etc/rprocd, /run/rprocd and /usr/lib/rprocd (or the --config-dir directories, first wins). \
            Options given here override the [Daemon] settings of those files.
            Exit status: 0 after SIGTERM, 1 on a fatal error, 2 on a usage error.

            USAGE: rprocd [--root DIR] [--socket PATH] [--config-dir DIR]... [--state-dir DIR] [OPTIONS]

            OPTIONS:

            """
        for option in valueOptions {
            let left = "  --\(option.name) <\(option.value)>"
            text += left.padded(to: 28) + option.help + "\n"
        }
        text += "  --version".padded(to: 28) + "Show the version.\n"
        text += "  -h, --help".padded(to: 28) + "Show help information.\n"
        return text
    }

    /// `StateDirectory=rprocd` in the unit sets `$STATE_DIRECTORY` (the first path, when several).
    static var environmentStateDirectory: String? {
        guard let value = getenv("STATE_DIRECTORY").map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value.split(separator: ":").first.map(String.init)
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

    /// The entry point of `rprocd/main.swift`. Usage errors exit with 2 (systemd's
    /// `EXIT_INVALIDARGUMENT`).
    public static func runMain(arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        let request: Request
        do {
            request = try parse(arguments)
        } catch {
            JournalLogHandler.writeStandardError("rprocd: \(error.message)\nSee 'rprocd --help' for more information.\n")
            Glibc.exit(2)
        }
        switch request {
        case .help:
            print(helpText, terminator: "")
            Glibc.exit(0)
        case .version:
            print(DaemonVersion.string)
            Glibc.exit(0)
        case .run(let command):
            Daemon.run(command.invocation)
        }
    }
}

extension String {
    fileprivate func padded(to width: Int) -> String {
        count >= width - 1 ? self + "\n" + String(repeating: " ", count: width) : self + String(repeating: " ", count: width - count)
    }
}
