/// A D-Bus type: one complete type of a signature (`s`, `a(ssso)`, `a{sv}`, …).
public indirect enum BusType: Sendable, Hashable, CustomStringConvertible {
    case byte, bool, int16, uint16, int32, uint32, int64, uint64, double
    case string, objectPath, signature, unixFD
    case array(BusType)
    case dictionary(key: BusType, value: BusType)
    case structure([BusType])
    case variant

    /// The signature of this type (`a{sv}`).
    public var signature: String {
        switch self {
        case .array(let e): return "a" + e.signature
        case .dictionary(let k, let v): return "a{" + k.signature + v.signature + "}"
        case .structure(let m): return "(" + m.map(\.signature).joined() + ")"
        default: return String(UnicodeScalar(code))
        }
    }

    public var description: String { signature }

    /// The type code: the first character of the signature (`a` for arrays and dictionaries, `r` for
    /// structures as sd-bus's container calls take it).
    package var code: UInt8 {
        switch self {
        case .byte: return UInt8(ascii: "y")
        case .bool: return UInt8(ascii: "b")
        case .int16: return UInt8(ascii: "n")
        case .uint16: return UInt8(ascii: "q")
        case .int32: return UInt8(ascii: "i")
        case .uint32: return UInt8(ascii: "u")
        case .int64: return UInt8(ascii: "x")
        case .uint64: return UInt8(ascii: "t")
        case .double: return UInt8(ascii: "d")
        case .string: return UInt8(ascii: "s")
        case .objectPath: return UInt8(ascii: "o")
        case .signature: return UInt8(ascii: "g")
        case .unixFD: return UInt8(ascii: "h")
        case .array, .dictionary: return UInt8(ascii: "a")
        case .structure: return UInt8(ascii: "r")
        case .variant: return UInt8(ascii: "v")
        }
    }

    /// Whether the type is basic (may be a dictionary key).
    public var isBasic: Bool {
        switch self {
        case .array, .dictionary, .structure, .variant: return false
        default: return true
        }
    }

    /// Parses one complete type, e.g. `BusType("a(ssso)")`. Nil when `signature` is not exactly one
    /// valid complete type.
    public init?(_ signature: String) {
        guard let types = BusType.parse(signature), types.count == 1 else { return nil }
        self = types[0]
    }

    /// Parses a signature into its complete types (`"sa{sv}as"` → three types). Nil when invalid:
    /// unknown codes, unbalanced containers, a non-basic dictionary key, more than 255 bytes, or more
    /// than 32 nested arrays or structures (the D-Bus specification's limits).
    public static func parse(_ signature: String) -> [BusType]? {
        let bytes = Array(signature.utf8)
        guard bytes.count <= 255 else { return nil }
        var index = 0
        var result: [BusType] = []
        while index < bytes.count {
            guard let t = parseOne(bytes, &index, arrays: 0, structs: 0) else { return nil }
            result.append(t)
        }
        return result
    }

    private static func parseOne(_ b: [UInt8], _ i: inout Int, arrays: Int, structs: Int) -> BusType? {
        guard i < b.count else { return nil }
        let c = b[i]
        i += 1
        switch c {
        case UInt8(ascii: "y"): return .byte
        case UInt8(ascii: "b"): return .bool
        case UInt8(ascii: "n"): return .int16
        case UInt8(ascii: "q"): return .uint16
        case UInt8(ascii: "i"): return .int32
        case UInt8(ascii: "u"): return .uint32
        case UInt8(ascii: "x"): return .int64
        case UInt8(ascii: "t"): return .uint64
        case UInt8(ascii: "d"): return .double
        case UInt8(ascii: "s"): return .string
        case UInt8(ascii: "o"): return .objectPath
        case UInt8(ascii: "g"): return .signature
        case UInt8(ascii: "h"): return .unixFD
        case UInt8(ascii: "v"): return .variant
        case UInt8(ascii: "a"):
            guard arrays < 32, i < b.count else { return nil }
            if b[i] == UInt8(ascii: "{") {
                i += 1
                guard let k = parseOne(b, &i, arrays: arrays + 1, structs: structs), k.isBasic,
                      let v = parseOne(b, &i, arrays: arrays + 1, structs: structs),
                      i < b.count, b[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                return .dictionary(key: k, value: v)
            }
            guard let e = parseOne(b, &i, arrays: arrays + 1, structs: structs) else { return nil }
            return .array(e)
        case UInt8(ascii: "("):
            guard structs < 32 else { return nil }
            var members: [BusType] = []
            while i < b.count, b[i] != UInt8(ascii: ")") {
                guard let m = parseOne(b, &i, arrays: arrays, structs: structs + 1) else { return nil }
                members.append(m)
            }
            guard i < b.count, !members.isEmpty else { return nil }
            i += 1
            return .structure(members)
        default:
            return nil
        }
    }
}

extension Array where Element == BusType {
    /// The concatenated signature (`[.string, .bool]` → `"sb"`).
    public var signature: String { map(\.signature).joined() }
}
