// The `[Daemon]` section of rprocd.conf and its drop-ins, as a table `Key → parser` (the Swift
// form of timesyncd's gperf table). Unknown keys and bad values are warnings with `file:line`,
// ending in ", ignoring"; the default stays.
// TEMPORARY home: moves to RprocModel's configuration model when it lands on `model`.

import SystemdIni

extension DaemonSettings {
    private typealias Parser = @Sendable (inout DaemonSettings, String) throws -> Void

    private static let daemonKeys: [String: Parser] = [
        "SocketPath": { settings, value in
            guard value.hasPrefix("/") else { throw ValueError(type: "path", value: value, reason: .invalid) }
            settings.socketPath = value
        },
        "SocketGroup": { settings, value in settings.socketGroup = value },
        "SocketMode": { settings, value in
            guard let mode = parseMode(value) else { throw ValueError(type: "mode", value: value, reason: .invalid) }
            settings.socketMode = mode
        },
        "AdminGroup": { settings, value in settings.adminGroup = value },
        "SystemBus": { settings, value in settings.systemBus = try Values.parseBoolean(value) },
        "PollIntervalSec": { settings, value in
            let span = try Values.parseTimeSpan(value)
            guard !span.isInfinite, span.microseconds >= 10_000 else {
                throw ValueError(type: "time span", value: value, reason: .outOfRange)
            }
            settings.pollIntervalMicroseconds = span.microseconds
        },
    ]

    /// The settings of rprocd.conf (with drop-ins) over the defaults, and the warnings to log.
    public static func parse(_ document: Document) -> (settings: DaemonSettings, warnings: [String]) {
        var settings = DaemonSettings()
        var warnings = document.warnings.map { "\($0), ignoring." }
        for assignment in document.assignments {
            guard assignment.section == "Daemon" else {
                warnings.append("\(assignment.location): Unknown section '\(assignment.section)', ignoring.")
                continue
            }
            guard let parser = daemonKeys[assignment.key] else {
                warnings.append("\(assignment.location): Unknown key '\(assignment.key)' in section [Daemon], ignoring.")
                continue
            }
            do {
                try parser(&settings, assignment.value)
            } catch {
                warnings.append(
                    "\(assignment.location): Invalid \(assignment.key)='\(assignment.value)': \(error), ignoring.")
            }
        }
        return (settings, warnings)
    }

    /// The settings from the files of `snapshot`.
    public static func parse(_ snapshot: ConfigSnapshot) -> (settings: DaemonSettings, warnings: [String]) {
        let merged = ConfigFiles.merge(name: "rprocd.conf", directories: snapshot.directories, files: snapshot.files)
        return parse(merged.document)
    }
}
