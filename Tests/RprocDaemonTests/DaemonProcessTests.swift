import Foundation
import Glibc
import RprocBus
import Testing
@testable import RprocDaemon

/// The built `rprocd`, run as systemd would run it, on a directory laid out like the kernel's files.
/// (Plain files: the daemon must not write any of them while it only adopts and serves.)
@Suite(.serialized) struct DaemonProcessTests {
    struct Board {
        let kernel: FakeKernel
        var root: String { kernel.root }
        var socket: String { root + "/run/rprocd/control" }
        var state: String { root + "/var/lib/rprocd" }
        var config: String { root + "/etc/rprocd" }

        init() throws {
            kernel = try FakeKernel()
            try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
            try kernel.add("remoteproc1", name: "dsp", parent: "40000000.dsp", state: "running")
            try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        }

        func arguments(_ extra: [String] = []) -> [String] {
            ["--root", root, "--socket", socket, "--state-dir", state, "--config-dir", config, "--system-bus", "no"] + extra
        }

        /// Contents and modification times of every attribute file.
        func kernelFiles() throws -> [String: String] {
            var result: [String: String] = [:]
            let base = root + "/sys/devices/platform"
            for path in FileManager.default.subpaths(atPath: base) ?? [] where !path.hasSuffix("remoteproc") {
                let full = base + "/" + path
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let attributes = try FileManager.default.attributesOfItem(atPath: full)
                result[path] = (try String(contentsOfFile: full, encoding: .utf8)) + "@\(attributes[.modificationDate]!)"
            }
            return result
        }
    }

    func daemon(_ board: Board, _ extra: [String] = [], environment: [String: String] = [:], executable: [String]? = nil) throws -> DaemonProcess {
        try DaemonProcess(arguments: board.arguments(extra), notifyPath: board.root + "/notify-\(UUID().uuidString.prefix(8))", environment: environment, executable: executable)
    }

    @Test func readyOnlyOnceServingThenReloadAndTerminateWithoutTouchingAProcessor() throws {
        guard DaemonProcess.binary != nil else {
            print("Skipping: build the rprocd product first (swift build --product rprocd).")
            return
        }
        let board = try Board()
        let before = try board.kernelFiles()
        let rprocd = try daemon(board)
        #expect(rprocd.notify.wait(for: "READY=1"), "no READY=1: \(rprocd.notify.received)")
        // READY=1 means the socket answers and discovery is done.
        let client = try BusClient(.socket(board.socket))
        let list = try client.call(path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: "ListProcessors")
        #expect(list.first?.elements?.count == 2)
        #expect(rprocd.notify.statuses.contains("2 processors, 1 running"))
        rprocd.signal(SIGHUP)
        #expect(rprocd.notify.wait(for: "RELOADING=1"))
        rprocd.signal(SIGTERM)
        #expect(rprocd.notify.wait(for: "STOPPING=1"))
        #expect(rprocd.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: board.socket))
        #expect(try board.kernelFiles() == before)
        #expect(rprocd.log.contains("leaving every processor as it is"))
    }

    @Test func watchdogPingsWhenTheServiceManagerAsksForThem() throws {
        guard DaemonProcess.binary != nil else {
            print("Skipping: build the rprocd product first (swift build --product rprocd).")
            return
        }
        let board = try Board()
        let rprocd = try daemon(board, environment: ["WATCHDOG_USEC": "200000"])
        #expect(rprocd.notify.wait(for: "READY=1"))
        #expect(rprocd.notify.wait(for: "WATCHDOG=1"), "\(rprocd.notify.received)")
        rprocd.signal(SIGTERM)
        #expect(rprocd.waitForExit() == 0)
    }

    @Test func systemdUnitsVerifyCleanly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), let binary = DaemonProcess.binary else {
            print("Skipping: needs systemd-analyze and the rprocd product.")
            return
        }
        let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd").path
        // A root with the units installed where systemd looks, the binary at ExecStart=, and the
        // host's own units for the dependencies (sysinit.target, …).
        let root = NSTemporaryDirectory() + "rprocd-verify-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for directory in ["usr/bin", "bin", "etc/systemd/system", "usr/lib/systemd"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: "/usr/lib/systemd/system", toPath: root + "/usr/lib/systemd/system")
        try FileManager.default.copyItem(atPath: binary, toPath: root + "/usr/bin/rprocd")
        try FileManager.default.copyItem(atPath: "/bin/kill", toPath: root + "/bin/kill")
        for unit in ["rprocd.service", "rprocd.socket", "rproc-ready@.target"] {
            try FileManager.default.copyItem(atPath: units + "/" + unit, toPath: root + "/etc/systemd/system/" + unit)
        }
        let (status, output) = try BusHarness.run(
            ["systemd-analyze", "verify", "--root=\(root)", "rprocd.service", "rprocd.socket", "rproc-ready@m4.target"])
        #expect(status == 0, "\(output)")
        #expect(output.isEmpty, "\(output)")
    }

    @Test func killedAndStartedAgainItAdoptsTheStateAndKeepsTheCounters() throws {
        guard DaemonProcess.binary != nil else {
            print("Skipping: build the rprocd product first (swift build --product rprocd).")
            return
        }
        let board = try Board()
        let store = CounterStore(stateDirectory: board.state)
        var counters = ProcessorCounters()
        counters.boots = 5
        counters.crashes = 2
        try store.save(counters, key: CounterStore.key(name: "dsp", parent: "40000000.dsp"))
        let before = try board.kernelFiles()
        let first = try daemon(board)
        #expect(first.notify.wait(for: "READY=1"))
        first.signal(SIGKILL)
        #expect(first.waitForExit() != nil)
        // The socket file of the killed daemon is still there: the next one replaces it.
        let second = try daemon(board)
        #expect(second.notify.wait(for: "READY=1"), "\(second.notify.received)")
        let client = try BusClient(.socket(board.socket))
        let path = "/org/daybreak/RemoteProc1/processor/remoteproc1"
        #expect(try client.property(path: path, interface: "org.daybreak.RemoteProc1.Processor", name: "BootCount") == .uint32(5))
        #expect(try client.property(path: path, interface: "org.daybreak.RemoteProc1.Processor", name: "CrashCount") == .uint32(2))
        #expect(try client.property(path: path, interface: "org.daybreak.RemoteProc1.Processor", name: "State") == .string("running"))
        second.signal(SIGTERM)
        #expect(second.waitForExit() == 0)
        #expect(try board.kernelFiles() == before)
    }

    @Test func socketActivation() throws {
        guard DaemonProcess.binary != nil, FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-socket-activate") else {
            print("Skipping: needs the rprocd product and systemd-socket-activate.")
            return
        }
        let board = try Board()
        let activated = board.root + "/activated.sock"
        // systemd-socket-activate listens, and runs rprocd with LISTEN_FDS=1 at the first connection.
        let rprocd = try daemon(board, executable: ["/usr/bin/systemd-socket-activate", "-l", activated, "-E", "NOTIFY_SOCKET"])
        var client: BusClient?
        for _ in 0..<200 where client == nil {
            client = try? BusClient(.socket(activated))
            if client == nil { usleep(10_000) }
        }
        let connected = try #require(client)
        let list = try connected.call(path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: "ListProcessors")
        #expect(list.first?.elements?.count == 2)
        // It served the passed socket, and bound nothing at SocketPath=.
        #expect(!FileManager.default.fileExists(atPath: board.socket))
        rprocd.signal(SIGTERM)
        _ = rprocd.waitForExit()
    }

    @Test func ownsTheNameOnASystemBus() throws {
        guard DaemonProcess.binary != nil, FileManager.default.isExecutableFile(atPath: "/usr/bin/dbus-daemon") else {
            print("Skipping: needs the rprocd product and dbus-daemon.")
            return
        }
        let board = try Board()
        let busSocket = board.root + "/system_bus_socket"
        let config = board.root + "/bus.conf"
        try """
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>system</type>
          <listen>unix:path=\(busSocket)</listen>
          <auth>EXTERNAL</auth>
          <policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
        </busconfig>
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let bus = Process()
        bus.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        bus.arguments = ["--config-file=\(config)", "--nofork", "--nopidfile"]
        try bus.run()
        defer { kill(bus.processIdentifier, SIGKILL) }
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: busSocket) { usleep(10_000) }
        let address = "unix:path=\(busSocket)"
        let rprocd = try daemon(board, ["--system-bus", "yes"], environment: ["DBUS_SYSTEM_BUS_ADDRESS": address])
        #expect(rprocd.notify.wait(for: "READY=1"))
        let client = try BusClient(.bus(address))
        let list = try client.call(destination: "org.daybreak.RemoteProc1", path: "/org/daybreak/RemoteProc1",
                                   interface: "org.daybreak.RemoteProc1.Manager", member: "ListProcessors")
        #expect(list.first?.elements?.count == 2)
        let owned = try client.property(destination: "org.daybreak.RemoteProc1", path: "/org/daybreak/RemoteProc1",
                                        interface: "org.daybreak.RemoteProc1.Manager", name: "SystemBus")
        #expect(owned == .bool(true))
        rprocd.signal(SIGTERM)
        #expect(rprocd.waitForExit() == 0)
    }
}
