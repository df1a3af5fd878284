import CSystemd
import Glibc

/// The service manager's side channels: `sd_notify` state lines and socket-activated fds.
///
/// All calls are harmless outside systemd (`NOTIFY_SOCKET` unset): they return false or nothing.
public enum Systemd {
    /// Sends one or more newline-separated `KEY=value` assignments to the service manager.
    ///
    /// - Returns: whether a notification socket existed and the message was sent.
    /// The corresponding C function is `sd_notify` (the non-variadic one).
    @discardableResult
    public static func notify(_ state: String) -> Bool { sd_notify(0, state) > 0 }

    /// `READY=1`, optionally with a `STATUS=` line.
    @discardableResult
    public static func ready(status: String? = nil) -> Bool {
        notify(status.map { "READY=1\nSTATUS=\($0)" } ?? "READY=1")
    }

    /// `STATUS=…`: the one-line status `systemctl status` shows.
    @discardableResult
    public static func status(_ text: String) -> Bool { notify("STATUS=\(text)") }

    /// `STOPPING=1`.
    @discardableResult
    public static func stopping() -> Bool { notify("STOPPING=1") }

    /// `RELOADING=1`; follow with `ready()` when the reload is done.
    @discardableResult
    public static func reloading() -> Bool { notify("RELOADING=1") }

    /// `WATCHDOG=1`. Not needed when the loop's watchdog is enabled (`EventLoop.enableWatchdog()`).
    @discardableResult
    public static func watchdog() -> Bool { notify("WATCHDOG=1") }

    /// The watchdog interval systemd asked for (`WatchdogSec=`), in µs, or nil when none.
    ///
    /// The corresponding C function is `sd_watchdog_enabled`.
    public static var watchdogMicroseconds: UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 ? usec : nil
    }

    /// The fds passed by socket activation (`LISTEN_FDS`), starting at 3, with close-on-exec set.
    ///
    /// - Parameter unsetEnvironment: remove `LISTEN_FDS`/`LISTEN_PID`/`LISTEN_FDNAMES` so children do not see them.
    /// The corresponding C function is `sd_listen_fds`.
    public static func listenFDs(unsetEnvironment: Bool = true) -> [Int32] {
        let n = sd_listen_fds(unsetEnvironment ? 1 : 0)
        guard n > 0 else { return [] }
        return (0..<n).map { Int32(SD_LISTEN_FDS_START) + $0 }
    }

    /// Whether `fd` is a listening AF_UNIX stream socket (bound to `path` when given).
    ///
    /// The corresponding C function is `sd_is_socket_unix`.
    public static func isListeningUnixSocket(_ fd: Int32, path: String? = nil) -> Bool {
        if let path {
            return sd_is_socket_unix(fd, Int32(SOCK_STREAM.rawValue), 1, path, 0) > 0
        }
        return sd_is_socket_unix(fd, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0
    }
}
