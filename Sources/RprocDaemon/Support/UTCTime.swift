// CLOCK_REALTIME µs as UTC calendar text, without Foundation: Howard Hinnant's `civil_from_days` and
// `days_from_civil`. Used for coredump metadata and file names and for staged firmware names.

/// UTC calendar text for a CLOCK_REALTIME time in µs.
public enum UTCTime {
    /// `2026-12-01T08:09:25.123456Z` (coredump metadata).
    public static func iso8601(_ usec: UInt64) -> String {
        let (date, time, micro) = split(usec)
        return "\(date.0)-\(pad(date.1, 2))-\(pad(date.2, 2))T\(pad(time.0, 2)):\(pad(time.1, 2)):\(pad(time.2, 2)).\(pad(micro, 6))Z"
    }

    /// `20261201T080925.123456Z`: sortable, no colons (coredump file names).
    public static func compact(_ usec: UInt64) -> String {
        let (date, time, micro) = split(usec)
        return "\(date.0)\(pad(date.1, 2))\(pad(date.2, 2))T\(pad(time.0, 2))\(pad(time.1, 2))\(pad(time.2, 2)).\(pad(micro, 6))Z"
    }

    /// `20261201T085512Z`: whole seconds (staged firmware names).
    public static func compactSeconds(_ usec: UInt64) -> String {
        let (date, time, _) = split(usec)
        return "\(date.0)\(pad(date.1, 2))\(pad(date.2, 2))T\(pad(time.0, 2))\(pad(time.1, 2))\(pad(time.2, 2))Z"
    }

    /// The inverse of `compactSeconds`, in µs; nil for anything else.
    public static func parseCompactSeconds(_ text: String) -> UInt64? {
        let c = Array(text.utf8)
        guard c.count == 16, c[8] == UInt8(ascii: "T"), c[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: c[range], as: UTF8.self)) }
        guard let year = number(0 ..< 4), let month = number(4 ..< 6), let day = number(6 ..< 8),
            let hour = number(9 ..< 11), let minute = number(11 ..< 13), let second = number(13 ..< 15),
            (1 ... 12).contains(month), (1 ... 31).contains(day), hour < 24, minute < 60, second < 60, year >= 1970
        else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return UInt64(seconds) * 1_000_000
    }

    static func split(_ usec: UInt64) -> (date: (Int, Int, Int), time: (Int, Int, Int), micro: Int) {
        let seconds = Int(usec / 1_000_000)
        let rest = seconds % 86_400
        return (civil(days: seconds / 86_400), (rest / 3600, rest / 60 % 60, rest % 60), Int(usec % 1_000_000))
    }

    /// `civil_from_days` for days since 1970-01-01 (non-negative here: the input is unsigned).
    static func civil(days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `days_from_civil` (years from 1970 on).
    static func days(year y0: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? y0 - 1 : y0
        let era = y / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
