// The daemon's startup order, as timesyncd's `run()`: logging, configuration, state store,
// event loop, discovery, the control socket, READY=1, the loop; then STOPPING=1.

import Logging

/// rprocd's version, reported by `--version` and the Manager's `Version` property.
public enum DaemonVersion {
    public static let string = "0.1.0"
}

/// Runs rprocd.
public enum Daemon {
    /// Runs the daemon until SIGTERM. Returns the process exit status.
    public static func run(_ invocation: DaemonInvocation) -> Int32 {
        bootstrapLogging(level: invocation.logLevel)
        let logger = Logger(label: "rprocd")
        logger.notice("rprocd \(DaemonVersion.string) has nothing to manage yet.")
        return 0
    }

    /// Installs `JournalLogHandler` as swift-log's backend (once per process).
    public static func bootstrapLogging(level: Logger.Level) {
        let destination = LogDestination.detectFromProcess()
        LoggingSystem.bootstrap { _ in JournalLogHandler(destination: destination, level: level) }
    }
}
