import Testing

@testable import RprocJSON

@Suite struct JSONParserTests {
    // MARK: Round trips

    static let canonicalTexts = [
        #"{"path":"fw.elf","size":123456,"elf":{"class":32,"byteOrder":"little"},"resourceTable":null}"#,
        #"[1,-1,0,2.5,-0.125,true,false,null,"",[],{}]"#,
        #"[-9223372036854775808,18446744073709551615,9223372036854775807]"#,
        #"{"z":1,"a":2,"m":{"y":[{"b":null}]}}"#,
        #""\"\\\b\f\n\r\t\u0000\u001f""#,
        #""Größe 🚀""#,
        "0", "true", "null", #""""#,
    ]

    @Test(arguments: canonicalTexts)
    func shortTextRoundTrips(text: String) throws {
        let value = try JSONValue(parsing: text)
        #expect(value.serialized() == text)
        #expect(try JSONValue(parsing: value.serialized(.pretty)) == value)
    }

    @Test func valueRoundTripsThroughBothFormats() throws {
        let value: JSONValue = [
            "segments": [["index": 0, "type": "LOAD", "flags": "RWX", "offset": .number(UInt64.max)]],
            "real": 0.5, "negative": .number(Int64.min), "text": "tab\there \u{1}", "nested": [[[[]]]],
        ]
        for format in [JSONFormat.short, .pretty] {
            #expect(try JSONValue(parsing: value.serialized(format)) == value)
        }
    }

    @Test func whitespaceIsAllowedBetweenTokens() throws {
        let value = try JSONValue(parsing: " \t\r\n{ \"a\" :\n[ 1 , 2 ] }\n ")
        #expect(value == ["a": [1, 2]])
    }

    @Test func integersKeepTheirExactValue() throws {
        #expect(try JSONValue(parsing: "18446744073709551615").uint64Value == UInt64.max)
        #expect(try JSONValue(parsing: "-9223372036854775808").int64Value == Int64.min)
        #expect(try JSONValue(parsing: "9223372036854775808").int64Value == nil)
        #expect(try JSONValue(parsing: "-1").uint64Value == nil)
        #expect(try JSONValue(parsing: "-0") == 0)
        // Outside both ranges, or with a fraction or exponent: a real.
        #expect(try JSONValue(parsing: "18446744073709551616") == .double(18446744073709551616.0))
        #expect(try JSONValue(parsing: "-9223372036854775809") == .double(-9223372036854775809.0))
        #expect(try JSONValue(parsing: "1e3") == .double(1000))
        #expect(try JSONValue(parsing: "1.0") == .double(1))
        #expect(try JSONValue(parsing: "-2.5E-1") == .double(-0.25))
    }

    @Test func escapesDecode() throws {
        #expect(try JSONValue(parsing: #""\u0041\u00e9\u20AC\/""#) == "Aé€/")
        #expect(try JSONValue(parsing: #""\ud83d\ude80""#) == "🚀")
        #expect(try JSONValue(parsing: #""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
        #expect(try JSONValue(parsing: #""\u0000""#).stringValue?.utf8.first == 0)
    }

    @Test func acceptsWellFormedUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xC2, 0x80, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]
        let value = try JSONParser().parse(bytes)
        #expect(value == .string("\u{80}\u{800}\u{D7FF}\u{10000}\u{10FFFF}"))
    }

    @Test func accessorsReadObjectsAndArrays() throws {
        let value = try JSONValue(parsing: #"{"a":[10,{"b":"x"}],"c":true,"d":1.5}"#)
        #expect(value["a"]?[0]?.int64Value == 10)
        #expect(value["a"]?[1]?["b"]?.stringValue == "x")
        #expect(value["a"]?[2] == nil)
        #expect(value["c"]?.boolValue == true)
        #expect(value["d"]?.doubleValue == 1.5)
        #expect(value["missing"] == nil)
        #expect(value["a"]?["b"] == nil)
        #expect(value.objectValue?.keys == ["a", "c", "d"])
    }

    // MARK: Rejections

    struct Rejection: Sendable, CustomTestStringConvertible {
        let text: String
        let reason: JSONParseError.Reason
        let offset: Int
        var testDescription: String { text }
    }

    static let rejections: [Rejection] = [
        .init(text: "", reason: .unexpectedEnd, offset: 0),
        .init(text: "   ", reason: .unexpectedEnd, offset: 3),
        .init(text: "[1,2,]", reason: .trailingComma, offset: 4),
        .init(text: "[1, ]", reason: .trailingComma, offset: 2),
        .init(text: #"{"a":1,}"#, reason: .trailingComma, offset: 6),
        .init(text: "[,1]", reason: .unexpectedByte(UInt8(ascii: ",")), offset: 1),
        .init(text: "[1 2]", reason: .unexpectedByte(UInt8(ascii: "2")), offset: 3),
        .init(text: "[1", reason: .unexpectedEnd, offset: 2),
        .init(text: #"{"a" 1}"#, reason: .unexpectedByte(UInt8(ascii: "1")), offset: 5),
        .init(text: "{a:1}", reason: .unexpectedByte(UInt8(ascii: "a")), offset: 1),
        .init(text: #"{"a":1 "b":2}"#, reason: .unexpectedByte(UInt8(ascii: "\"")), offset: 7),
        .init(text: #"{"a":1,"a":2}"#, reason: .duplicateKey("a"), offset: 7),
        .init(text: "01", reason: .leadingZero, offset: 0),
        .init(text: "-012", reason: .leadingZero, offset: 1),
        .init(text: "[00]", reason: .leadingZero, offset: 1),
        .init(text: "-", reason: .unexpectedEnd, offset: 1),
        .init(text: "-a", reason: .invalidNumber, offset: 1),
        .init(text: "1.", reason: .unexpectedEnd, offset: 2),
        .init(text: "1.e5", reason: .invalidNumber, offset: 2),
        .init(text: "1e", reason: .unexpectedEnd, offset: 2),
        .init(text: "1e+", reason: .unexpectedEnd, offset: 3),
        .init(text: "[1e+]", reason: .invalidNumber, offset: 4),
        .init(text: ".5", reason: .unexpectedByte(UInt8(ascii: ".")), offset: 0),
        .init(text: "+1", reason: .unexpectedByte(UInt8(ascii: "+")), offset: 0),
        .init(text: "1e400", reason: .numberOutOfRange, offset: 0),
        .init(text: "[-1e999]", reason: .numberOutOfRange, offset: 1),
        .init(text: "NaN", reason: .unexpectedByte(UInt8(ascii: "N")), offset: 0),
        .init(text: "Infinity", reason: .unexpectedByte(UInt8(ascii: "I")), offset: 0),
        .init(text: "tru", reason: .unexpectedEnd, offset: 3),
        .init(text: "nul1", reason: .unexpectedByte(UInt8(ascii: "1")), offset: 3),
        .init(text: "True", reason: .unexpectedByte(UInt8(ascii: "T")), offset: 0),
        .init(text: "'a'", reason: .unexpectedByte(UInt8(ascii: "'")), offset: 0),
        .init(text: "1 2", reason: .trailingData, offset: 2),
        .init(text: "{} x", reason: .trailingData, offset: 3),
        .init(text: "[]]", reason: .trailingData, offset: 2),
        .init(text: "null // c", reason: .trailingData, offset: 5),
        .init(text: #""abc"#, reason: .unexpectedEnd, offset: 4),
        .init(text: "\"a\nb\"", reason: .controlCharacterInString(0x0A), offset: 2),
        .init(text: "\"\t\"", reason: .controlCharacterInString(0x09), offset: 1),
        .init(text: "\"\u{0}\"", reason: .controlCharacterInString(0x00), offset: 1),
        .init(text: #""\x""#, reason: .invalidEscape(UInt8(ascii: "x")), offset: 2),
        .init(text: #""\'""#, reason: .invalidEscape(UInt8(ascii: "'")), offset: 2),
        .init(text: #""\u12G4""#, reason: .invalidUnicodeEscape, offset: 1),
        .init(text: #""\u12""#, reason: .invalidUnicodeEscape, offset: 1),
        .init(text: #""\u12"#, reason: .unexpectedEnd, offset: 5),
        .init(text: #""\ud800""#, reason: .loneSurrogate(0xD800), offset: 1),
        .init(text: #""\ud800x""#, reason: .loneSurrogate(0xD800), offset: 1),
        .init(text: #""\ud800\n""#, reason: .loneSurrogate(0xD800), offset: 1),
        .init(text: #""\ud800\u0041""#, reason: .loneSurrogate(0xD800), offset: 1),
        .init(text: #""\ud800\ud800""#, reason: .loneSurrogate(0xD800), offset: 1),
        .init(text: #""ab\udc00""#, reason: .loneSurrogate(0xDC00), offset: 3),
        .init(text: "\u{FEFF}1", reason: .unexpectedByte(0xEF), offset: 0),
    ]

    @Test(arguments: rejections)
    func rejects(_ rejection: Rejection) {
        #expect(throws: JSONParseError(rejection.reason, at: rejection.offset)) {
            try JSONValue(parsing: rejection.text)
        }
    }

    static let invalidUTF8: [[UInt8]] = [
        [0x80],  // continuation byte without a lead
        [0xC0, 0x80],  // overlong NUL
        [0xC1, 0xBF],  // overlong
        [0xE0, 0x80, 0x80],  // overlong 3-byte
        [0xED, 0xA0, 0x80],  // UTF-8-encoded surrogate U+D800
        [0xF0, 0x80, 0x80, 0x80],  // overlong 4-byte
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xF5, 0x80, 0x80, 0x80],  // invalid lead
        [0xFF],
        [0xC3],  // truncated
        [0xE2, 0x82],  // truncated
        [0xC3, 0x28],  // bad continuation
        [0xE2, 0x28, 0xA1],
    ]

    @Test(arguments: invalidUTF8)
    func rejectsInvalidUTF8InStrings(_ sequence: [UInt8]) {
        let bytes = [0x22, 0x61] + sequence + [0x22]
        #expect(throws: JSONParseError(.invalidUTF8, at: 2)) { try JSONParser().parse(bytes) }
    }

    @Test func rejectsInvalidUTF8OutsideStrings() {
        #expect(throws: JSONParseError(.unexpectedByte(0xC3), at: 1)) { try JSONParser().parse([0x5B, 0xC3, 0xA9, 0x5D]) }
    }

    // MARK: Depth limit

    static func nested(_ depth: Int, open: String = "[", close: String = "]") -> String {
        String(repeating: open, count: depth) + String(repeating: close, count: depth)
    }

    @Test func nestingUpToTheLimitParses() throws {
        let depth = JSONParser.defaultMaxDepth
        var value = try JSONValue(parsing: Self.nested(depth))
        var levels = 0
        while let inner = value.arrayValue {
            levels += 1
            guard let first = inner.first else { break }
            value = first
        }
        #expect(levels == depth)
    }

    @Test func nestingBeyondTheLimitIsRefusedAtTheBracket() {
        let limit = JSONParser.defaultMaxDepth
        #expect(throws: JSONParseError(.depthLimitExceeded(limit: limit), at: limit)) {
            try JSONValue(parsing: Self.nested(limit + 1))
        }
        // Objects count as well as arrays, and mixed nesting counts both.
        let objects = String(repeating: #"{"a":"#, count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(throws: JSONParseError(.depthLimitExceeded(limit: limit), at: 5 * limit)) {
            try JSONValue(parsing: objects)
        }
        // Hostile depth far beyond the limit fails the same way, without exhausting the stack.
        #expect(throws: JSONParseError(.depthLimitExceeded(limit: limit), at: limit)) {
            try JSONValue(parsing: Self.nested(100_000))
        }
    }

    @Test func customLimit() throws {
        let parser = JSONParser(maxDepth: 2)
        #expect(try parser.parse(#"[[1],{"a":2}]"#) == [[1], ["a": 2]])
        #expect(throws: JSONParseError(.depthLimitExceeded(limit: 2), at: 10)) {
            try parser.parse(#"[[1],{"a":[]}]"#)
        }
        #expect(try JSONParser(maxDepth: 0).parse("7") == 7)
        #expect(throws: JSONParseError(.depthLimitExceeded(limit: 0), at: 0)) { try JSONParser(maxDepth: 0).parse("[]") }
    }

    // MARK: Messages

    @Test func errorDescriptionsNameTheProblemAndOffset() {
        #expect(JSONParseError(.trailingComma, at: 4).description == "trailing comma at byte 4")
        #expect(JSONParseError(.unexpectedByte(0x41), at: 0).description == "unexpected 'A' at byte 0")
        #expect(JSONParseError(.unexpectedByte(0x01), at: 9).description == "unexpected byte 0x01 at byte 9")
        #expect(JSONParseError(.loneSurrogate(0xD800), at: 1).description == "lone UTF-16 surrogate \\uD800 at byte 1")
        #expect(JSONParseError(.duplicateKey("a"), at: 7).description == "duplicate key 'a' at byte 7")
    }
}

@Suite struct JSONIntegerTests {
    @Test func rangeIsInt64MinThroughUInt64Max() {
        #expect(JSONInteger(exactly: Int64.min) != nil)
        #expect(JSONInteger(exactly: UInt64.max) != nil)
        #expect(JSONInteger(exactly: Int128(UInt64.max) + 1) == nil)
        #expect(JSONInteger(exactly: Int128(Int64.min) - 1) == nil)
        #expect(JSONInteger(Int64.min).int64 == Int64.min)
        #expect(JSONInteger(Int64.min).uint64 == nil)
        #expect(JSONInteger(UInt64.max).int64 == nil)
        #expect(JSONInteger(-5).int64 == -5)
    }

    @Test func ordersNumerically() {
        let sorted = [JSONInteger(UInt64.max), JSONInteger(-1), JSONInteger(0), JSONInteger(Int64.min), JSONInteger(-2), JSONInteger(7)].sorted()
        #expect(sorted.map(\.description) == ["-9223372036854775808", "-2", "-1", "0", "7", "18446744073709551615"])
    }

    @Test func sameValueFromDifferentTypesIsEqual() {
        #expect(JSONInteger(UInt8(200)) == JSONInteger(Int64(200)))
        #expect(JSONValue.number(UInt32(7)) == 7)
    }
}
