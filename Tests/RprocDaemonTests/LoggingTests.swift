import Logging
import Testing
@testable import RprocDaemon

@Suite struct LoggingTests {
    @Test func destinationFollowsTheSystemdEnvironment() {
        #expect(LogDestination.detect { $0 == "JOURNAL_STREAM" ? "8:1234" : nil } == .journal)
        #expect(LogDestination.detect { $0 == "INVOCATION_ID" ? "0123abcd" : nil } == .journal)
        #expect(LogDestination.detect { _ in nil } == .standardError)
        #expect(LogDestination.detect { _ in "" } == .standardError)
        // Started by systemd, but no journald listens (a container): stderr, not silently dropped lines.
        #expect(LogDestination.detect(environment: { $0 == "INVOCATION_ID" ? "0123abcd" : nil }, journalListens: false) == .standardError)
    }

    @Test func journalFieldsCarryTheProcessor() {
        let fields = JournalLogHandler.journalFields(
            level: .error, message: "Failed to start 'm4': Boot failed.",
            metadata: [LogKey.device: "remoteproc0", LogKey.name: "m4", LogKey.state: "offline", LogKey.errno: "-22"],
            identifier: "rprocd", file: "Manager.swift", line: 42, function: "start()")
        #expect(Array(fields.prefix(7)) == [
            "MESSAGE=Failed to start 'm4': Boot failed.", "PRIORITY=3", "SYSLOG_IDENTIFIER=rprocd",
            "REMOTEPROC_DEVICE=remoteproc0", "REMOTEPROC_NAME=m4", "REMOTEPROC_STATE=offline", "ERRNO=22",
        ])
        #expect(fields.contains("CODE_LINE=42"))
    }

    @Test func journalFieldsLeaveOutMissingMetadata() {
        let fields = JournalLogHandler.journalFields(
            level: .notice, message: "Reloaded.", metadata: [:], identifier: "rprocd", file: "f", line: 1, function: "g")
        #expect(!fields.contains { $0.hasPrefix("REMOTEPROC_") })
        #expect(fields.contains("PRIORITY=5"))
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalLogHandler.priority(of: level) == priority)
    }

    @Test func standardErrorLineIsPrefixed() {
        #expect(JournalLogHandler.standardErrorLine(identifier: "rprocd", message: "Failed to start 'm4': x")
            == "rprocd: Failed to start 'm4': x\n")
    }
}
