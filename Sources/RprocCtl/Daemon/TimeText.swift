// Times as systemctl prints them: "Tue 2026-12-01 08:17:32 UTC" and "5min 3s ago".

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

enum TimeText {
    /// Now on CLOCK_REALTIME, in µs (the clock of every `…USec` property).
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    /// `usec` (µs since the epoch) in local time with `format` (strftime). The corresponding C
    /// functions are `localtime_r` and `strftime`.
    static func local(_ usec: UInt64, _ format: String) -> String {
        var seconds = time_t(usec / 1_000_000)
        var broken = tm()
        guard localtime_r(&seconds, &broken) != nil else { return "\(usec)" }
        var buffer = [CChar](repeating: 0, count: 128)
        let count = strftime(&buffer, buffer.count, format, &broken)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "Tue 2026-12-01 08:17:32 UTC", as systemd's `format_timestamp`.
    static func timestamp(_ usec: UInt64) -> String { local(usec, "%a %Y-%m-%d %H:%M:%S %Z") }

    /// "2026-12-01 08:17:32.123", for one line of `monitor`.
    static func precise(_ usec: UInt64) -> String {
        let millis = usec / 1000 % 1000
        let digits = String(millis)
        return local(usec, "%Y-%m-%d %H:%M:%S") + "." + String(repeating: "0", count: 3 - digits.count) + digits
    }

    /// "3min 20s ago", "2h 5min ago", "1 day 4h ago", as systemd's `format_timestamp_relative`
    /// (two units at most); "in …" for a time ahead of `now`.
    static func relative(_ usec: UInt64, now: UInt64) -> String {
        let (distance, ahead) = usec > now ? (usec - now, true) : (now - usec, false)
        let text = span(distance)
        return ahead ? "in " + text : text + " ago"
    }

    /// A span in at most its two largest units: "1 day 4h", "2h 5min", "3min 20s", "4s", "120ms".
    static func span(_ usec: UInt64) -> String {
        let s = usec / 1_000_000
        let day: UInt64 = 86_400
        if s >= day {
            let days = s / day, hours = s % day / 3600
            return "\(days) day\(days == 1 ? "" : "s")" + (hours > 0 ? " \(hours)h" : "")
        }
        if s >= 3600 { return "\(s / 3600)h" + (s % 3600 / 60 > 0 ? " \(s % 3600 / 60)min" : "") }
        if s >= 60 { return "\(s / 60)min" + (s % 60 > 0 ? " \(s % 60)s" : "") }
        if s > 0 { return "\(s)s" }
        return "\(usec / 1000)ms"
    }

    /// "Tue 2026-12-01 08:17:32 UTC; 5min ago", or nil for 0 (never).
    static func since(_ usec: UInt64, now: UInt64) -> String? {
        usec == 0 ? nil : timestamp(usec) + "; " + relative(usec, now: now)
    }
}
