// Value parsers for command-line options that mirror configuration keys.
// TEMPORARY: replaced by SystemdIni's shared parsers once the `model` branch lands.

enum ConfigValues {
    /// systemd booleans: 1/yes/y/true/t/on and 0/no/n/false/f/off.
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "yes", "y", "true", "t", "on": true
        case "0", "no", "n", "false", "f", "off": false
        default: nil
        }
    }

    /// A systemd time span in µs: `5s`, `100ms`, `1min 30s`; a bare number is seconds.
    static func timeSpanMicroseconds(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [
            ("usec", 1), ("us", 1), ("msec", 1_000), ("ms", 1_000), ("seconds", 1_000_000), ("second", 1_000_000),
            ("sec", 1_000_000), ("s", 1_000_000), ("minutes", 60_000_000), ("minute", 60_000_000),
            ("min", 60_000_000), ("hours", 3_600_000_000), ("hour", 3_600_000_000), ("h", 3_600_000_000),
        ]
        var total: UInt64 = 0
        var rest = Substring(text)
        var sawComponent = false
        while true {
            rest = rest.drop { $0 == " " }
            if rest.isEmpty { break }
            let digits = rest.prefix { $0.isNumber }
            guard !digits.isEmpty, let number = UInt64(digits) else { return nil }
            rest = rest.dropFirst(digits.count).drop { $0 == " " }
            let word = rest.prefix { $0.isLetter }
            let multiplier: UInt64
            if word.isEmpty {
                multiplier = 1_000_000
            } else {
                guard let unit = units.first(where: { $0.0 == word }) else { return nil }
                multiplier = unit.1
            }
            rest = rest.dropFirst(word.count)
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            guard !overflow else { return nil }
            total += product
            sawComponent = true
        }
        return sawComponent ? total : nil
    }
}
