import Foundation
import Glibc
@testable import RprocBus
import Testing

/// The server against the real clients: busctl (sd-bus, calls Hello first) and gdbus (GLib).
@Suite struct ToolTests {
    func busctl(_ f: Fixture, _ args: [String], asNobody: Bool = false) throws -> (status: Int32, out: String, err: String) {
        let prefix = asNobody ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/busctl"] : ["/usr/bin/busctl"]
        return try run(prefix + ["--address=unix:path=\(f.socketPath)"] + args)
    }

    @Test func busctlCallsAfterHello() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let r = try busctl(f, ["call", testName, testPath, testInterface, "Echo", "s", "hello from busctl"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "s \"hello from busctl\"\n")
        let job = try busctl(f, ["call", testName, testPath, testInterface, "EnqueueJob", "sss", "m4", "start", ""])
        #expect(job.out == "(uo) 42 \"\(itemPrefix)/remoteproc0\"\n")
        let json = try busctl(f, ["--json=short", "call", testName, testPath, testInterface, "ListProcessors"])
        #expect(json.out.contains("\"type\":\"a(ssso)\""))
    }

    @Test func busctlGetProperty() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        #expect(try busctl(f, ["get-property", testName, testPath, testInterface, "Version"]).out == "s \"1.0\"\n")
        #expect(try busctl(f, ["get-property", testName, testPath, testInterface, "Channels"]).out == "a(ssuu) 1 \"rpmsg-tty\" \"/dev/ttyRPMSG0\" 1024 0\n")
        let set = try busctl(f, ["set-property", testName, testPath, testInterface, "Name", "s", "via-busctl"])
        #expect(set.status == 0, "\(set.err)")
        #expect(try busctl(f, ["get-property", testName, testPath, testInterface, "Name"]).out == "s \"via-busctl\"\n")
    }

    @Test func busctlIntrospectListsTheWholeInterface() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let r = try busctl(f, ["introspect", "--no-pager", testName, testPath])
        #expect(r.status == 0, "\(r.err)")
        for line in [".EnqueueJob", ".ListCoredumps", ".Mutate", ".Sleep", ".Version", ".Counter", ".Ticked",
                     "org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable"] {
            #expect(r.out.contains(line), "missing \(line)")
        }
        #expect(r.out.contains(#".EnqueueJob                          method    sss            (uo)"#) || r.out.range(of: #"\.EnqueueJob\s+method\s+sss\s+\(uo\)"#, options: .regularExpression) != nil)
        #expect(r.out.range(of: #"\.Version\s+property\s+s\s+"1\.0"\s+const"#, options: .regularExpression) != nil)
        #expect(r.out.range(of: #"\.Name\s+property\s+s\s+"initial"\s+emits-change writable"#, options: .regularExpression) != nil)
    }

    @Test func busctlTreeShowsTheSubtree() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let r = try busctl(f, ["tree", "--list", testName])
        #expect(r.status == 0, "\(r.err)")
        let paths = Set(r.out.split(separator: "\n").map(String.init))
        #expect(paths.isSuperset(of: [testPath, itemPrefix, itemPrefix + "/remoteproc0", itemPrefix + "/m4_2dcore_2e1"]))
    }

    @Test func busctlSeesNamedErrors() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let wrong = try busctl(f, ["call", testName, testPath, testInterface, "Echo", "u", "5"])
        #expect(wrong.status != 0)
        #expect(wrong.err.contains("Expected arguments of signature 's', got 'u'."))
        let unknown = try busctl(f, ["call", testName, "/nope", testInterface, "Echo", "s", "x"])
        #expect(unknown.err.contains("Unknown object '/nope'."))
        let method = try busctl(f, ["call", testName, testPath, testInterface, "Nope"])
        #expect(method.err.contains("Unknown method 'Nope' of interface 'org.example.Test1'."))
        // Still serving.
        #expect(try busctl(f, ["call", testName, testPath, testInterface, "Echo", "s", "x"]).status == 0)
    }

    @Test func anotherUidIsRefusedMutatingCalls() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let who = try busctl(f, ["call", testName, testPath, testInterface, "Whoami"], asNobody: true)
        #expect(who.status == 0, "\(who.err)")
        #expect(who.out.hasPrefix("uuuau 65534 65534 "))
        #expect(who.out.hasSuffix(" 0\n"), "no supplementary groups after --clear-groups: \(who.out)")
        // busctl prints "Access denied" for this error name whatever the message (systemd's
        // bus_error_message overrides it); gdbus shows the message.
        let mutate = try busctl(f, ["call", testName, testPath, testInterface, "Mutate"], asNobody: true)
        #expect(mutate.status != 0)
        #expect(mutate.err == "Call failed: Access denied\n")
        let gdbus = try run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/gdbus", "call",
                             "--address", "unix:path=\(f.socketPath)", "--dest", testName, "--object-path", testPath,
                             "--method", "\(testInterface).Mutate"])
        #expect(gdbus.err.contains("GDBus.Error:org.freedesktop.DBus.Error.AccessDenied: Only root may call 'Mutate'; you are uid 65534."), "\(gdbus.err)")
        let set = try busctl(f, ["set-property", testName, testPath, testInterface, "Name", "s", "x"], asNobody: true)
        #expect(set.err.contains("Access denied"))
        // Read-only calls are open to anyone.
        #expect(try busctl(f, ["get-property", testName, testPath, testInterface, "Counter"], asNobody: true).out == "u 0\n")
        #expect(try f.loop.sync { f.mutations } == 0)
        // The same call as root goes through.
        #expect(try busctl(f, ["call", testName, testPath, testInterface, "Mutate"]).status == 0)
        #expect(try f.loop.sync { f.mutations } == 1)
    }

    @Test func busctlMonitorsSignals() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        // `busctl wait` (systemd ≥ 256) is not available here; a subscribed in-process client stands in
        // and busctl triggers the signal from outside.
        let c = try BusClient(.socket(f.socketPath))
        var ticks: [ReceivedSignal] = []
        let sub = try c.subscribe(interface: testInterface, member: "Ticked") { ticks.append($0) }
        _ = try c.call(path: testPath, interface: testInterface, member: "Echo", arguments: [.string("sync")])
        #expect(try busctl(f, ["call", testName, testPath, testInterface, "Mutate"]).status == 0)
        #expect(try c.run(until: { ticks.count == 1 }, timeoutMicroseconds: 10_000_000))
        #expect(ticks.first?.arguments == [.uint32(1), .string("mutate")])
        sub.cancel()
    }

    @Test func gdbusCallsAndIntrospects() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let address = "unix:path=\(f.socketPath)"
        let r = try run(["/usr/bin/gdbus", "call", "--address", address, "--dest", testName, "--object-path", testPath,
                         "--method", "\(testInterface).Echo", "hello from gdbus"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "('hello from gdbus',)\n")
        let props = try run(["/usr/bin/gdbus", "call", "--address", address, "--dest", testName, "--object-path", testPath,
                             "--method", "org.freedesktop.DBus.Properties.Get", testInterface, "StateChangeUSec"])
        #expect(props.out == "(<uint64 123>,)\n", "\(props.err)")
        let wrong = try run(["/usr/bin/gdbus", "call", "--address", address, "--dest", testName, "--object-path", "/nope",
                             "--method", "\(testInterface).Echo", "x"])
        #expect(wrong.status != 0)
        #expect(wrong.err.contains("org.freedesktop.DBus.Error.UnknownObject"))
        let xml = try run(["/usr/bin/gdbus", "introspect", "--address", address, "--dest", testName, "--object-path", testPath])
        #expect(xml.status == 0, "\(xml.err)")
        #expect(xml.out.contains("EnqueueJob(in  s nameOrDevice,"))
        #expect(xml.out.contains("readonly s Version = '1.0';"))
    }
}
