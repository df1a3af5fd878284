// The properties of one processor object (docs/dbus-api.md), in the order rprocd sends them, and
// their two renderings: `Key=Value` lines (show) and JSON with lowerCamel keys.

import RprocBus
import RprocJSON

/// One rpmsg channel of `Channels` (`a(ssuu)`).
struct Channel: Equatable {
    var name: String
    var node: String
    var source: UInt32
    var destination: UInt32
}

/// The properties of `org.daybreak.RemoteProc1.Processor`, as `GetAll` returned them.
struct ProcessorProperties {
    /// Name and value, in rprocd's order.
    let values: [(name: String, value: BusValue)]

    init(_ values: [(String, BusValue)]) { self.values = values.map { (name: $0.0, value: $0.1) } }

    subscript(name: String) -> BusValue? { values.first(where: { $0.name == name })?.value }

    func string(_ name: String) -> String { self[name]?.string ?? "" }
    func number(_ name: String) -> UInt64 {
        switch self[name] {
        case .uint32(let v)?: UInt64(v)
        case .uint64(let v)?: v
        default: 0
        }
    }
    func flag(_ name: String) -> Bool { self[name]?.bool ?? false }

    var device: String { string("Device") }
    var name: String { string("Name") }
    var state: String { string("State") }

    /// `Channels`, decoded.
    var channels: [Channel] { Self.channels(self["Channels"]) }

    static func channels(_ value: BusValue?) -> [Channel] {
        (value?.elements ?? []).compactMap { element in
            guard let m = element.members, m.count == 4, let name = m[0].string, let node = m[1].string,
                let source = m[2].uint32, let destination = m[3].uint32
            else { return nil }
            return Channel(name: name, node: node, source: source, destination: destination)
        }
    }

    // MARK: Renderings

    /// The JSON key of a property: its D-Bus name with the first letter lowered
    /// (`StateChangeUSec` → `stateChangeUSec`), so the keys are as fixed as the names.
    static func jsonKey(_ name: String) -> String {
        guard let first = name.first else { return name }
        return first.lowercased() + name.dropFirst()
    }

    /// The properties named in `selection` (all when empty) as one JSON object.
    func json(selecting selection: [String] = []) -> JSONValue {
        .object(JSONObject(selected(selection).map { (Self.jsonKey($0.name), Self.json($0.name, $0.value)) }))
    }

    /// The values named in `selection`, in rprocd's order; all of them when `selection` is empty.
    /// Names rprocd does not have are left out, as `systemctl show -p` does.
    func selected(_ selection: [String]) -> [(name: String, value: BusValue)] {
        selection.isEmpty ? values : values.filter { selection.contains($0.name) }
    }

    static func json(_ name: String, _ value: BusValue) -> JSONValue {
        if name == "Channels" {
            return .array(channels(value).map { channel in
                .object(JSONObject([
                    ("name", .string(channel.name)), ("node", .string(channel.node)),
                    ("src", .number(channel.source)), ("dst", .number(channel.destination)),
                ]))
            })
        }
        return json(value)
    }

    /// Any bus value as JSON: numbers as integers, arrays and structures as arrays.
    static func json(_ value: BusValue) -> JSONValue {
        switch value {
        case .bool(let v): .bool(v)
        case .byte(let v): .number(v)
        case .int16(let v): .number(v)
        case .uint16(let v): .number(v)
        case .int32(let v): .number(v)
        case .uint32(let v): .number(v)
        case .int64(let v): .number(v)
        case .uint64(let v): .number(v)
        case .unixFD(let v): .number(v)
        case .double(let v): .double(v)
        case .string(let v), .objectPath(let v), .signature(let v): .string(v)
        case .array(_, let items): .array(items.map(json))
        case .structure(let members): .array(members.map(json))
        case .variant(let inner): json(inner)
        case .dictionary(_, _, let entries):
            .object(JSONObject(entries.map { ($0.key.string ?? "\($0.key)", json($0.value)) }))
        }
    }

    /// The text after `Name=` in `show`: strings as they are, booleans `yes`/`no`, numbers in
    /// decimal, channels as `{ name=… ; node=… ; src=… ; dst=… }` separated by spaces (the form
    /// `systemctl show` gives structured values).
    static func text(_ name: String, _ value: BusValue) -> String {
        if name == "Channels" {
            return channels(value).map { "{ name=\($0.name) ; node=\($0.node) ; src=\($0.source) ; dst=\($0.destination) }" }
                .joined(separator: " ")
        }
        return text(value)
    }

    static func text(_ value: BusValue) -> String {
        switch value {
        case .bool(let v): v ? "yes" : "no"
        case .byte(let v): "\(v)"
        case .int16(let v): "\(v)"
        case .uint16(let v): "\(v)"
        case .int32(let v): "\(v)"
        case .uint32(let v): "\(v)"
        case .int64(let v): "\(v)"
        case .uint64(let v): "\(v)"
        case .unixFD(let v): "\(v)"
        case .double(let v): "\(v)"
        case .string(let v), .objectPath(let v), .signature(let v): v
        case .array(_, let items): items.map(text).joined(separator: " ")
        case .structure(let members): "{ " + members.map(text).joined(separator: " ; ") + " }"
        case .variant(let inner): text(inner)
        case .dictionary(_, _, let entries): entries.map { text($0.key) + "=" + text($0.value) }.joined(separator: " ")
        }
    }
}
