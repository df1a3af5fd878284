import Foundation
import Glibc
@testable import RprocBus
import Testing

/// The registry on a message bus: a private dbus-daemon configured like a system bus stands in for it.
@Suite struct SystemBusTests {
    final class BusDaemon {
        let process = Process()
        let address: String
        init(directory: String) throws {
            let config = directory + "/bus.conf"
            try """
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <listen>unix:path=\(directory)/bus</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow user="*"/>
                <allow own="*"/>
                <allow send_destination="*" eavesdrop="true"/>
                <allow receive_sender="*"/>
              </policy>
            </busconfig>
            """.write(toFile: config, atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
            process.arguments = ["--config-file=\(config)", "--nofork", "--nopidfile", "--print-address=1"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
            address = String(decoding: line, as: UTF8.self)
        }
        /// dbus-daemon in system mode ignores SIGTERM here: kill it.
        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test func servesTheRegistryOnABus() throws {
        let f = try Fixture()
        defer { f.shutdown() }
        let daemon = try BusDaemon(directory: f.directory)
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
