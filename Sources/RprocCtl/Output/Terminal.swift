// What rprocctl needs to know about its standard streams, and writing to them.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The process's standard output and error.
enum Terminal {
    /// True when file descriptor `fd` is a terminal. The corresponding C function is `isatty`.
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Whether to colour standard output: only on a terminal, and not when `NO_COLOR` is set
    /// (no-color.org) or `TERM` is `dumb`, as systemd's `colors_enabled` decides.
    static func colorsEnabled(environment: [String: String], stdoutIsTerminal: Bool) -> Bool {
        guard stdoutIsTerminal else { return false }
        if environment["NO_COLOR"] != nil { return false }
        return environment["TERM"] != "dumb"
    }

    /// Reads the variables that decide colours. The corresponding C function is `getenv`.
    static func environment(_ names: [String]) -> [String: String] {
        var values: [String: String] = [:]
        for name in names {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }

    /// Writes all of `text` to `fd`, retrying on EINTR and short writes. A failure to write
    /// (a closed pipe) ends the output silently, as `fputs` would.
    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { buffer in
            var done = 0
            while done < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                done += written
            }
        }
    }
}
