// rprocd's swift-log backend: structured journal entries under systemd, plain lines on stderr
// otherwise. Messages follow systemd's CODING_STYLE: logged once, where the error is handled
// ("Failed to start 'm4': …"), non-fatal problems end in ", ignoring", names in single quotes.

import CSystemd
import Glibc
import Logging

/// Where rprocd's log lines go.
public enum LogDestination: Sendable, Equatable {
    /// The native journal protocol (`sd_journal_sendv`), with structured fields.
    case journal
    /// One line per message on standard error: `rprocd: Failed to start 'm4': …`.
    case standardError

    /// The journal when systemd started us (it sets `JOURNAL_STREAM` when stderr is connected
    /// to the journal, and `INVOCATION_ID` for every service) and journald listens, standard
    /// error otherwise (`sd_journal_sendv` drops entries silently when there is no journal).
    ///
    /// - Parameters:
    ///   - environment: looks a variable up (`getenv` in the daemon; a dictionary in tests).
    ///   - journalListens: whether `/run/systemd/journal/socket` exists.
    public static func detect(environment: (String) -> String?, journalListens: Bool = true) -> LogDestination {
        guard journalListens else { return .standardError }
        if let stream = environment("JOURNAL_STREAM"), !stream.isEmpty { return .journal }
        if let id = environment("INVOCATION_ID"), !id.isEmpty { return .journal }
        return .standardError
    }

    /// `detect` over the process environment and the journal's socket.
    public static func detectFromProcess() -> LogDestination {
        detect(
            environment: { name in getenv(name).map { String(cString: $0) } },
            journalListens: access("/run/systemd/journal/socket", F_OK) == 0)
    }
}

/// Metadata keys that become journal fields. The daemon sets them on every log line about a
/// processor, so `journalctl REMOTEPROC_NAME=m4` finds them.
public enum LogKey {
    /// The kernel device name, `remoteproc0`: journal field `REMOTEPROC_DEVICE=`.
    public static let device = "device"
    /// The kernel's `name`, `m4`: journal field `REMOTEPROC_NAME=`.
    public static let name = "name"
    /// The kernel `state` string at the time of the message: journal field `REMOTEPROC_STATE=`.
    public static let state = "state"
    /// A negative errno, as systemd logs it: journal field `ERRNO=` (positive, as journald wants).
    public static let errno = "errno"

    static let journalFields: [(key: String, field: String)] = [
        (device, "REMOTEPROC_DEVICE"), (name, "REMOTEPROC_NAME"), (state, "REMOTEPROC_STATE"),
        (errno, "ERRNO"),
    ]
}

/// A swift-log `LogHandler` writing to the journal or to standard error.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    public let destination: LogDestination
    /// `SYSLOG_IDENTIFIER=` and the stderr prefix.
    public let identifier: String

    public init(destination: LogDestination, identifier: String = "rprocd", level: Logger.Level = .info) {
        self.destination = destination
        self.identifier = identifier
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        switch destination {
        case .journal:
            let fields = Self.journalFields(
                level: event.level, message: event.message.description, metadata: merged,
                identifier: identifier, file: event.file, line: event.line, function: event.function)
            if Self.sendToJournal(fields) { return }
            // The journal socket is gone (journald restarting): do not lose the line.
            Self.writeStandardError(Self.standardErrorLine(identifier: identifier, message: event.message.description))
        case .standardError:
            Self.writeStandardError(Self.standardErrorLine(identifier: identifier, message: event.message.description))
        }
    }

    /// syslog priority of a swift-log level (`PRIORITY=`): trace and debug are 7, info 6,
    /// notice 5, warning 4, error 3, critical 2.
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The `FIELD=value` strings of one journal entry, in the order they are sent.
    public static func journalFields(
        level: Logger.Level, message: String, metadata: Logger.Metadata, identifier: String,
        file: String, line: UInt, function: String
    ) -> [String] {
        var fields = [
            "MESSAGE=\(message)",
            "PRIORITY=\(priority(of: level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
        ]
        for (key, field) in LogKey.journalFields {
            guard let value = metadata[key] else { continue }
            var text = value.description
            if key == LogKey.errno, text.hasPrefix("-") { text.removeFirst() }
            fields.append("\(field)=\(text)")
        }
        fields.append("CODE_FILE=\(file)")
        fields.append("CODE_LINE=\(line)")
        fields.append("CODE_FUNC=\(function)")
        return fields
    }

    /// The line written to standard error: `rprocd: <message>\n`. Metadata is left out: the
    /// message already names the processor, as systemd's own messages do.
    public static func standardErrorLine(identifier: String, message: String) -> String {
        "\(identifier): \(message)\n"
    }

    /// Sends one entry through `sd_journal_sendv` (one iovec per field, no format strings).
    /// Returns false when the journal refused it.
    static func sendToJournal(_ fields: [String]) -> Bool {
        // One contiguous buffer; each iovec points at one field inside it.
        var storage = [UInt8]()
        var ranges = [(offset: Int, length: Int)]()
        for field in fields {
            ranges.append((storage.count, field.utf8.count))
            storage.append(contentsOf: field.utf8)
        }
        return storage.withUnsafeMutableBytes { raw in
            let vectors = ranges.map { iovec(iov_base: raw.baseAddress! + $0.offset, iov_len: $0.length) }
            return sd_journal_sendv(vectors, Int32(vectors.count)) >= 0
        }
    }

    static func writeStandardError(_ line: String) {
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { raw in
                Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
