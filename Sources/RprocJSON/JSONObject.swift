// A JSON object whose members keep the order in which they were added.

/// The members of a JSON object, in insertion order, with unique keys.
///
/// Order matters for output meant to be read by people and compared by scripts (`rprocctl
/// inspect --json` lists `path` before `size` before `elf`), so this is not a `Dictionary`.
/// Lookup by key is linear; the objects rprocd writes and reads have tens of members.
public struct JSONObject: Hashable, Sendable, RandomAccessCollection {
    /// The members, in order.
    public private(set) var members: [(key: String, value: JSONValue)]

    /// An empty object.
    public init() { members = [] }

    /// An object with `members` in order. A repeated key keeps its first position and its last value.
    public init(_ members: some Sequence<(String, JSONValue)>) {
        self.members = []
        for (key, value) in members { self[key] = value }
    }

    /// The keys, in order.
    public var keys: [String] { members.map(\.key) }

    /// The value for `key`, or nil. Setting a key that exists replaces its value in place;
    /// setting a new key appends it; setting nil removes the member.
    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            let index = members.firstIndex(where: { $0.key == key })
            switch (index, newValue) {
            case (let index?, let value?): members[index].value = value
            case (let index?, nil): members.remove(at: index)
            case (nil, let value?): members.append((key, value))
            case (nil, nil): break
            }
        }
    }

    /// Appends a member without checking for an existing key. Callers guarantee uniqueness.
    mutating func appendUnique(_ key: String, _ value: JSONValue) {
        members.append((key, value))
    }

    // MARK: Collection

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> (key: String, value: JSONValue) { members[position] }

    // MARK: Hashable (tuples are neither Equatable nor Hashable)

    /// Two objects are equal when they have the same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
