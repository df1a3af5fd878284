// D-Bus error names → rprocctl exit codes, one table (docs/dbus-api.md, "Errors").

/// How a verb turns a D-Bus error into its exit code.
///
/// Mirrors systemd's `translate_bus_error_to_exit_status` (`src/systemctl/systemctl-util.c`):
/// actions use the LSB action codes; `is-running` and `status` use the LSB status codes, in which
/// anything that keeps the state from being known is 4 ("unknown").
enum DaemonErrorCodes: Sendable {
    /// start, stop, show, list, …: the LSB action codes.
    case action
    /// is-running, status NAME: the LSB status codes.
    case status

    /// The action code for each error name rprocd (or D-Bus) answers with; any other name is 1.
    static let table: [(String, ExitStatus)] = [
        ("org.daybreak.RemoteProc1.Error.NoSuchProcessor", .noSuchProcessor),
        ("org.daybreak.RemoteProc1.Error.InvalidTransition", .failure),
        ("org.daybreak.RemoteProc1.Error.NotRunning", .notRunning),
        ("org.daybreak.RemoteProc1.Error.NotConfigured", .notConfigured),
        ("org.daybreak.RemoteProc1.Error.Busy", .failure),
        ("org.daybreak.RemoteProc1.Error.Failed", .failure),
        ("org.daybreak.RemoteProc1.Error.FirmwareNotFound", .notConfigured),
        ("org.daybreak.RemoteProc1.Error.FirmwareInvalid", .failure),
        ("org.daybreak.RemoteProc1.Error.KernelRefused", .failure),
        ("org.daybreak.RemoteProc1.Error.ReadOnly", .noPermission),
        ("org.daybreak.RemoteProc1.Error.Timeout", .failure),
        ("org.daybreak.RemoteProc1.Error.RolledBack", .failure),
        ("org.daybreak.RemoteProc1.Error.NoSuchCoredump", .failure),
        ("org.freedesktop.DBus.Error.AccessDenied", .noPermission),
        ("org.freedesktop.DBus.Error.InvalidArgs", .invalidArgument),
    ]

    private static let byName: [String: ExitStatus] = Dictionary(table, uniquingKeysWith: { first, _ in first })

    /// The exit code for the D-Bus error `name`.
    func status(forErrorName name: String) -> ExitStatus {
        switch self {
        case .action: return Self.byName[name] ?? .failure
        case .status: return .statusUnknown
        }
    }

    /// The exit code when rprocd cannot be reached at all.
    var unreachable: ExitStatus { self == .action ? .failure : .statusUnknown }
}
