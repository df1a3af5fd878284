import Foundation
import Glibc
@testable import RprocBus
import RprocEventLoop
import Testing

/// A box for handing loop-bound values through `post` in tests (read only on the loop).
struct Unchecked<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

extension EventLoop {
    /// Runs `body` on the loop and waits for its result.
    func sync<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = Unchecked(body)
        nonisolated(unsafe) var result: Result<T, any Error>?
        post {
            result = Result { try box.value() }
            done.signal()
        }
        done.wait()
        return try result!.get()
    }
}

/// Polls `condition` (a state check, not a time measurement) until it holds or ~10 s pass.
func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
    for _ in 0..<2000 {
        if try condition() { return true }
        usleep(5000)
    }
    return false
}

let testName = "org.example.Test1"
let testPath = "/org/example/Test1"
let testInterface = "org.example.Test1"
let itemPrefix = "/org/example/Test1/item"
let itemInterface = "org.example.Item1"

/// A server on a temporary socket, run by its own loop thread, with an example interface that uses
/// every type of docs/dbus-api.md.
final class Fixture: @unchecked Sendable {
    let loop: EventLoop
    let directory: String
    let socketPath: String
    // Loop state.
    var registry: ObjectRegistry!
    var server: PrivateBusServer!
    var worker: SerialWorker!
    var counter: UInt32 = 0
    var name = "initial"
    var items = ["remoteproc0", "m4-core.1"]
    var sleepers: [(TimerSource, ReplyToken)] = []
    var mutations = 0
    var extraServers: [PrivateBusServer] = []
    let filePath: String

    init(maxConnections: Int = 256, authorizeGroup: UInt32? = nil) throws {
        loop = try EventLoop.spawn(name: "test-loop")
        var template = Array("/tmp/rprocbus-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        chmod(directory, 0o755)
        socketPath = directory + "/run/control"
        filePath = directory + "/dump"
        try "core bytes".write(toFile: filePath, atomically: true, encoding: .utf8)
        try loop.sync { try self.setUp(maxConnections: maxConnections, authorizeGroup: authorizeGroup) }
    }

    func shutdown() {
        _ = try? loop.sync {
            self.sleepers.forEach { $0.0.cancel() }
            self.sleepers = []
            self.server.close()
            self.extraServers.forEach { $0.close() }
            self.extraServers = []
            self.worker.shutdown()
            self.server = nil
            self.registry = nil
        }
        loop.exit(0)
        loop.join()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new client is still answered (after hostile clients, disconnects, bus loss).
    func expectServing(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let c = try BusClient(.socket(socketPath))
        let out = try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("alive")])
        #expect(out == [.string("alive")], sourceLocation: sourceLocation)
    }

    private func setUp(maxConnections: Int, authorizeGroup: UInt32?) throws {
        registry = ObjectRegistry(loop: loop)
        registry.authorize = Authorization.rootOrGroup(authorizeGroup, groupName: authorizeGroup.map { _ in "rproc" })
        worker = try SerialWorker(name: "test-worker", loop: loop)
        registry.addObject(testPath, interfaces: [testInterfaceDescription()])
        registry.addSubtree(itemPrefix, interfaces: [
            BusInterface(itemInterface, methods: [
                BusMethod("Describe", out: [BusArgument("json", "s")]) { call throws(BusError) in
                    [.string("item \(call.object.id!)")]
                },
            ], properties: [
                BusProperty("Device", "s", change: .constant) { ref in .string(ref.id!) },
            ]),
        ], enumerate: { [unowned self] in self.items })
        server = try PrivateBusServer(loop: loop, registry: registry, listen: .path(socketPath),
                                      options: .init(mode: 0o666, maxConnections: maxConnections, busName: testName))
    }

    private func testInterfaceDescription() -> BusInterface {
        BusInterface(testInterface, methods: [
            BusMethod("Echo", in: [BusArgument("text", "s")], out: [BusArgument("text", "s")]) { call throws(BusError) in
                [.string(call.string(0))]
            },
            BusMethod("EchoVariant", in: [BusArgument("value", "v")], out: [BusArgument("value", "v")]) { call throws(BusError) in
                [call.arguments[0]]
            },
            BusMethod("EchoProperties", in: [BusArgument("props", "a{sv}")], out: [BusArgument("props", "a{sv}")]) { call throws(BusError) in
                [call.arguments[0]]
            },
            BusMethod("Length", in: [BusArgument("text", "s")], out: [BusArgument("length", "t")]) { call throws(BusError) in
                [.uint64(UInt64(call.string(0).utf8.count))]
            },
            BusMethod("ListProcessors", out: [BusArgument("processors", "a(ssso)")]) { _ throws(BusError) in
                [.array(BusType("(ssso)")!, [
                    .structure([.string("remoteproc0"), .string("m4"), .string("offline"), .objectPath(itemPrefix + "/remoteproc0")]),
                ])]
            },
            BusMethod("ListCoredumps", in: [BusArgument("nameOrDevice", "s")], out: [BusArgument("dumps", "a(sssttss)")]) { _ throws(BusError) in
                [.array(BusType("(sssttss)")!, [
                    .structure([.string("1"), .string("remoteproc0"), .string("m4"), .uint64(1_700_000_000_000_000),
                                .uint64(4096), .string("watchdog"), .string("fw.elf")]),
                ])]
            },
            BusMethod("ListFirmwareImages", out: [BusArgument("images", "a(sstb)")]) { _ throws(BusError) in
                [.array(BusType("(sstb)")!, [.structure([.string("a.elf"), .string("ab12"), .uint64(7), .bool(true)])])]
            },
            BusMethod("EnqueueJob", in: [BusArgument("nameOrDevice", "s"), BusArgument("operation", "s"), BusArgument("argument", "s")],
                      out: [BusArgument("job", "(uo)")], flags: .mutating) { [unowned self] call throws(BusError) in
                self.mutations += 1
                return [.structure([.uint32(42), .objectPath(itemPrefix + "/remoteproc0")])]
            },
            BusMethod("GetLog", in: [BusArgument("lines", "u")], out: [BusArgument("lines", "as")]) { call throws(BusError) in
                [.strings((0..<call.uint32(0)).map { "line \($0)" })]
            },
            BusMethod("OpenCoredump", in: [BusArgument("id", "s")], out: [BusArgument("fd", "h")], flags: .mutating) { [unowned self] call throws(BusError) in
                let fd = open(self.filePath, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw .failed("open failed") }
                call.afterReply { close(fd) }
                return [.unixFD(fd)]
            },
            BusMethod("Mutate", flags: .mutating) { [unowned self] _ throws(BusError) in
                self.counter += 1
                self.mutations += 1
                try self.registry.emitPropertiesChanged(path: testPath, interface: testInterface, properties: ["Counter", "Flag"])
                try self.registry.emitSignal(path: testPath, interface: testInterface, member: "Ticked",
                                             arguments: [.uint32(self.counter), .string("mutate")])
                return []
            },
            BusMethod("Fail") { _ throws(BusError) in
                throw BusError(name: "org.example.Error.Nope", message: "Nope, and here is why.")
            },
            BusMethod("BadReply", out: [BusArgument("n", "u")]) { _ throws(BusError) in [.string("not a u")] },
            BusMethod("Whoami", out: [BusArgument("uid", "u"), BusArgument("gid", "u"), BusArgument("pid", "u"), BusArgument("groups", "au")]) { call throws(BusError) in
                let c = try call.credentials()
                return [.uint32(c.uid), .uint32(c.gid ?? UInt32.max), .uint32(UInt32(bitPattern: c.pid ?? -1)),
                        .array(.uint32, c.supplementaryGroups.map { .uint32($0) })]
            },
            BusMethod.deferred("Sleep", in: [BusArgument("milliseconds", "u")], out: [BusArgument("text", "s")]) { [unowned self] call, token throws(BusError) in
                let token = token
                let timer: TimerSource
                do throws(SyscallError) {
                    timer = try self.loop.addTimer(afterMicroseconds: UInt64(call.uint32(0)) * 1000) { [unowned self] in
                        token.reply([.string("slept")])
                        self.sleepers.removeAll { $0.1 === token }
                    }
                } catch {
                    throw BusError(error)
                }
                self.sleepers.append((timer, token))
            },
            BusMethod.deferred("Work", in: [BusArgument("text", "s")], out: [BusArgument("upper", "s"), BusArgument("offLoop", "b")]) { [unowned self] call, token throws(BusError) in
                let text = call.string(0)
                let loop = self.loop
                self.worker.submit({ () -> Unchecked<(String, Bool)> in
                    Unchecked((text.uppercased(), !loop.isOnLoop))
                }, completion: { result in
                    token.reply([.string(result.value.0), .bool(result.value.1)])
                })
            },
            BusMethod.deferred("Forget") { _, _ throws(BusError) in },
        ], properties: [
            BusProperty("Version", "s", change: .constant) { _ in .string("1.0") },
            BusProperty("Counter", "u") { [unowned self] _ in .uint32(self.counter) },
            BusProperty("Flag", "b", change: .invalidates) { [unowned self] _ in .bool(self.counter % 2 == 1) },
            BusProperty("Name", "s", get: { [unowned self] _ in .string(self.name) },
                        set: { [unowned self] _, value, _ throws(BusError) in
                            guard value.string! != "" else { throw .invalidArgs("Name must not be empty.") }
                            self.name = value.string!
                        }),
            BusProperty("Channels", "a(ssuu)") { _ in
                .array(BusType("(ssuu)")!, [.structure([.string("rpmsg-tty"), .string("/dev/ttyRPMSG0"), .uint32(1024), .uint32(0)])])
            },
            BusProperty("StateChangeUSec", "t") { _ in .uint64(123) },
        ], signals: [
            BusSignal("Ticked", [BusArgument("count", "u"), BusArgument("note", "s")]),
        ])
    }
}

/// Runs a command and returns (exit status, stdout, stderr).
@discardableResult
func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: arguments[0])
    p.arguments = Array(arguments.dropFirst())
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
