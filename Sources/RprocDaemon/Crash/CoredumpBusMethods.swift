// The Manager's coredump methods (docs/dbus-api.md) over a `CoredumpStore`, ready for
// `BusAPI.managerDescription()` to use instead of its placeholders.

import Glibc
import RprocBus

public enum CoredumpBusMethods {
    /// The error name clients map to "no such coredump".
    public static let noSuchCoredump = "org.daybreak.RemoteProc1.Error.NoSuchCoredump"

    /// `ListCoredumps(s) → a(sssttss)`, `DescribeCoredump(s) → s`, `OpenCoredump(s) → h` (mutating:
    /// a dump holds device memory).
    ///
    /// - Parameters:
    ///   - store: the store (read on the loop: a listing is a directory read and small JSON files).
    ///   - validate: throws `NoSuchProcessor` for a non-empty name that names no processor.
    public static func methods(store: CoredumpStore, validate: @escaping (String) throws(BusError) -> Void) -> [BusMethod] {
        let id = [BusArgument("id", "s")]
        return [
            BusMethod("ListCoredumps", in: [BusArgument("nameOrDevice", "s")], out: [BusArgument("coredumps", "a(sssttss)")]) {
                call throws(BusError) in
                let target = call.string(0)
                if !target.isEmpty { try validate(target) }
                return [listReply(try perform { try store.list(nameOrDevice: target) })]
            },
            BusMethod("DescribeCoredump", in: id, out: [BusArgument("json", "s")]) { call throws(BusError) in
                [.string(try perform { try store.describe(id: call.string(0)) })]
            },
            BusMethod("OpenCoredump", in: id, out: [BusArgument("fd", "h")], flags: .mutating) { call throws(BusError) in
                let fd = try perform { try store.open(id: call.string(0)) }
                // The message holds its own duplicate; ours is closed once the reply is sent.
                call.afterReply { _ = close(fd) }
                return [.unixFD(fd)]
            },
        ]
    }

    /// The `a(sssttss)` of `entries`.
    public static func listReply(_ entries: [CoredumpEntry]) -> BusValue {
        .array(BusType("(sssttss)")!, entries.map { entry in
            let f = entry.busFields
            return .structure([.string(f.0), .string(f.1), .string(f.2), .uint64(f.3), .uint64(f.4), .string(f.5), .string(f.6)])
        })
    }

    /// Runs a store call, turning its errors into named D-Bus errors.
    static func perform<T>(_ body: () throws -> T) throws(BusError) -> T {
        do {
            return try body()
        } catch let error as NoSuchCoredump {
            throw BusError(name: noSuchCoredump, message: error.description)
        } catch {
            throw BusError.failed("Failed to read the kept coredumps: \(error).")
        }
    }
}
