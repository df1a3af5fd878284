// Value parsers shared by every configuration file, with systemd's syntax and limits
// (src/basic/parse-util.c, src/basic/time-util.c).

/// A value that could not be parsed.
public struct ValueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why it failed.
    public enum Reason: Hashable, Sendable {
        /// Not in the syntax of the type.
        case invalid
        /// Well-formed, but does not fit (systemd's `-ERANGE`).
        case outOfRange
    }

    /// What was being parsed, in words: `boolean`, `time span`, `size`, `integer`, `memory window`.
    public var type: String
    /// The text as given.
    public var value: String
    /// Why it failed.
    public var reason: Reason

    public init(type: String, value: String, reason: Reason) {
        self.type = type
        self.value = value
        self.reason = reason
    }

    /// `Invalid time span 'soon'` / `Time span '…' is out of range`.
    public var description: String {
        switch reason {
        case .invalid: return "Invalid \(type) '\(value)'"
        case .outOfRange: return "\(type.prefix(1).uppercased())\(type.dropFirst()) '\(value)' is out of range"
        }
    }
}

/// A duration in microseconds, as systemd's `usec_t`; `infinity` is `UInt64.max` (`USEC_INFINITY`).
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The span in µs; `UInt64.max` is infinity.
    public var microseconds: UInt64

    public init(microseconds: UInt64) { self.microseconds = microseconds }

    /// `infinity` (`USEC_INFINITY`).
    public static let infinity = TimeSpan(microseconds: .max)
    public static let zero = TimeSpan(microseconds: 0)
    public static func seconds(_ s: UInt64) -> TimeSpan { TimeSpan(microseconds: s * 1_000_000) }
    public static func milliseconds(_ ms: UInt64) -> TimeSpan { TimeSpan(microseconds: ms * 1_000) }

    /// Whether this is `infinity`.
    public var isInfinite: Bool { microseconds == .max }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.microseconds < b.microseconds }

    /// `infinity`, `0`, or whole units from days down to µs, as `parseTimeSpan` reads them back:
    /// `1min 30s`, `1s 500ms`, `100ms`, `2d 3h`, `7us`.
    public var description: String {
        if isInfinite { return "infinity" }
        if microseconds == 0 { return "0" }
        let units: [(String, UInt64)] = [
            ("d", 86_400_000_000), ("h", 3_600_000_000), ("min", 60_000_000), ("s", 1_000_000), ("ms", 1_000), ("us", 1),
        ]
        var rest = microseconds
        var parts: [String] = []
        for (suffix, usec) in units where rest >= usec {
            parts.append("\(rest / usec)\(suffix)")
            rest %= usec
        }
        return parts.joined(separator: " ")
    }
}

/// A memory region of the remote processor as it sees it: device address and length (`DA:LEN`).
public struct MemoryWindow: Hashable, Sendable, CustomStringConvertible {
    /// The device address (what the remote sees; ELF `p_paddr`).
    public var deviceAddress: UInt64
    /// The size in bytes (never 0).
    public var length: UInt64

    public init(deviceAddress: UInt64, length: UInt64) {
        self.deviceAddress = deviceAddress
        self.length = length
    }

    /// Whether `[address, address+size)` lies inside the window.
    public func contains(address: UInt64, size: UInt64) -> Bool {
        guard address >= deviceAddress else { return false }
        let offset = address - deviceAddress
        return offset <= length && size <= length - offset
    }

    /// `0x10000000:0x40000`.
    public var description: String {
        "0x\(String(deviceAddress, radix: 16)):0x\(String(length, radix: 16))"
    }
}

/// The parsers. Every one takes the value as written (surrounding whitespace allowed) and throws a
/// `ValueError` naming the type and the text.
public enum Values {
    /// `1`/`yes`/`y`/`true`/`t`/`on` and `0`/`no`/`n`/`false`/`f`/`off`, case-insensitive
    /// (systemd's `parse_boolean`).
    public static func parseBoolean(_ text: String) throws(ValueError) -> Bool {
        switch text.trimmedWhitespace().lowercased() {
        case "1", "yes", "y", "true", "t", "on": return true
        case "0", "no", "n", "false", "f", "off": return false
        default: throw ValueError(type: "boolean", value: text, reason: .invalid)
        }
    }

    /// Unit suffixes of `parse_time`, in the order systemd tries them (longest prefix first where
    /// two share a start: `msec` before `ms` before `m`).
    static let timeUnits: [(suffix: String, usec: UInt64)] = {
        let sec: UInt64 = 1_000_000, minute = 60 * sec, hour = 60 * minute, day = 24 * hour
        let month: UInt64 = 2_629_800 * sec, year: UInt64 = 31_557_600 * sec
        return [
            ("seconds", sec), ("second", sec), ("sec", sec), ("s", sec),
            ("minutes", minute), ("minute", minute), ("min", minute),
            ("months", month), ("month", month), ("M", month),
            ("msec", 1_000), ("ms", 1_000), ("m", minute),
            ("hours", hour), ("hour", hour), ("hr", hour), ("h", hour),
            ("days", day), ("day", day), ("d", day),
            ("weeks", 7 * day), ("week", 7 * day), ("w", 7 * day),
            ("years", year), ("year", year), ("y", year),
            ("usec", 1), ("us", 1), ("\u{03BC}s", 1), ("\u{00B5}s", 1),
        ]
    }()

    /// A time span as systemd's `parse_time` reads it: `5s`, `100ms`, `1min 30s`, `1.5s`, `2h`,
    /// `infinity`; a number without a unit is in `defaultUnit` (seconds for `…Sec=` settings).
    ///
    /// - Throws: `ValueError` `.invalid` for bad syntax, `.outOfRange` for a negative value or one
    ///   that reaches `USEC_INFINITY`.
    public static func parseTimeSpan(_ text: String, defaultUnit: TimeSpan = .seconds(1)) throws(ValueError) -> TimeSpan {
        let invalid = ValueError(type: "time span", value: text, reason: .invalid)
        let range = ValueError(type: "time span", value: text, reason: .outOfRange)
        let chars = Array(text.unicodeScalars)
        var i = 0
        func skipWhitespace() { while i < chars.count, isSpace(chars[i]) { i += 1 } }
        skipWhitespace()
        if matches(chars, at: i, "infinity") {
            var j = i + 8
            while j < chars.count, isSpace(chars[j]) { j += 1 }
            guard j == chars.count else { throw invalid }
            return .infinity
        }
        var total: UInt64 = 0
        var something = false
        while true {
            skipWhitespace()
            if i == chars.count {
                guard something else { throw invalid }
                return TimeSpan(microseconds: total)
            }
            if chars[i] == "-" { throw range }
            if chars[i] == "+" { i += 1 }
            let intStart = i
            guard let whole = decimalDigits(chars, &i) else { throw range }
            let hasWhole = i > intStart
            var fraction: [UInt64] = []
            if i < chars.count, chars[i] == "." {
                i += 1
                while i < chars.count, let d = digit(chars[i]) { fraction.append(d); i += 1 }
                // "3.", "3.sec", "0.-0": no digit after the dot.
                if fraction.isEmpty { throw invalid }
            } else if !hasWhole {
                throw invalid
            }
            let numberEnd = i
            skipWhitespace()
            var multiplier = defaultUnit.microseconds
            if let unit = timeUnits.first(where: { matches(chars, at: i, $0.suffix) }) {
                multiplier = unit.usec
                i += unit.suffix.unicodeScalars.count
            } else if i == numberEnd, i < chars.count {
                // "12.34.56", "5x": a number followed directly by something that is no unit.
                throw invalid
            }
            guard multiplier > 0 else { throw invalid }
            if whole >= UInt64.max / multiplier { throw range }
            let k = whole * multiplier
            if k >= UInt64.max - total { throw range }
            total += k
            var m = multiplier / 10
            for d in fraction {
                let part = d * m
                if part >= UInt64.max - total { throw range }
                total += part
                m /= 10
            }
            something = true
        }
    }

    /// IEC suffixes of `parse_size` with base 1024, largest first.
    static let sizeUnits: [(suffix: String, factor: UInt64)] = [
        ("E", 1 << 60), ("P", 1 << 50), ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10),
        ("B", 1), ("", 1),
    ]

    /// A size as systemd's `parse_size(t, 1024, …)` reads it: `512`, `512K`, `1M`, `1.5M`, `1G`,
    /// also sums in decreasing units (`1G 512M`). The result is in bytes.
    ///
    /// - Throws: `ValueError` `.invalid` for bad syntax or an unknown suffix, `.outOfRange` for a
    ///   negative value or one that exceeds 64 bits.
    public static func parseSize(_ text: String) throws(ValueError) -> UInt64 {
        let invalid = ValueError(type: "size", value: text, reason: .invalid)
        let range = ValueError(type: "size", value: text, reason: .outOfRange)
        let chars = Array(text.trimmedWhitespace().unicodeScalars)
        guard !chars.isEmpty else { throw invalid }
        var i = 0
        var total: UInt64 = 0
        var startUnit = 0
        repeat {
            while i < chars.count, isSpace(chars[i]) { i += 1 }
            if i < chars.count, chars[i] == "-" { throw range }
            let start = i
            guard let whole = decimalDigits(chars, &i) else { throw range }
            guard i > start else { throw invalid }
            var fraction = 0.0
            if i < chars.count, chars[i] == "." {
                i += 1
                var scale = 0.1
                while i < chars.count, let d = digit(chars[i]) {
                    fraction += Double(d) * scale
                    scale /= 10
                    i += 1
                }
            }
            while i < chars.count, isSpace(chars[i]) { i += 1 }
            guard let u = sizeUnits.indices.dropFirst(startUnit).first(where: { matches(chars, at: i, sizeUnits[$0].suffix) })
            else { throw invalid }
            let factor = sizeUnits[u].factor
            if whole + (fraction > 0 ? 1 : 0) > UInt64.max / factor { throw range }
            let part = whole * factor + UInt64(fraction * Double(factor))
            if part > UInt64.max - total { throw range }
            total += part
            i += sizeUnits[u].suffix.unicodeScalars.count
            startUnit = u + 1
        } while i < chars.count
        return total
    }

    /// An integer in decimal, or hexadecimal with `0x`/`0X` (`-` allowed for signed types).
    ///
    /// - Throws: `ValueError` `.invalid` for bad syntax, `.outOfRange` when it does not fit `T`.
    public static func parseInteger<T: FixedWidthInteger>(_ text: String, as: T.Type = T.self) throws(ValueError) -> T {
        let invalid = ValueError(type: "integer", value: text, reason: .invalid)
        var s = text.trimmedWhitespace()
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        var radix = 10
        if s.hasPrefix("0x") || s.hasPrefix("0X") { radix = 16; s = s.dropFirst(2) }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && (radix == 16 ? $0.isHexDigit : $0.isWholeNumber) }) else {
            throw invalid
        }
        guard let magnitude = UInt64(s, radix: radix) else {
            throw ValueError(type: "integer", value: text, reason: .outOfRange)
        }
        if negative {
            guard T.isSigned, magnitude <= UInt64(T.max) + 1 else {
                throw ValueError(type: "integer", value: text, reason: magnitude == 0 ? .invalid : .outOfRange)
            }
            return magnitude == UInt64(T.max) + 1 ? T.min : 0 - T(magnitude)
        }
        guard let v = T(exactly: magnitude) else {
            throw ValueError(type: "integer", value: text, reason: .outOfRange)
        }
        return v
    }

    /// A file mode in octal, as systemd's `parse_mode` reads `SocketMode=`: `660`, `0660`, at most `07777`.
    ///
    /// - Throws: `ValueError` (`file mode`) `.invalid` for a non-octal digit, `.outOfRange` above 07777.
    public static func parseMode(_ text: String) throws(ValueError) -> UInt16 {
        let s = text.trimmedWhitespace()
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ("0"..."7").contains($0) }) else {
            throw ValueError(type: "file mode", value: text, reason: .invalid)
        }
        guard let mode = UInt64(s, radix: 8), mode <= 0o7777 else {
            throw ValueError(type: "file mode", value: text, reason: .outOfRange)
        }
        return UInt16(mode)
    }

    /// The whitespace-separated words of a list setting (no quoting).
    public static func parseList(_ text: String) -> [String] {
        text.split(whereSeparator: { whitespace.contains($0) }).map(String.init)
    }

    /// A memory window `DA:LEN`: the device address in decimal or `0x` hex; the length in decimal
    /// or `0x` hex, optionally followed by `K`, `M` or `G` (base 1024): `0x10000000:256K`.
    ///
    /// - Throws: `ValueError` (`memory window`) when a part is malformed, the length is 0, or the
    ///   window would wrap past the end of the 64-bit address space.
    public static func parseMemoryWindow(_ text: String) throws(ValueError) -> MemoryWindow {
        let invalid = ValueError(type: "memory window", value: text, reason: .invalid)
        let range = ValueError(type: "memory window", value: text, reason: .outOfRange)
        let parts = text.trimmedWhitespace().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw invalid }
        let address: UInt64
        do { address = try parseInteger(String(parts[0]), as: UInt64.self) } catch {
            throw error.reason == .invalid ? invalid : range
        }
        var lengthText = parts[1].trimmedWhitespace()
        var factor: UInt64 = 1
        let isHex = lengthText.hasPrefix("0x") || lengthText.hasPrefix("0X")
        if let last = lengthText.last, !isHex || !last.isHexDigit {
            switch last {
            case "K", "k": factor = 1 << 10
            case "M": factor = 1 << 20
            case "G": factor = 1 << 30
            default: break
            }
            if factor > 1 { lengthText = lengthText.dropLast() }
        }
        let count: UInt64
        do { count = try parseInteger(String(lengthText), as: UInt64.self) } catch {
            throw error.reason == .invalid ? invalid : range
        }
        let (length, overflow) = count.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw range }
        guard length > 0 else { throw invalid }
        guard length - 1 <= UInt64.max - address else { throw range }
        return MemoryWindow(deviceAddress: address, length: length)
    }

    // MARK: Scalar helpers

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }

    static func digit(_ c: Unicode.Scalar) -> UInt64? {
        c.value >= 48 && c.value <= 57 ? UInt64(c.value - 48) : nil
    }

    /// Reads the decimal digits at `i` (possibly none, giving 0), advancing `i`; `nil` on overflow.
    static func decimalDigits(_ chars: [Unicode.Scalar], _ i: inout Int) -> UInt64? {
        var value: UInt64 = 0
        while i < chars.count, let d = digit(chars[i]) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        return value
    }

    static func matches(_ chars: [Unicode.Scalar], at i: Int, _ word: String) -> Bool {
        var j = i
        for c in word.unicodeScalars {
            guard j < chars.count, chars[j] == c else { return false }
            j += 1
        }
        return true
    }
}
