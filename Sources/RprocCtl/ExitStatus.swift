// The exit codes of rprocctl, one table for the code and for `--help`.

/// An exit code of rprocctl, following systemctl's LSB conventions.
///
/// Mirrors systemd's `EXIT_SUCCESS`, `EXIT_FAILURE` and the LSB action code
/// `EXIT_INVALIDARGUMENT` (`src/basic/exit-status.h`). The daemon verbs of issue #5 add the
/// other LSB codes (3 not implemented, 4 no permission, 5 not installed, 6 not configured,
/// 7 not running) to ``table`` together with the verbs that return them.
public struct ExitStatus: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The command did what was asked; for `validate`, every selected kernel would boot the image.
    public static let success = ExitStatus(rawValue: 0)
    /// The command failed; for `validate`, a selected kernel would refuse the image.
    public static let failure = ExitStatus(rawValue: 1)
    /// Invalid arguments or options (LSB "invalid or excess argument(s)"), or a file that cannot
    /// be read. ArgumentParser's own code for this, `EX_USAGE` (64), is never returned.
    public static let invalidArgument = ExitStatus(rawValue: 2)

    /// Every exit code with the sentence `--help` and the man page give for it.
    public static let table: [(ExitStatus, String)] = [
        (.success, "success; validate: every selected kernel would boot the image"),
        (.failure, "failure; validate: a selected kernel would refuse the image"),
        (.invalidArgument, "invalid arguments or options, or a file that cannot be read"),
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
