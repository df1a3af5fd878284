// Why a JSON text was refused, and where.

/// A JSON text that is not valid RFC 8259 JSON, or exceeds the parser's limits.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Hashable, Sendable {
        /// The text ended inside a value (or was empty).
        case unexpectedEnd
        /// This byte cannot appear here.
        case unexpectedByte(UInt8)
        /// A comma directly before `]` or `}`; `offset` is the comma's.
        case trailingComma
        /// A number with a superfluous leading zero (`01`, `-00`); `offset` is the zero's.
        case leadingZero
        /// A number that breaks the grammar (`-`, `1.`, `1e`, `.5`).
        case invalidNumber
        /// A real number too large for `Double` (`1e400`).
        case numberOutOfRange
        /// A backslash followed by a byte that starts no escape.
        case invalidEscape(UInt8)
        /// `\u` not followed by four hexadecimal digits.
        case invalidUnicodeEscape
        /// A `\u` escape of a UTF-16 surrogate without its partner.
        case loneSurrogate(UInt16)
        /// A raw control character (U+0000–U+001F) inside a string.
        case controlCharacterInString(UInt8)
        /// A string holds bytes that are not well-formed UTF-8.
        case invalidUTF8
        /// Something other than whitespace follows the value.
        case trailingData
        /// Arrays and objects nest deeper than the parser's limit.
        case depthLimitExceeded(limit: Int)
        /// An object names the same key twice.
        case duplicateKey(String)
    }

    /// What was wrong.
    public let reason: Reason
    /// The byte offset in the input where the problem was found.
    public let offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte): what = "unexpected \(Self.describe(byte))"
        case .trailingComma: what = "trailing comma"
        case .leadingZero: what = "number with a leading zero"
        case .invalidNumber: what = "invalid number"
        case .numberOutOfRange: what = "number out of range"
        case .invalidEscape(let byte): what = "invalid escape '\\\(Self.printable(byte))'"
        case .invalidUnicodeEscape: what = "\\u not followed by four hexadecimal digits"
        case .loneSurrogate(let unit): what = "lone UTF-16 surrogate \\u\(String(unit, radix: 16, uppercase: true))"
        case .controlCharacterInString(let byte): what = "unescaped control character 0x\(Self.hex(byte)) in string"
        case .invalidUTF8: what = "invalid UTF-8 in string"
        case .trailingData: what = "data after the JSON value"
        case .depthLimitExceeded(let limit): what = "arrays and objects nested deeper than \(limit)"
        case .duplicateKey(let key): what = "duplicate key '\(key)'"
        }
        return "\(what) at byte \(offset)"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 16 ? "0" + digits : digits
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + hex(byte)
    }

    private static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(printable(byte))'" : "byte 0x\(hex(byte))"
    }
}
