// Writing JSON text: the two layouts of systemd's `--json=short` and `--json=pretty`.

/// How ``JSONValue/serialized(_:)`` lays out its text.
public enum JSONFormat: Sendable, Hashable {
    /// Everything on one line, no spaces (systemd's `--json=short`).
    case short
    /// One member or element per line, indented by two spaces per level, `"key": value`
    /// (the layout of systemd's `--json=pretty`, with a two-space indent).
    case pretty
}

extension JSONValue {
    /// The JSON text of this value, without a trailing newline.
    ///
    /// Strings are escaped as RFC 8259 requires (quote, backslash and the control characters
    /// U+0000–U+001F); everything else, including non-ASCII, is written as UTF-8. Reals are written
    /// in the shortest form that reads back to the same `Double`; NaN and infinities as `null`.
    public func serialized(_ format: JSONFormat = .short) -> String {
        var writer = JSONWriter(format: format)
        writer.write(self, depth: 0)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Appends JSON text to a byte buffer.
struct JSONWriter {
    let format: JSONFormat
    private(set) var bytes: [UInt8] = []

    init(format: JSONFormat) {
        self.format = format
        bytes.reserveCapacity(256)
    }

    mutating func write(_ value: JSONValue, depth: Int) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .integer(let integer): append(integer.description)
        case .double(let real): writeReal(real)
        case .string(let string): writeString(string)
        case .array(let elements):
            writeContainer(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), count: elements.count, depth: depth) {
                writer, index in
                writer.write(elements[index], depth: depth + 1)
            }
        case .object(let object):
            writeContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), count: object.count, depth: depth) {
                writer, index in
                writer.writeString(object[index].key)
                writer.bytes.append(UInt8(ascii: ":"))
                if writer.format == .pretty { writer.bytes.append(UInt8(ascii: " ")) }
                writer.write(object[index].value, depth: depth + 1)
            }
        }
    }

    private mutating func writeContainer(
        open: UInt8, close: UInt8, count: Int, depth: Int,
        element: (inout JSONWriter, Int) -> Void
    ) {
        bytes.append(open)
        guard count > 0 else {
            bytes.append(close)
            return
        }
        for index in 0..<count {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            newline(depth: depth + 1)
            element(&self, index)
        }
        newline(depth: depth)
        bytes.append(close)
    }

    private mutating func newline(depth: Int) {
        guard format == .pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func writeReal(_ real: Double) {
        guard real.isFinite else {
            append("null")
            return
        }
        // Swift's description is the shortest text that round-trips ("1.0", "1e-05", "1e+16"),
        // and every such text is a valid JSON number.
        append(real.description)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x00..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
