import Testing

@testable import RprocJSON

@Suite struct JSONWriterTests {
    @Test func shortHasNoSpaces() {
        let value: JSONValue = ["path": "fw.elf", "size": 123, "list": [1, true, .null, 2.5], "empty": [:], "none": []]
        #expect(value.serialized() == #"{"path":"fw.elf","size":123,"list":[1,true,null,2.5],"empty":{},"none":[]}"#)
    }

    @Test func prettyIndentsByTwo() {
        let value: JSONValue = ["a": 1, "b": [1, ["c": .null]], "d": [], "e": [:]]
        let expected = """
            {
              "a": 1,
              "b": [
                1,
                {
                  "c": null
                }
              ],
              "d": [],
              "e": {}
            }
            """
        #expect(value.serialized(.pretty) == expected)
    }

    @Test func scalarsAtTopLevel() {
        #expect(JSONValue.null.serialized(.pretty) == "null")
        #expect(JSONValue.bool(false).serialized() == "false")
        #expect(JSONValue.string("x").serialized(.pretty) == #""x""#)
    }

    @Test func keysKeepInsertionOrder() {
        var object = JSONObject()
        for key in ["zeta", "alpha", "mid", "beta"] { object[key] = .string(key) }
        object["alpha"] = 1  // replaced in place, not moved
        #expect(JSONValue.object(object).serialized() == #"{"zeta":"zeta","alpha":1,"mid":"mid","beta":"beta"}"#)
        object["mid"] = nil
        #expect(object.keys == ["zeta", "alpha", "beta"])
    }

    @Test func integersAreIntegersAcrossTheWholeRange() {
        #expect(JSONValue.number(Int64.min).serialized() == "-9223372036854775808")
        #expect(JSONValue.number(UInt64.max).serialized() == "18446744073709551615")
        #expect(JSONValue.number(UInt32(0x1000_0000)).serialized() == "268435456")
        #expect(JSONValue.number(-0).serialized() == "0")
        #expect(JSONValue.number(orNull: Int?.none).serialized() == "null")
    }

    @Test func realsRoundTripAndNonFiniteIsNull() throws {
        #expect(JSONValue.double(2.5).serialized() == "2.5")
        #expect(JSONValue.double(1.0).serialized() == "1.0")
        #expect(JSONValue.double(1e-5).serialized() == "1e-05")
        #expect(JSONValue.double(.nan).serialized() == "null")
        #expect(JSONValue.double(-.infinity).serialized() == "null")
        for real in [0.1, 1e300, -5e-324, 123456.789, 1e16] {
            let text = JSONValue.double(real).serialized()
            #expect(try JSONValue(parsing: text) == .double(real), "\(text)")
        }
    }

    @Test func escapesQuotesBackslashAndControlCharacters() throws {
        #expect(JSONValue.string("a\"b\\c/d").serialized() == #""a\"b\\c/d""#)
        #expect(JSONValue.string("\u{08}\u{0C}\n\r\t").serialized() == #""\b\f\n\r\t""#)
        #expect(JSONValue.string("\u{00}\u{01}\u{1F}\u{7F}").serialized() == "\"\\u0000\\u0001\\u001f\u{7F}\"")
        // Every control character is escaped, and reads back.
        for code in 0..<0x20 {
            let string = String(UnicodeScalar(UInt8(code)))
            let text = JSONValue.string(string).serialized()
            #expect(!text.utf8.contains { $0 < 0x20 }, "U+\(code) written raw")
            #expect(try JSONValue(parsing: text) == .string(string))
        }
    }

    @Test func nonASCIIPassesThroughAsUTF8() {
        let value = JSONValue.string("Größe µs 🚀 \u{2028}")
        #expect(value.serialized() == "\"Größe µs 🚀 \u{2028}\"")
        #expect(Array(value.serialized().utf8).count == Array("Größe µs 🚀 \u{2028}".utf8).count + 2)
    }

    @Test func keysAreEscapedToo() {
        let value: JSONValue = ["a\"\n": 1]
        #expect(value.serialized() == #"{"a\"\n":1}"#)
    }
}
