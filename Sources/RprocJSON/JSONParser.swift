// A strict RFC 8259 parser.
//
// Strict as in "refuses everything the RFC does not allow": trailing commas, leading zeros, `NaN`,
// comments, single quotes, raw control characters in strings, lone surrogates, invalid UTF-8,
// anything after the value. It also refuses duplicate keys (the RFC only says they SHOULD be
// unique; sd-json refuses them too) and nesting deeper than a limit, so hostile input cannot
// exhaust the stack.

/// Parses JSON text into ``JSONValue``.
public struct JSONParser: Sendable {
    /// The nesting limit used unless another is given.
    public static let defaultMaxDepth = 512

    /// How deep arrays and objects may nest; `[[1]]` has depth 2.
    public var maxDepth: Int

    public init(maxDepth: Int = JSONParser.defaultMaxDepth) {
        self.maxDepth = maxDepth
    }

    /// Parses `text`.
    ///
    /// - Throws: ``JSONParseError`` with the reason and the byte offset in `text.utf8`.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(buffer)) }
        }.get()
    }

    /// Parses `bytes`, which should be UTF-8.
    ///
    /// - Throws: ``JSONParseError`` with the reason and the byte offset in `bytes`.
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) in try parse(buffer) }
        }.get()
    }

    /// Parses the bytes in `buffer`, which should be UTF-8. The buffer is read, never kept.
    ///
    /// - Throws: ``JSONParseError`` with the reason and the byte offset in `buffer`.
    public func parse(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        var cursor = Cursor(bytes: buffer.bindMemory(to: UInt8.self), maxDepth: maxDepth)
        cursor.skipWhitespace()
        let value = try cursor.parseValue(depth: 0)
        cursor.skipWhitespace()
        guard cursor.atEnd else { throw JSONParseError(.trailingData, at: cursor.position) }
        return value
    }
}

extension JSONValue {
    /// Parses `text` with the default limits of ``JSONParser``.
    ///
    /// - Throws: ``JSONParseError``.
    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser().parse(text)
    }
}

/// The parser's position in its input.
private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    var atEnd: Bool { position >= bytes.count }

    /// The current byte, or nil at the end.
    var peek: UInt8? { atEnd ? nil : bytes[position] }

    mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    /// The current byte; throws at the end.
    func current() throws(JSONParseError) -> UInt8 {
        guard let byte = peek else { throw JSONParseError(.unexpectedEnd, at: position) }
        return byte
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try current() {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case let byte: throw JSONParseError(.unexpectedByte(byte), at: position)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expected in text {
            let byte = try current()
            guard byte == expected else { throw JSONParseError(.unexpectedByte(byte), at: position) }
            position += 1
        }
    }

    mutating func enter(depth: Int) throws(JSONParseError) {
        guard depth <= maxDepth else {
            throw JSONParseError(.depthLimitExceeded(limit: maxDepth), at: position)
        }
        position += 1  // the opening bracket
        skipWhitespace()
    }

    /// After an element: consumes a comma and returns false (refusing a comma right before
    /// `close`), or consumes `close` and returns true.
    mutating func endOfElement(close: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        let byte = try current()
        switch byte {
        case UInt8(ascii: ","):
            let comma = position
            position += 1
            skipWhitespace()
            if peek == close { throw JSONParseError(.trailingComma, at: comma) }
            return false
        case close:
            position += 1
            return true
        default:
            throw JSONParseError(.unexpectedByte(byte), at: position)
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        try enter(depth: depth)
        var elements: [JSONValue] = []
        if peek == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        repeat {
            elements.append(try parseValue(depth: depth))
        } while try !endOfElement(close: UInt8(ascii: "]"))
        return .array(elements)
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        try enter(depth: depth)
        var object = JSONObject()
        var seen = Set<String>()
        if peek == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            let keyOffset = position
            let byte = try current()
            guard byte == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedByte(byte), at: position) }
            let key = try parseString()
            guard seen.insert(key).inserted else { throw JSONParseError(.duplicateKey(key), at: keyOffset) }
            skipWhitespace()
            let colon = try current()
            guard colon == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedByte(colon), at: position) }
            position += 1
            skipWhitespace()
            object.appendUnique(key, try parseValue(depth: depth))
            if try endOfElement(close: UInt8(ascii: "}")) { return .object(object) }
        }
    }

    // MARK: Numbers

    static func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Consumes one or more digits; throws `invalidNumber` when there is none.
    mutating func digits() throws(JSONParseError) {
        guard Self.isDigit(peek) else {
            if atEnd { throw JSONParseError(.unexpectedEnd, at: position) }
            throw JSONParseError(.invalidNumber, at: position)
        }
        while Self.isDigit(peek) { position += 1 }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        let negative = peek == UInt8(ascii: "-")
        if negative { position += 1 }
        let integerStart = position
        if peek == UInt8(ascii: "0") {
            position += 1
            if Self.isDigit(peek) { throw JSONParseError(.leadingZero, at: integerStart) }
        } else {
            try digits()
        }
        let integerEnd = position
        var isInteger = true
        if peek == UInt8(ascii: ".") {
            position += 1
            try digits()
            isInteger = false
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            try digits()
            isInteger = false
        }
        if isInteger, let integer = integerValue(negative: negative, digits: integerStart..<integerEnd) {
            return .integer(integer)
        }
        // Beyond Int64.min...UInt64.max or not an integer: a real, as sd-json does.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let real = Double(text), real.isFinite else {
            throw JSONParseError(.numberOutOfRange, at: start)
        }
        return .double(real)
    }

    /// The integer with these decimal digits, or nil when it lies outside the JSON integer range.
    func integerValue(negative: Bool, digits: Range<Int>) -> JSONInteger? {
        var magnitude: UInt64 = 0
        for index in digits {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            magnitude = sum
        }
        if negative && magnitude > 1 << 63 { return nil }
        return JSONInteger(isNegative: negative, magnitude: magnitude)
    }

    // MARK: Strings

    mutating func parseString() throws(JSONParseError) -> String {
        position += 1  // the opening quote
        var utf8: [UInt8] = []
        while true {
            let byte = try current()
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw JSONParseError(.controlCharacterInString(byte), at: position)
            case 0x20..<0x80:
                utf8.append(byte)
                position += 1
            default:
                try copyUTF8Sequence(into: &utf8)
            }
        }
    }

    mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONParseError) {
        position += 1  // the backslash
        let byte = try current()
        let simple: UInt8?
        switch byte {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw JSONParseError(.invalidEscape(byte), at: position)
        }
        if let simple {
            utf8.append(simple)
            position += 1
            return
        }
        let escapeStart = position - 1
        let unit = try hexQuad()
        var scalarValue = UInt32(unit)
        switch unit {
        case 0xD800...0xDBFF:
            // A high surrogate must be followed by `\u` and a low surrogate.
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            else { throw JSONParseError(.loneSurrogate(unit), at: escapeStart) }
            position += 1
            let low = try hexQuad()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw JSONParseError(.loneSurrogate(unit), at: escapeStart)
            }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        case 0xDC00...0xDFFF:
            throw JSONParseError(.loneSurrogate(unit), at: escapeStart)
        default:
            break
        }
        // Not a surrogate, or a pair combined above: always a valid scalar.
        utf8.append(contentsOf: UTF8.encode(Unicode.Scalar(scalarValue)!)!)
    }

    /// Reads `uXXXX` (the position is on the `u`) and returns the code unit.
    mutating func hexQuad() throws(JSONParseError) -> UInt16 {
        let start = position
        position += 1  // the u
        var unit: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = peek else { throw JSONParseError(.unexpectedEnd, at: position) }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidUnicodeEscape, at: start - 1)
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }

    /// Copies one well-formed multi-byte UTF-8 sequence (Unicode Table 3-7), or throws `invalidUTF8`.
    mutating func copyUTF8Sequence(into utf8: inout [UInt8]) throws(JSONParseError) {
        let start = position
        let lead = bytes[position]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F  // no UTF-8-encoded surrogates
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F  // nothing above U+10FFFF
        default: throw JSONParseError(.invalidUTF8, at: start)
        }
        guard start + length <= bytes.count else { throw JSONParseError(.invalidUTF8, at: start) }
        guard secondRange.contains(bytes[start + 1]) else { throw JSONParseError(.invalidUTF8, at: start) }
        for index in start + 2 ..< start + length where !(0x80...0xBF).contains(bytes[index]) {
            throw JSONParseError(.invalidUTF8, at: start)
        }
        utf8.append(contentsOf: bytes[start..<start + length])
        position += length
    }
}
