// A JSON document as a Swift value.
//
// Mirrors what systemd's `sd_json_variant` can hold (null, boolean, signed and unsigned 64-bit
// integers, reals, strings, arrays, objects with keys in insertion order), so JSON that rprocd
// prints round-trips through this type without reordering keys or turning integers into reals.

/// A JSON value.
///
/// Integers keep their exact value in the range of `Int64` and `UInt64` together
/// (see ``JSONInteger``); they are written as JSON integers, never as strings or reals.
/// Object keys keep their insertion order (see ``JSONObject``).
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(JSONInteger)
    /// A real number. Non-finite values (NaN, infinities) have no JSON form and are written as `null`.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// An integer value, from any integer type whose value lies within `Int64.min...UInt64.max`.
    ///
    /// - Precondition: `value` lies in that range (always true for types of 64 bits or fewer).
    public static func number<T: BinaryInteger>(_ value: T) -> JSONValue {
        .integer(JSONInteger(value))
    }

    /// A string value, or `null` when `value` is nil.
    public static func string(orNull value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    /// An integer value, or `null` when `value` is nil.
    public static func number<T: BinaryInteger>(orNull value: T?) -> JSONValue {
        value.map { .integer(JSONInteger($0)) } ?? .null
    }
}

// MARK: - Accessors

extension JSONValue {
    /// True for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The boolean, or nil when this is not a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The integer, or nil when this is not an integer.
    public var integerValue: JSONInteger? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The integer as `Int64`, or nil when this is not an integer or does not fit.
    public var int64Value: Int64? { integerValue?.int64 }

    /// The integer as `UInt64`, or nil when this is not an integer or does not fit.
    public var uint64Value: UInt64? { integerValue?.uint64 }

    /// The real number, or nil when this is not a real.
    public var doubleValue: Double? {
        if case .double(let value) = self { return value }
        return nil
    }

    /// The string, or nil when this is not a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, or nil when this is not an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The object, or nil when this is not an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The member named `key` when this is an object that has one; otherwise nil.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// The element at `index` when this is an array that long; otherwise nil.
    public subscript(index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(JSONInteger(value)) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// An object with the members in the order written. A repeated key keeps its first position
    /// and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}

// MARK: - Integers

/// An integer in the range `Int64.min...UInt64.max`, the union of what systemd's JSON
/// variants store as `int64_t` and `uint64_t`.
public struct JSONInteger: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// True when the value is below zero (never true for zero).
    public let isNegative: Bool
    /// The absolute value; at most `2^63` when negative.
    public let magnitude: UInt64

    /// The integer `value`, or nil when it lies outside `Int64.min...UInt64.max`.
    public init?<T: BinaryInteger>(exactly value: T) {
        if value < 0 {
            guard let magnitude = UInt64(exactly: value.magnitude), magnitude <= 1 << 63 else {
                return nil
            }
            self.isNegative = true
            self.magnitude = magnitude
        } else {
            guard let magnitude = UInt64(exactly: value) else { return nil }
            self.isNegative = false
            self.magnitude = magnitude
        }
    }

    /// The integer `value`.
    ///
    /// - Precondition: `value` lies in `Int64.min...UInt64.max`.
    public init<T: BinaryInteger>(_ value: T) {
        guard let integer = JSONInteger(exactly: value) else {
            preconditionFailure("\(value) is outside the range of a JSON integer")
        }
        self = integer
    }

    init(isNegative: Bool, magnitude: UInt64) {
        self.isNegative = isNegative && magnitude != 0
        self.magnitude = magnitude
    }

    /// The value as `Int64`, or nil when it is above `Int64.max`.
    public var int64: Int64? {
        if isNegative {
            return magnitude == 1 << 63 ? Int64.min : -Int64(magnitude)
        }
        return Int64(exactly: magnitude)
    }

    /// The value as `UInt64`, or nil when it is negative.
    public var uint64: UInt64? { isNegative ? nil : magnitude }

    /// The decimal text, as written in JSON.
    public var description: String { isNegative ? "-\(magnitude)" : "\(magnitude)" }

    public static func < (lhs: JSONInteger, rhs: JSONInteger) -> Bool {
        switch (lhs.isNegative, rhs.isNegative) {
        case (true, false): return true
        case (false, true): return false
        case (false, false): return lhs.magnitude < rhs.magnitude
        case (true, true): return lhs.magnitude > rhs.magnitude
        }
    }
}
