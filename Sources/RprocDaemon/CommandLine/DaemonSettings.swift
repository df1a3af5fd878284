// The daemon's effective settings: built-in defaults, then the `[Daemon]` section of rprocd.conf
// (with drop-ins), then the command line.

import Logging
import RprocModel
import SystemdIni

/// Where rprocd looks before it has read any configuration.
public struct DaemonInvocation: Sendable, Equatable {
    /// The directory holding the kernel's files: `/`, or a virtual board's mount point.
    public var root: String
    /// Configuration directories, highest priority first.
    public var configDirectories: [String]
    public var stateDirectory: String
    public var overrides: DaemonSettings.Overrides
    public var logLevel: Logger.Level

    public init(
        root: String, configDirectories: [String], stateDirectory: String,
        overrides: DaemonSettings.Overrides, logLevel: Logger.Level
    ) {
        self.root = root
        self.configDirectories = configDirectories
        self.stateDirectory = stateDirectory
        self.overrides = overrides
        self.logLevel = logLevel
    }

    /// `path` (absolute, as the kernel names it) inside the root: `sys/class/remoteproc` under
    /// `/mnt/board`.
    public func kernelPath(_ path: String) -> String {
        let relative = path.drop { $0 == "/" }
        if root == "/" { return "/" + relative }
        return (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/" + relative
    }
}

/// The `[Daemon]` settings in effect.
public struct DaemonSettings: Sendable, Equatable {
    public static let defaultSocketPath = "/run/rprocd/control"
    public static let defaultStateDirectory = "/var/lib/rprocd"
    public static let defaultConfigDirectories = ["/etc/rprocd", "/run/rprocd", "/usr/lib/rprocd"]

    /// `SocketPath=`: the private control socket.
    public var socketPath = DaemonSettings.defaultSocketPath
    /// `SocketGroup=`: group of the socket file (empty: leave it as created).
    public var socketGroup = "rproc"
    /// `SocketMode=`: mode of the socket file.
    public var socketMode: UInt32 = 0o660
    /// `AdminGroup=`: members may call mutating methods.
    public var adminGroup = "rproc"
    /// `SystemBus=`: own `org.daybreak.RemoteProc1` on the system bus when it is reachable.
    public var systemBus = true
    /// `PollIntervalSec=`: how often every processor's `state` is re-read, in µs.
    public var pollIntervalMicroseconds: UInt64 = 1_000_000

    public init() {}

    /// The `[Daemon]` section as RprocModel parsed it.
    public init(_ config: DaemonConfig) {
        socketPath = config.socketPath
        socketGroup = config.socketGroup ?? ""
        socketMode = UInt32(config.socketMode)
        adminGroup = config.adminGroup
        systemBus = config.systemBus
        pollIntervalMicroseconds = config.pollInterval.microseconds
    }

    /// Settings given on the command line; nil leaves the configured value.
    public struct Overrides: Sendable, Equatable {
        public var socketPath: String?
        public var socketGroup: String?
        public var socketMode: UInt32?
        public var adminGroup: String?
        public var systemBus: Bool?
        public var pollIntervalMicroseconds: UInt64?

        public init(
            socketPath: String? = nil, socketGroup: String? = nil, socketMode: UInt32? = nil,
            adminGroup: String? = nil, systemBus: Bool? = nil, pollIntervalMicroseconds: UInt64? = nil
        ) {
            self.socketPath = socketPath
            self.socketGroup = socketGroup
            self.socketMode = socketMode
            self.adminGroup = adminGroup
            self.systemBus = systemBus
            self.pollIntervalMicroseconds = pollIntervalMicroseconds
        }
    }

    /// These settings with the command line laid over them.
    public func applying(_ overrides: Overrides) -> DaemonSettings {
        var result = self
        if let value = overrides.socketPath { result.socketPath = value }
        if let value = overrides.socketGroup { result.socketGroup = value }
        if let value = overrides.socketMode { result.socketMode = value }
        if let value = overrides.adminGroup { result.adminGroup = value }
        if let value = overrides.systemBus { result.systemBus = value }
        if let value = overrides.pollIntervalMicroseconds { result.pollIntervalMicroseconds = value }
        return result
    }

    // MARK: Value parsers for the command line

    /// An octal file mode (`0660`), as `SocketMode=` takes it.
    public static func parseMode(_ text: String) -> UInt32? {
        (try? Values.parseMode(text)).map(UInt32.init)
    }

    /// A boolean as systemd spells them (`yes`, `off`, …).
    public static func parseBoolean(_ text: String) -> Bool? {
        try? Values.parseBoolean(text)
    }

    /// A finite time span in µs (`1s`, `1min 30s`).
    public static func parseTimeSpanMicroseconds(_ text: String) -> UInt64? {
        guard let span = try? Values.parseTimeSpan(text), !span.isInfinite, span.microseconds > 0 else { return nil }
        return span.microseconds
    }

    public static func parseLogLevel(_ text: String) -> Logger.Level? {
        switch text {
        case "trace": .trace
        case "debug": .debug
        case "info": .info
        case "notice": .notice
        case "warning": .warning
        case "error", "err": .error
        case "critical", "crit": .critical
        default: nil
        }
    }
}
