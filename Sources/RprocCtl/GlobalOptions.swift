// Options every verb accepts, as systemctl and busctl do.

import ArgumentParser
import RprocJSON

/// The output mode of `--json`.
///
/// Mirrors systemd's `--json=short|pretty|off` (`parse_json_argument`); `help` lists the modes.
public enum JSONMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Human-readable tables.
    case off
    /// One line of JSON.
    case short
    /// Indented JSON.
    case pretty
    /// List the modes and exit.
    case help

    /// The argument a bare `--json` stands for: pretty on a terminal, short otherwise
    /// (what systemd's `-j` does).
    static func bare(stdoutIsTerminal: Bool) -> JSONMode { stdoutIsTerminal ? .pretty : .short }
}

/// Options shared by every verb, pulled in with `@OptionGroup`.
public struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("json"),
        help: ArgumentHelp(
            "Print JSON instead of tables: short, pretty or off ('help' lists them). --json without a mode is pretty on a terminal and short otherwise.",
            valueName: "mode"))
    public var json: JSONMode = .off

    @Flag(name: .customLong("no-legend"), help: "Print tables without their header and the closing count line.")
    public var noLegend = false

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing on standard output; only the exit code tells the result.")
    public var quiet = false

    @Flag(name: .customLong("no-pager"), help: "Accepted for systemctl compatibility; rprocctl never starts a pager.")
    public var noPager = false

    public init() {}

    public mutating func validate() throws {
        if json == .help {
            throw CleanExit.message(JSONMode.allCases.filter { $0 != .help }.map(\.rawValue).joined(separator: "\n"))
        }
    }

    /// The JSON layout to print, or nil for tables.
    var jsonFormat: JSONFormat? {
        switch json {
        case .off, .help: return nil
        case .short: return .short
        case .pretty: return .pretty
        }
    }
}
