// The exit codes of rprocctl, one table for the code and for `--help`.

/// An exit code of rprocctl, following systemctl's LSB conventions.
///
/// Mirrors systemd's `EXIT_SUCCESS`, `EXIT_FAILURE` and the LSB action codes
/// (`src/basic/exit-status.h`: `EXIT_INVALIDARGUMENT`, `EXIT_NOPERMISSION`, `EXIT_NOTINSTALLED`,
/// `EXIT_NOTCONFIGURED`, `EXIT_NOTRUNNING`), and for `is-running`/`status` the LSB status codes
/// (`src/systemctl/systemctl-util.h`: `EXIT_PROGRAM_NOT_RUNNING` 3, `EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN` 4).
/// D-Bus error names map to them through ``DaemonErrorCodes``.
public struct ExitStatus: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The command did what was asked; for `validate`, every selected kernel would boot the image.
    public static let success = ExitStatus(rawValue: 0)
    /// The command failed (refused, busy, a kernel error, rprocd not running); for `validate`, a
    /// selected kernel would refuse the image.
    public static let failure = ExitStatus(rawValue: 1)
    /// Invalid arguments or options (LSB "invalid or excess argument(s)"), or a file that cannot
    /// be read. ArgumentParser's own code for this, `EX_USAGE` (64), is never returned.
    public static let invalidArgument = ExitStatus(rawValue: 2)
    /// `is-running`, `status NAME`: the processor is not running (LSB status "program is not running").
    public static let programNotRunning = ExitStatus(rawValue: 3)
    /// The caller may not do this (`AccessDenied`, a read-only attribute): LSB "user had insufficient privilege".
    public static let noPermission = ExitStatus(rawValue: 4)
    /// `is-running`, `status NAME`: no such processor, or rprocd cannot be asked (LSB status "unknown").
    public static let statusUnknown = ExitStatus(rawValue: 4)
    /// No such processor, or an ambiguous name (LSB "program is not installed").
    public static let noSuchProcessor = ExitStatus(rawValue: 5)
    /// No firmware is set, configured or found (LSB "program is not configured").
    public static let notConfigured = ExitStatus(rawValue: 6)
    /// The action needs a running processor (LSB "program is not running").
    public static let notRunning = ExitStatus(rawValue: 7)

    /// Every exit code with the sentence `--help` and the man page give for it.
    public static let table: [(ExitStatus, String)] = [
        (.success, "success; validate: every selected kernel would boot the image"),
        (.failure, "failure (refused, busy, a kernel error, rprocd not running); validate: a selected kernel would refuse the image"),
        (.invalidArgument, "invalid arguments or options, or a file that cannot be read"),
        (.programNotRunning, "is-running, status NAME: the processor is not running"),
        (.noPermission, "access denied (run as root or as a member of rprocd's AdminGroup=), or a read-only attribute; is-running, status: no such processor, or rprocd cannot be asked"),
        (.noSuchProcessor, "no such processor, or an ambiguous name"),
        (.notConfigured, "not configured: no firmware is set, configured or found"),
        (.notRunning, "not running: the action needs a running (or crashed) processor"),
    ]

    /// The "EXIT STATUS" paragraph of `rprocctl --help`, derived from ``table``.
    static var helpText: String {
        "EXIT STATUS:\n" + table.map { "  \($0.0.rawValue)  \($0.1)" }.joined(separator: "\n")
    }
}

/// An error that rprocctl reports with its own message and exit code (no usage text).
///
/// The message follows systemd's style: it says what failed and names paths in single quotes,
/// e.g. "Failed to open 'fw.elf': No such file or directory (ENOENT)".
public struct CommandFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let status: ExitStatus

    public init(_ message: String, status: ExitStatus) {
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
