import Foundation
import Glibc
@testable import RprocBus
import RprocTestSupport
import Testing

/// The registry on a message bus: a private dbus-daemon configured like a system bus stands in for it.
@Suite struct SystemBusTests {
    @Test func servesTheRegistryOnABus() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let daemon = try PrivateDBusDaemon(type: "system", directory: f.directory)
        defer { daemon.stop() }
        #expect(daemon.address.hasPrefix("unix:path="))
        let joined = try f.loop.sync { () -> String? in
            let r = f.registry.joinBus(name: testName, address: daemon.address)
            return r.connection?.uniqueName
        }
        #expect(joined?.hasPrefix(":1.") == true)
        let c = try BusClient(.bus(daemon.address))
        #expect(try c.call(destination: testName, path: testPath, interface: testInterface, member: "Echo", arguments: [.string("via bus")]) == [.string("via bus")])
        // Sender credentials come from the bus.
        let who = try c.call(destination: testName, path: testPath, interface: testInterface, member: "Whoami")
        #expect(who[0] == .uint32(getuid()))
        #expect(who[2] == .uint32(UInt32(getpid())))
        // Signals are routed by the bus daemon to subscribers (AddMatch sent by sd-bus).
        var ticks = 0
        let sub = try c.subscribe(interface: testInterface, member: "Ticked", sender: testName) { _ in ticks += 1 }
        _ = try c.call(destination: testName, path: testPath, interface: testInterface, member: "Mutate")
        #expect(try c.run(until: { ticks == 1 }, timeoutMicroseconds: 10_000_000))
        sub.cancel()
        // The stand-in org.freedesktop.DBus object of the private socket is not served here: the real one answers.
        let names = try c.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "ListNames")
        #expect(names[0].strings?.contains(testName) == true)
        #expect(throws: BusError.self) {
            try c.call(destination: testName, path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello")
        }
        // Another uid is refused mutating calls on the bus too.
        let nobody = try run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/gdbus", "call",
                              "--address", daemon.address, "--dest", testName, "--object-path", testPath, "--method", "\(testInterface).Mutate"])
        #expect(nobody.err.contains("org.freedesktop.DBus.Error.AccessDenied: Only root may call 'Mutate'; you are uid 65534."), "\(nobody.err)")
        // A second owner of the name is refused; an unreachable bus is a value.
        let second = try f.loop.sync { () -> String in
            if case .nameNotAcquired(let why) = ObjectRegistry(loop: f.loop).joinBus(name: testName, address: daemon.address) { return why }
            return "acquired"
        }
        #expect(second == "'org.example.Test1' is owned by another connection")
        let unreachable = try f.loop.sync { () -> String in
            if case .notReachable(let why) = f.registry.joinBus(name: testName, address: "unix:path=\(f.directory)/nothing") { return why }
            return "reached"
        }
        #expect(unreachable == "No such file or directory")
        // When the bus goes away, the connection is dropped from the registry; the private socket keeps serving.
        daemon.stop()
        #expect(eventually { (try? f.loop.sync { f.registry.connections.allSatisfy { $0.kind == .peer } }) == true })
        try f.expectServing()
    }
}
