/// A D-Bus value, with its type carried along so that the signature can be derived (even for an empty
/// array or dictionary).
///
/// `unixFD` holds a file descriptor number. Appending it to a message duplicates the fd (the caller keeps
/// and closes its own); reading one yields a new fd owned by the reader.
public indirect enum BusValue: Sendable, Hashable {
    case byte(UInt8)
    case bool(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(String)
    case signature(String)
    case unixFD(Int32)
    /// An array of values of one element type.
    case array(BusType, [BusValue])
    /// A dictionary (`a{kv}`), entries in order.
    case dictionary(key: BusType, value: BusType, [DictionaryEntry])
    case structure([BusValue])
    case variant(BusValue)

    /// One entry of a `dictionary`.
    public struct DictionaryEntry: Sendable, Hashable {
        public var key: BusValue
        public var value: BusValue
        public init(_ key: BusValue, _ value: BusValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value's type.
    public var type: BusType {
        switch self {
        case .byte: return .byte
        case .bool: return .bool
        case .int16: return .int16
        case .uint16: return .uint16
        case .int32: return .int32
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        case .double: return .double
        case .string: return .string
        case .objectPath: return .objectPath
        case .signature: return .signature
        case .unixFD: return .unixFD
        case .array(let e, _): return .array(e)
        case .dictionary(let k, let v, _): return .dictionary(key: k, value: v)
        case .structure(let m): return .structure(m.map(\.type))
        case .variant: return .variant
        }
    }

    /// The value's signature (`(uo)`).
    public var signature: String { type.signature }

    /// Whether every element matches the declared element types, recursively.
    public var isWellTyped: Bool {
        switch self {
        case .array(let e, let items):
            return items.allSatisfy { $0.type == e && $0.isWellTyped }
        case .dictionary(let k, let v, let entries):
            return k.isBasic && entries.allSatisfy {
                $0.key.type == k && $0.value.type == v && $0.key.isWellTyped && $0.value.isWellTyped
            }
        case .structure(let m): return !m.isEmpty && m.allSatisfy(\.isWellTyped)
        case .variant(let inner): return inner.isWellTyped
        default: return true
        }
    }

    // MARK: Building

    /// `as`.
    public static func strings(_ values: [String]) -> BusValue { .array(.string, values.map { .string($0) }) }

    /// `a{sv}`, keys in the order given.
    public static func properties(_ entries: [(String, BusValue)]) -> BusValue {
        .dictionary(key: .string, value: .variant, entries.map { DictionaryEntry(.string($0.0), .variant($0.1)) })
    }

    // MARK: Reading (nil when the value is of another type)

    public var byte: UInt8? { if case .byte(let v) = self { return v }; return nil }
    public var bool: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var int16: Int16? { if case .int16(let v) = self { return v }; return nil }
    public var uint16: UInt16? { if case .uint16(let v) = self { return v }; return nil }
    public var int32: Int32? { if case .int32(let v) = self { return v }; return nil }
    public var uint32: UInt32? { if case .uint32(let v) = self { return v }; return nil }
    public var int64: Int64? { if case .int64(let v) = self { return v }; return nil }
    public var uint64: UInt64? { if case .uint64(let v) = self { return v }; return nil }
    public var double: Double? { if case .double(let v) = self { return v }; return nil }
    /// The string of a `string`, `objectPath` or `signature`.
    public var string: String? {
        switch self {
        case .string(let s), .objectPath(let s), .signature(let s): return s
        default: return nil
        }
    }
    public var objectPath: String? { if case .objectPath(let v) = self { return v }; return nil }
    public var unixFD: Int32? { if case .unixFD(let v) = self { return v }; return nil }
    /// The elements of an `array`.
    public var elements: [BusValue]? { if case .array(_, let v) = self { return v }; return nil }
    /// The members of a `structure`.
    public var members: [BusValue]? { if case .structure(let v) = self { return v }; return nil }
    /// The entries of a `dictionary`.
    public var entries: [DictionaryEntry]? { if case .dictionary(_, _, let v) = self { return v }; return nil }
    /// The content of a `variant`.
    public var variant: BusValue? { if case .variant(let v) = self { return v }; return nil }
    /// The strings of an `as` (or `ao`, `ag`).
    public var strings: [String]? {
        guard let e = elements else { return nil }
        let s = e.compactMap(\.string)
        return s.count == e.count ? s : nil
    }
    /// An `a{sv}` as a Swift dictionary, variants unwrapped.
    public var propertyDictionary: [String: BusValue]? {
        guard let e = entries else { return nil }
        var d: [String: BusValue] = [:]
        for entry in e {
            guard let k = entry.key.string else { return nil }
            d[k] = entry.value.variant ?? entry.value
        }
        return d
    }
}

extension Array where Element == BusValue {
    /// The concatenated signature of the values.
    public var signature: String { map(\.signature).joined() }
}
