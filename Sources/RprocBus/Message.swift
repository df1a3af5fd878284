import CSystemd
import Glibc

/// Reading and writing `BusValue`s on an `sd_bus_message`, with the non-variadic sd-bus calls only.
/// Loop-thread only, like the message itself.
package enum Message {
    /// Appends `values` to `m`.
    ///
    /// - Throws: `BusError` (`Failed`) when a value is ill-typed, contains a NUL character or sd-bus refuses
    ///   it (an invalid object path or signature, invalid UTF-8).
    package static func append(_ values: [BusValue], to m: OpaquePointer) throws(BusError) {
        for v in values {
            guard v.isWellTyped else { throw .failed("Cannot send an ill-typed value of signature '\(v.signature)'.") }
            try append(v, to: m)
        }
    }

    private static func checked(_ r: Int32, _ what: @autoclosure () -> String) throws(BusError) {
        if r < 0 { throw .errno(r, "Appending \(what())") }
    }

    private static func appendString(_ s: String, code: UInt8, to m: OpaquePointer) throws(BusError) {
        guard !s.utf8.contains(0) else { throw .failed("Cannot send a string that contains a NUL character.") }
        let r = s.withCString { sd_bus_message_append_basic(m, CChar(bitPattern: code), $0) }
        try checked(r, "'\(s.prefix(64))' as '\(Character(UnicodeScalar(code)))'")
    }

    private static func appendFixed<T>(_ value: T, code: UInt8, to m: OpaquePointer) throws(BusError) {
        var v = value
        try checked(withUnsafePointer(to: &v) { sd_bus_message_append_basic(m, CChar(bitPattern: code), $0) },
                    "a value of type '\(Character(UnicodeScalar(code)))'")
    }

    private static func open(_ m: OpaquePointer, _ code: UInt8, _ contents: String) throws(BusError) {
        try checked(sd_bus_message_open_container(m, CChar(bitPattern: code), contents), "container '\(contents)'")
    }

    private static func close(_ m: OpaquePointer) throws(BusError) {
        try checked(sd_bus_message_close_container(m), "the end of a container")
    }

    private static func append(_ v: BusValue, to m: OpaquePointer) throws(BusError) {
        let code = v.type.code
        switch v {
        case .byte(let x): try appendFixed(x, code: code, to: m)
        case .bool(let x): try appendFixed(Int32(x ? 1 : 0), code: code, to: m)
        case .int16(let x): try appendFixed(x, code: code, to: m)
        case .uint16(let x): try appendFixed(x, code: code, to: m)
        case .int32(let x): try appendFixed(x, code: code, to: m)
        case .uint32(let x): try appendFixed(x, code: code, to: m)
        case .int64(let x): try appendFixed(x, code: code, to: m)
        case .uint64(let x): try appendFixed(x, code: code, to: m)
        case .double(let x): try appendFixed(x, code: code, to: m)
        case .unixFD(let x): try appendFixed(x, code: code, to: m)
        case .string(let s), .objectPath(let s), .signature(let s): try appendString(s, code: code, to: m)
        case .array(let e, let items):
            try open(m, code, e.signature)
            for item in items { try append(item, to: m) }
            try close(m)
        case .dictionary(let k, let val, let entries):
            try open(m, code, "{" + k.signature + val.signature + "}")
            let entrySignature = k.signature + val.signature
            for entry in entries {
                try open(m, UInt8(ascii: "e"), entrySignature)
                try append(entry.key, to: m)
                try append(entry.value, to: m)
                try close(m)
            }
            try close(m)
        case .structure(let members):
            try open(m, code, members.signature)
            for member in members { try append(member, to: m) }
            try close(m)
        case .variant(let inner):
            try open(m, code, inner.signature)
            try append(inner, to: m)
            try close(m)
        }
    }

    /// The complete signature of `m`'s body.
    package static func signature(of m: OpaquePointer) -> String {
        sd_bus_message_get_signature(m, 1).map { String(cString: $0) } ?? ""
    }

    /// Reads the whole body of `m` after checking that its signature is `expected`.
    ///
    /// - Throws: `InvalidArgs` naming the expected and the received signature.
    package static func read(_ m: OpaquePointer, expecting expected: [BusType]) throws(BusError) -> [BusValue] {
        let got = signature(of: m)
        guard got == expected.signature else {
            throw .invalidArgs("Expected arguments of signature '\(expected.signature)', got '\(got)'.")
        }
        return try readAll(m)
    }

    /// Reads the whole body of `m`, whatever its signature.
    package static func readAll(_ m: OpaquePointer) throws(BusError) -> [BusValue] {
        guard let types = BusType.parse(signature(of: m)) else { throw .invalidArgs("Invalid message signature.") }
        var result: [BusValue] = []
        result.reserveCapacity(types.count)
        for t in types { result.append(try read(t, from: m)) }
        return result
    }

    private static func readChecked(_ r: Int32, _ t: BusType) throws(BusError) {
        if r < 0 { throw .invalidArgs("Cannot read a value of type '\(t.signature)': \(String(cString: strerror(-r))).") }
        if r == 0 { throw .invalidArgs("Missing a value of type '\(t.signature)'.") }
    }

    private static func readFixed<T>(_ zero: T, _ t: BusType, from m: OpaquePointer) throws(BusError) -> T {
        var v = zero
        try readChecked(withUnsafeMutablePointer(to: &v) { sd_bus_message_read_basic(m, CChar(bitPattern: t.code), $0) }, t)
        return v
    }

    private static func enter(_ m: OpaquePointer, _ code: UInt8, _ contents: String, _ t: BusType) throws(BusError) {
        try readChecked(sd_bus_message_enter_container(m, CChar(bitPattern: code), contents), t)
    }

    private static func exit(_ m: OpaquePointer, _ t: BusType) throws(BusError) {
        let r = sd_bus_message_exit_container(m)
        if r < 0 { try readChecked(r, t) }
    }

    private static func atEnd(_ m: OpaquePointer, _ t: BusType) throws(BusError) -> Bool {
        let r = sd_bus_message_at_end(m, 0)
        if r < 0 { try readChecked(r, t) }
        return r > 0
    }

    private static func read(_ t: BusType, from m: OpaquePointer) throws(BusError) -> BusValue {
        switch t {
        case .byte: return .byte(try readFixed(UInt8(0), t, from: m))
        case .bool: return .bool(try readFixed(Int32(0), t, from: m) != 0)
        case .int16: return .int16(try readFixed(Int16(0), t, from: m))
        case .uint16: return .uint16(try readFixed(UInt16(0), t, from: m))
        case .int32: return .int32(try readFixed(Int32(0), t, from: m))
        case .uint32: return .uint32(try readFixed(UInt32(0), t, from: m))
        case .int64: return .int64(try readFixed(Int64(0), t, from: m))
        case .uint64: return .uint64(try readFixed(UInt64(0), t, from: m))
        case .double: return .double(try readFixed(Double(0), t, from: m))
        case .unixFD:
            let borrowed = try readFixed(Int32(-1), t, from: m)
            let fd = fcntl(borrowed, F_DUPFD_CLOEXEC, 3)
            if fd < 0 { throw .errno(-Glibc.errno, "Duplicating a received file descriptor") }
            return .unixFD(fd)
        case .string, .objectPath, .signature:
            let p = try readFixed(UnsafePointer<CChar>?.none, t, from: m)
            let s = p.map { String(cString: $0) } ?? ""
            switch t {
            case .string: return .string(s)
            case .objectPath: return .objectPath(s)
            default: return .signature(s)
            }
        case .array(let e):
            try enter(m, t.code, e.signature, t)
            var items: [BusValue] = []
            while try !atEnd(m, t) { items.append(try read(e, from: m)) }
            try exit(m, t)
            return .array(e, items)
        case .dictionary(let k, let v):
            try enter(m, t.code, "{" + k.signature + v.signature + "}", t)
            var entries: [BusValue.DictionaryEntry] = []
            let entrySignature = k.signature + v.signature
            while try !atEnd(m, t) {
                try enter(m, UInt8(ascii: "e"), entrySignature, t)
                let key = try read(k, from: m)
                let value = try read(v, from: m)
                try exit(m, t)
                entries.append(.init(key, value))
            }
            try exit(m, t)
            return .dictionary(key: k, value: v, entries)
        case .structure(let members):
            try enter(m, t.code, members.signature, t)
            var values: [BusValue] = []
            for member in members { values.append(try read(member, from: m)) }
            try exit(m, t)
            return .structure(values)
        case .variant:
            var type: CChar = 0
            var contents: UnsafePointer<CChar>?
            let r = sd_bus_message_peek_type(m, &type, &contents)
            try readChecked(r, t)
            guard UInt8(bitPattern: type) == UInt8(ascii: "v"), let contents,
                  let inner = BusType(String(cString: contents)) else {
                throw .invalidArgs("Expected a variant.")
            }
            try enter(m, t.code, inner.signature, t)
            let value = try read(inner, from: m)
            try exit(m, t)
            return .variant(value)
        }
    }
}
