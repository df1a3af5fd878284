import Foundation
import Glibc
@testable import RprocBus
import RprocEventLoop
import Testing

@Suite struct ServerTests {
    @Test func everyTypeOfTheAPIRoundTrips() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        func call(_ member: String, _ args: [BusValue] = []) throws -> [BusValue] {
            try c.call(path: testPath, interface: testInterface, member: member, arguments: args)
        }
        #expect(try call("Echo", [.string("hello")]) == [.string("hello")])
        #expect(try call("ListProcessors") == [.array(BusType("(ssso)")!, [
            .structure([.string("remoteproc0"), .string("m4"), .string("offline"), .objectPath(itemPrefix + "/remoteproc0")]),
        ])])
        let dumps = try call("ListCoredumps", [.string("")])
        #expect(dumps.signature == "a(sssttss)")
        #expect(dumps[0].elements?.first?.members?[3] == .uint64(1_700_000_000_000_000))
        #expect(try call("ListFirmwareImages") == [.array(BusType("(sstb)")!, [.structure([.string("a.elf"), .string("ab12"), .uint64(7), .bool(true)])])])
        #expect(try call("EnqueueJob", [.string("m4"), .string("start"), .string("")]) == [.structure([.uint32(42), .objectPath(itemPrefix + "/remoteproc0")])])
        #expect(try call("GetLog", [.uint32(3)]) == [.strings(["line 0", "line 1", "line 2"])])
        let props: BusValue = .properties([("a", .uint32(1)), ("b", .strings(["x"])), ("c", .variant(.int64(-5)))])
        #expect(try call("EchoProperties", [props]) == [props])
        let values: [BusValue] = [
            .byte(255), .bool(true), .bool(false), .int16(-3), .uint16(65535), .int32(Int32.min), .uint32(UInt32.max),
            .int64(Int64.min), .uint64(UInt64.max), .double(2.5), .string("ü∆"), .string(""), .objectPath("/a/b"), .signature("a{sv}"),
            .array(.int32, []), .array(BusType("a(ss)")!, [.array(BusType("(ss)")!, [.structure([.string("x"), .string("y")])])]),
            .dictionary(key: .uint32, value: .string, [.init(.uint32(1), .string("one"))]),
            .structure([.bool(true), .variant(.string("nested"))]), .variant(.variant(.byte(1))),
        ]
        for v in values {
            #expect(try call("EchoVariant", [.variant(v)]) == [.variant(v)], "round trip of '\(v.signature)'")
        }
    }

    @Test func fileDescriptorsArePassed() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        let out = try c.call(path: testPath, interface: testInterface, member: "OpenCoredump", arguments: [.string("1")])
        let fd = try #require(out.first?.unixFD)
        var buf = [UInt8](repeating: 0, count: 64)
        let n = pread(fd, &buf, 64, 0)
        #expect(String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "core bytes")
        close(fd)
        // Neither side keeps a copy: the server closes its fd after the reply, the client owns the one it read.
        for _ in 0..<20 {
            let again = try c.call(path: testPath, interface: testInterface, member: "OpenCoredump", arguments: [.string("1")])
            close(try #require(again.first?.unixFD))
        }
        #expect(eventually { openFDs(to: f.filePath) == 0 })
    }

    @Test func propertiesGetGetAllSet() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        #expect(try c.property(path: testPath, interface: testInterface, name: "Version") == .string("1.0"))
        let all = try c.allProperties(path: testPath, interface: testInterface)
        #expect(Set(all.keys) == ["Version", "Counter", "Flag", "Name", "Channels", "StateChangeUSec"])
        #expect(all["Channels"]?.signature == "a(ssuu)")
        #expect(all["StateChangeUSec"] == .uint64(123))
        // All interfaces at once (empty interface name).
        let everything = try c.call(path: testPath, interface: "org.freedesktop.DBus.Properties", member: "GetAll", arguments: [.string("")])
        #expect(everything[0].propertyDictionary?.count == 6)
        func set(_ name: String, _ v: BusValue) throws {
            _ = try c.call(path: testPath, interface: "org.freedesktop.DBus.Properties", member: "Set",
                           arguments: [.string(testInterface), .string(name), .variant(v)])
        }
        try set("Name", .string("renamed"))
        #expect(try c.property(path: testPath, interface: testInterface, name: "Name") == .string("renamed"))
        #expect(throws: BusError(name: BusError.Name.propertyReadOnly, message: "Property 'Version' is read-only.")) { try set("Version", .string("2")) }
        #expect(throws: BusError(name: BusError.Name.invalidArgs, message: "Property 'Name' has type 's', got 'u'.")) { try set("Name", .uint32(1)) }
        #expect(throws: BusError(name: BusError.Name.invalidArgs, message: "Name must not be empty.")) { try set("Name", .string("")) }
        #expect(throws: BusError(name: BusError.Name.unknownProperty, message: "Unknown property 'Nope' of interface 'org.example.Test1'.")) {
            try c.property(path: testPath, interface: testInterface, name: "Nope")
        }
        #expect(throws: BusError(name: BusError.Name.unknownInterface, message: "Unknown interface 'org.example.Nope' on object '/org/example/Test1'.")) {
            try c.property(path: testPath, interface: "org.example.Nope", name: "Version")
        }
    }

    @Test func namedErrorsForEveryMistake() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        #expect(throws: BusError(name: BusError.Name.invalidArgs, message: "Expected arguments of signature 's', got 'u'.")) {
            try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.uint32(5)])
        }
        #expect(throws: BusError(name: BusError.Name.invalidArgs, message: "Expected arguments of signature 'sss', got 's'.")) {
            try c.call(path: testPath, interface: testInterface, member: "EnqueueJob", arguments: [.string("m4")])
        }
        #expect(throws: BusError(name: BusError.Name.unknownObject, message: "Unknown object '/org/example/Nope'.")) {
            try c.call(path: "/org/example/Nope", interface: testInterface, member: "Echo", arguments: [.string("x")])
        }
        #expect(throws: BusError(name: BusError.Name.unknownMethod, message: "Unknown method 'Nope' of interface 'org.example.Test1'.")) {
            try c.call(path: testPath, interface: testInterface, member: "Nope")
        }
        #expect(throws: BusError(name: BusError.Name.unknownInterface, message: "Unknown interface 'org.example.Other' on object '/org/example/Test1'.")) {
            try c.call(path: testPath, interface: "org.example.Other", member: "Echo", arguments: [.string("x")])
        }
        #expect(throws: BusError(name: "org.example.Error.Nope", message: "Nope, and here is why.")) {
            try c.call(path: testPath, interface: testInterface, member: "Fail")
        }
        #expect(throws: BusError(name: BusError.Name.failed, message: "Internal error: 'BadReply' replied 's' instead of 'u'.")) {
            try c.call(path: testPath, interface: testInterface, member: "BadReply")
        }
        #expect(throws: BusError(name: BusError.Name.failed, message: "'Forget' ended without a reply.")) {
            try c.call(path: testPath, interface: testInterface, member: "Forget")
        }
        // The connection still works after all of these.
        #expect(try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("ok")]) == [.string("ok")])
    }

    @Test func subtreeObjectsAreEnumeratedAndDecoded() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        let path = ObjectPath.encode(prefix: itemPrefix, id: "m4-core.1")
        #expect(try c.call(path: path, interface: itemInterface, member: "Describe") == [.string("item m4-core.1")])
        #expect(try c.property(path: path, interface: itemInterface, name: "Device") == .string("m4-core.1"))
        #expect(throws: BusError(name: BusError.Name.unknownObject, message: "Unknown object '\(itemPrefix)/remoteproc9'.")) {
            try c.call(path: itemPrefix + "/remoteproc9", interface: itemInterface, member: "Describe")
        }
        // Hotplug: the enumerator is asked on every call.
        try f.loop.sync { f.items.append("remoteproc9") }
        #expect(try c.call(path: itemPrefix + "/remoteproc9", interface: itemInterface, member: "Describe") == [.string("item remoteproc9")])
        let xml = try #require(try c.call(path: itemPrefix, interface: "org.freedesktop.DBus.Introspectable", member: "Introspect").first?.string)
        #expect(xml.contains("<node name=\"remoteproc0\"/>") && xml.contains("<node name=\"m4_2dcore_2e1\"/>") && xml.contains("<node name=\"remoteproc9\"/>"))
    }

    @Test func introspectionListsTheWholeInterfaceAndTheTree() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        let xml = try #require(try c.call(path: testPath, interface: "org.freedesktop.DBus.Introspectable", member: "Introspect").first?.string)
        for fragment in [
            "<interface name=\"org.freedesktop.DBus.Peer\">", "<interface name=\"org.freedesktop.DBus.Introspectable\">",
            "<interface name=\"org.freedesktop.DBus.Properties\">", "<signal name=\"PropertiesChanged\">",
            "<interface name=\"org.example.Test1\">",
            "<method name=\"EnqueueJob\">\n   <arg type=\"s\" name=\"nameOrDevice\" direction=\"in\"/>\n   <arg type=\"s\" name=\"operation\" direction=\"in\"/>\n   <arg type=\"s\" name=\"argument\" direction=\"in\"/>\n   <arg type=\"(uo)\" name=\"job\" direction=\"out\"/>",
            "<method name=\"Mutate\"/>", "<arg type=\"a(sssttss)\" name=\"dumps\" direction=\"out\"/>",
            "<signal name=\"Ticked\">\n   <arg type=\"u\" name=\"count\"/>\n   <arg type=\"s\" name=\"note\"/>",
            "<property name=\"Version\" type=\"s\" access=\"read\">\n   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>",
            "<property name=\"Name\" type=\"s\" access=\"readwrite\">",
            "<property name=\"Flag\" type=\"b\" access=\"read\">\n   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"invalidates\"/>",
            "<node name=\"item\"/>",
        ] {
            #expect(xml.contains(fragment), "missing \(fragment)")
        }
        // Every method, property and signal declared is listed.
        let described = try f.loop.sync { f.registry.introspect(testPath)! }
        #expect(described == xml)
        let root = try #require(try c.call(path: "/", interface: "org.freedesktop.DBus.Introspectable", member: "Introspect").first?.string)
        #expect(root.contains("<node name=\"org\"/>"))
        #expect(try c.call(path: "/org/example", interface: "org.freedesktop.DBus.Introspectable", member: "Introspect").first?.string?.contains("<node name=\"Test1\"/>") == true)
        // The stand-in bus object is there for peers only.
        #expect(try f.loop.sync { f.registry.introspect("/org/freedesktop/DBus", for: .bus) } == nil)
        #expect(try f.loop.sync { f.registry.introspect("/org/freedesktop/DBus", for: .peer) }?.contains("<method name=\"Hello\">") == true)
    }

    @Test func peerInterfaceAnswers() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        #expect(try c.call(path: testPath, interface: "org.freedesktop.DBus.Peer", member: "Ping") == [])
        let id = try #require(try c.call(path: testPath, interface: "org.freedesktop.DBus.Peer", member: "GetMachineId").first?.string)
        let machineID = try String(contentsOfFile: "/etc/machine-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id == machineID)
    }

    @Test func helloGivesUniqueNamesOnce() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let a = try BusClient(.socket(f.socketPath)), b = try BusClient(.socket(f.socketPath))
        func hello(_ c: BusClient) throws -> String? {
            try c.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello").first?.string
        }
        let na = try #require(try hello(a)), nb = try #require(try hello(b))
        #expect(na.hasPrefix(":1.") && nb.hasPrefix(":1.") && na != nb)
        #expect(throws: BusError(name: BusError.Name.failed, message: "Already handled an Hello message.")) { try hello(a) }
        let names = try a.call(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "ListNames").first?.strings
        #expect(names == ["org.freedesktop.DBus", testName, na])
        #expect(try a.call(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "GetNameOwner", arguments: [.string(testName)]) == [.string(testName)])
        #expect(throws: BusError(name: BusError.Name.nameHasNoOwner, message: "Could not get owner of name 'org.other': no such name.")) {
            try a.call(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "GetNameOwner", arguments: [.string("org.other")])
        }
        #expect(try a.call(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "AddMatch", arguments: [.string("type='signal'")]) == [])
    }

    @Test func signalsAndPropertiesChangedReachSubscribers() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        var ticks: [ReceivedSignal] = []
        var changes: [ReceivedSignal] = []
        let s1 = try c.subscribe(path: testPath, interface: testInterface, member: "Ticked") { ticks.append($0) }
        let s2 = try c.subscribe(path: testPath, interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged") { changes.append($0) }
        _ = try c.call(path: testPath, interface: testInterface, member: "Mutate")
        _ = try c.call(path: testPath, interface: testInterface, member: "Mutate")
        #expect(try c.run(until: { ticks.count == 2 && changes.count == 2 }, timeoutMicroseconds: 10_000_000))
        #expect(ticks.map(\.arguments) == [[.uint32(1), .string("mutate")], [.uint32(2), .string("mutate")]])
        #expect(ticks.first?.sender == testName)
        #expect(changes[0].arguments == [.string(testInterface), .properties([("Counter", .uint32(1))]), .strings(["Flag"])])
        // A second client sees them too, the first one stops after cancel.
        let other = try BusClient(.socket(f.socketPath))
        var otherTicks = 0
        let s3 = try other.subscribe(member: "Ticked") { _ in otherTicks += 1 }
        _ = try other.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("sync")])
        s1.cancel()
        _ = try c.call(path: testPath, interface: testInterface, member: "Mutate")
        #expect(try other.run(until: { otherTicks == 1 }, timeoutMicroseconds: 10_000_000))
        #expect(try c.run(until: { changes.count == 3 }, timeoutMicroseconds: 10_000_000))
        #expect(ticks.count == 2)
        _ = (s2, s3)
        // Emitting a signal the interface does not declare, or with wrong arguments, is refused.
        try f.loop.sync {
            #expect(throws: BusError.self) { try f.registry.emitSignal(path: testPath, interface: testInterface, member: "Nope", arguments: []) }
            #expect(throws: BusError.self) { try f.registry.emitSignal(path: testPath, interface: testInterface, member: "Ticked", arguments: [.string("x")]) }
        }
    }

    @Test func deferredRepliesLeaveTheLoopFree() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        // One client waits for a reply that comes only when the test says so; another is answered meanwhile.
        let slow = Thread {
            let c = try! BusClient(.socket(f.socketPath))
            _ = try? c.call(path: testPath, interface: testInterface, member: "Sleep", arguments: [.uint32(60_000)])
        }
        slow.start()
        #expect(eventually { (try? f.loop.sync { f.sleepers.count }) == 1 })
        let c = try BusClient(.socket(f.socketPath))
        #expect(try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("meanwhile")]) == [.string("meanwhile")])
        #expect(try f.loop.sync { f.sleepers.count } == 1)
        #expect(try c.call(path: testPath, interface: testInterface, member: "Sleep", arguments: [.uint32(1)]) == [.string("slept")])
        #expect(try c.call(path: testPath, interface: testInterface, member: "Work", arguments: [.string("boot")]) == [.string("BOOT"), .bool(true)])
    }

    @Test func clientDisconnectingMidCallIsCleanedUp() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/busctl")
        p.arguments = ["--address=unix:path=\(f.socketPath)", "call", testName, testPath, testInterface, "Sleep", "u", "600000"]
        try p.run()
        #expect(eventually { (try? f.loop.sync { f.sleepers.count }) == 1 })
        #expect(try f.loop.sync { f.server.connectionCount } == 1)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(eventually { (try? f.loop.sync { f.server.connectionCount }) == 0 })
        // The reply to the vanished client goes nowhere, harmlessly.
        try f.loop.sync {
            for (timer, token) in f.sleepers { timer.cancel(); token.reply([.string("late")]) }
            f.sleepers = []
        }
        try f.expectServing()
    }

    @Test func oneMebibyteString() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        let big = String(repeating: "x", count: 1 << 20)
        #expect(try c.call(path: testPath, interface: testInterface, member: "Length", arguments: [.string(big)]) == [.uint64(1 << 20)])
        #expect(try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string(big)]).first?.string?.utf8.count == 1 << 20)
    }

    @Test func garbageFromClientsNeverHurtsTheServer() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let payloads: [[UInt8]] = [
            Array("GARBAGE\r\n".utf8),
            [0] + Array("AUTH EXTERNAL 30\r\nBEGIN\r\n".utf8) + (0..<4096).map { _ in UInt8.random(in: 0...255) },
            [0] + Array("AUTH EXTERNAL 30\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n".utf8) + [0x6c, 1, 0, 1, 0xff, 0xff, 0xff, 0x7f] + [UInt8](repeating: 0, count: 64),
            [0] + Array(repeating: UInt8(ascii: "A"), count: 100_000),
            [],
        ]
        for payload in payloads {
            let fd = try connectRaw(f.socketPath)
            if !payload.isEmpty { _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            close(fd)
        }
        #expect(eventually { (try? f.loop.sync { f.server.connectionCount }) == 0 })
        try f.expectServing()
    }

    @Test func connectionsAreLimited() throws {
        let f = try Fixture(maxConnections: 8)
        defer { f.shutdown() }
        var clients: [BusClient] = []
        for _ in 0..<8 {
            let c = try BusClient(.socket(f.socketPath))
            _ = try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("x")])
            clients.append(c)
        }
        #expect(try f.loop.sync { f.server.connectionCount } == 8)
        let refused = #expect(throws: BusError.self) {
            let ninth = try BusClient(.socket(f.socketPath))
            _ = try ninth.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("x")])
        }
        #expect(refused?.name == BusError.Name.disconnected)
        #expect(try f.loop.sync { f.server.refusedConnections } == 1)
        clients.removeLast()
        #expect(eventually { (try? f.loop.sync { f.server.connectionCount }) == 7 })
        let again = try BusClient(.socket(f.socketPath))
        #expect(try again.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("x")]) == [.string("x")])
    }

    @Test func aThousandConnectionsComeAndGo() throws {
        let f = try Fixture(maxConnections: 64)
        defer { f.shutdown() }
        for _ in 0..<10 {
            var fds: [Int32] = []
            for _ in 0..<100 { fds.append(try connectRaw(f.socketPath)) }
            fds.forEach { close($0) }
        }
        #expect(eventually { (try? f.loop.sync { f.server.connectionCount }) == 0 })
        #expect(try f.loop.sync { f.registry.connections.isEmpty })
        try f.expectServing()
    }

    @Test func credentialsAreThePeers() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        let out = try c.call(path: testPath, interface: testInterface, member: "Whoami")
        #expect(out[0] == .uint32(getuid()))
        #expect(out[1] == .uint32(getgid()))
        #expect(out[2] == .uint32(UInt32(getpid())))
        var groups = [gid_t](repeating: 0, count: 256)
        let n = getgroups(256, &groups)
        #expect(Set(out[3].elements?.compactMap(\.uint32) ?? []) == Set(groups[0..<Int(max(n, 0))]))
    }

    @Test func injectedCredentialsAreRefusedMutatingCalls() throws {
        let f = try Fixture(authorizeGroup: 990)
        defer { f.shutdown() }
        let c = try BusClient(.socket(f.socketPath))
        _ = try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("x")])
        try f.loop.sync { f.registry.connections.forEach { $0.credentialsOverride = Credentials(uid: 1000, gid: 1000, supplementaryGroups: [27]) } }
        #expect(throws: BusError(name: BusError.Name.accessDenied, message: "Only root and members of group 'rproc' may call 'Mutate'; you are uid 1000.")) {
            try c.call(path: testPath, interface: testInterface, member: "Mutate")
        }
        #expect(throws: BusError(name: BusError.Name.accessDenied, message: "Only root and members of group 'rproc' may call 'Set'; you are uid 1000.")) {
            try c.call(path: testPath, interface: "org.freedesktop.DBus.Properties", member: "Set", arguments: [.string(testInterface), .string("Name"), .variant(.string("x"))])
        }
        // Read-only calls stay open.
        #expect(try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("x")]) == [.string("x")])
        #expect(try f.loop.sync { f.mutations } == 0)
        try f.loop.sync { f.registry.connections.forEach { $0.credentialsOverride = Credentials(uid: 1000, gid: 1000, supplementaryGroups: [990]) } }
        _ = try c.call(path: testPath, interface: testInterface, member: "Mutate")
        #expect(try f.loop.sync { f.mutations } == 1)
    }

    @Test func listeningCreatesTheDirectoryAndRefusesAPathInUse() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        var st = stat()
        #expect(stat(f.socketPath, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK)
        #expect(st.st_mode & 0o777 == 0o666)
        #expect(throws: SyscallError(operation: "bind", path: f.socketPath, errno: EADDRINUSE)) {
            try f.loop.sync { _ = try PrivateBusServer(loop: f.loop, registry: f.registry, listen: .path(f.socketPath)) }
        }
        // A stale socket (nobody listening) is replaced.
        let stale = f.directory + "/stale"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = try Socket.address(stale)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        try f.loop.sync {
            let s = try PrivateBusServer(loop: f.loop, registry: f.registry, listen: .path(stale))
            s.close()
        }
        #expect(access(stale, F_OK) != 0)
        // Closing the second server left the first one's Hello in place.
        let c = try BusClient(.socket(f.socketPath))
        #expect(try c.call(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello").first?.string?.hasPrefix(":1.") == true)
    }

    @Test func socketModeAndGroupAreApplied() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let path = f.directory + "/grouped/control"
        try f.loop.sync {
            f.extraServers.append(try PrivateBusServer(loop: f.loop, registry: f.registry, listen: .path(path),
                                                       options: .init(mode: 0o660, group: 65534)))
        }
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o660)
        #expect(st.st_gid == 65534)
        // Nobody (gid 65534 cleared by --clear-groups, so not a member) cannot connect; root can.
        let denied = try run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65533", "--clear-groups", "/usr/bin/busctl",
                              "--address=unix:path=\(path)", "call", testName, testPath, testInterface, "Echo", "s", "x"])
        #expect(denied.status != 0)
        let c = try BusClient(.socket(path))
        #expect(try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("x")]) == [.string("x")])
    }

    @Test func aPeerThatDoesNotReadIsClosed() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let fd = try connectRaw(f.socketPath)
        defer { close(fd) }
        let uidHex = String(getuid()).utf8.map { String($0, radix: 16) }.joined()
        let auth = [0] + Array("AUTH EXTERNAL \(uidHex)\r\nBEGIN\r\n".utf8)
        _ = auth.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        #expect(eventually { (try? f.loop.sync { f.registry.connections.count }) == 1 })
        let note = String(repeating: "n", count: 64 * 1024)
        try f.loop.sync {
            f.registry.maxQueuedMessagesPerPeer = 16
            for i in 0..<600 {
                try f.registry.emitSignal(path: testPath, interface: testInterface, member: "Ticked", arguments: [.uint32(UInt32(i)), .string(note)])
                if f.server.connectionCount == 0 { break }
            }
        }
        #expect(try f.loop.sync { f.server.connectionCount } == 0)
        try f.expectServing()
    }

    @Test func clientExplainsAMissingServer() throws {
        #expect(throws: BusError(name: BusError.Name.noServer, message: "rprocd is not running (no socket at '/nonexistent/control'): start it with 'systemctl start rprocd'.")) {
            _ = try BusClient(.socket("/nonexistent/control"))
        }
        let dir = NSTemporaryDirectory() + "rprocbus-stale-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/control"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = try Socket.address(path)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        #expect(throws: BusError(name: BusError.Name.noServer, message: "rprocd is not running (nobody listens on '\(path)'): start it with 'systemctl start rprocd'.")) {
            _ = try BusClient(.socket(path))
        }
    }

    @Test func socketActivatedListener() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let path = f.directory + "/activated"
        let fd = try Socket.listen(path: path, mode: 0o600, group: nil)
        try f.loop.sync {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
            let s = try PrivateBusServer(loop: f.loop, registry: f.registry, listen: .activated(fd: fd))
            #expect(s.boundPath == nil)
            f.extraServers.append(s)
        }
        let c = try BusClient(.socket(path))
        #expect(try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("activated")]) == [.string("activated")])
    }
}

/// How many fds of this process are open on `path`.
func openFDs(to path: String) -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path }.count
}

func connectRaw(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var addr = try Socket.address(path)
    let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
    if r != 0 { close(fd); throw SyscallError(operation: "connect", path: path, errno: errno) }
    return fd
}

@Suite struct PipeliningTests {
    /// sd-bus 252 leaves a message that arrives in the same read as `BEGIN` unprocessed (see
    /// `BusConnection.watchAuthentication`); gdbus hit it about one call in five.
    @Test func helloInTheSameWriteAsBeginIsAnswered() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let fd = try connectRaw(f.socketPath)
        defer { close(fd) }
        func sendAll(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        func receive() -> [UInt8] {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 10_000) == 1 else { return [] }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buf, 4096, 0)
            return n > 0 ? Array(buf[0..<n]) : []
        }
        let uidHex = String(getuid()).utf8.map { String($0, radix: 16) }.joined()
        sendAll([0] + Array("AUTH EXTERNAL \(uidHex)\r\n".utf8))
        #expect(String(decoding: receive(), as: UTF8.self).hasPrefix("OK "))
        // A Hello call, as gdbus writes it, right behind BEGIN in one write.
        var hello: [UInt8] = [UInt8(ascii: "l"), 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0x6e, 0, 0, 0]
        func field(_ code: UInt8, _ type: Character, _ value: String) {
            while hello.count % 8 != 0 { hello.append(0) }
            hello += [code, 1, UInt8(ascii: type.unicodeScalars.first!), 0]
            let v = Array(value.utf8)
            hello += [UInt8(v.count), 0, 0, 0] + v + [0]
        }
        field(1, "o", "/org/freedesktop/DBus")
        field(2, "s", "org.freedesktop.DBus")
        field(6, "s", "org.freedesktop.DBus")
        field(3, "s", "Hello")
        #expect(hello.count - 16 == 0x6e)
        while hello.count % 8 != 0 { hello.append(0) }
        sendAll(Array("BEGIN\r\n".utf8) + hello)
        let reply = receive()
        #expect(reply.first == UInt8(ascii: "l") && reply.count > 1 && reply[1] == 2, "a method return")
        #expect(String(decoding: reply, as: UTF8.self).contains(":1."))
    }
}
