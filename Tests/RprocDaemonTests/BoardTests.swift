// End to end: the built rprocd on the mounted lab board (rproc-sim, FUSE), driven over the
// control socket with RprocBus's client and with busctl. The board's kernel log proves what
// reached the "kernel".

import Foundation
import Glibc
import RprocBus
import RprocTestSupport
import Testing
@testable import RprocDaemon

/// The lab board with firmware for every processor, and rprocd running on it.
final class BoardDaemon: @unchecked Sendable {
    let board: MountedBoard
    let daemon: DaemonProcess
    let work: String
    var socket: String { work + "/control" }

    /// - Parameter processorFiles: `*.rproc` files by name, written to the config dir's `processors.d`.
    /// - Parameter board: a board file (path, or name in Resources/boards).
    init(
        firmware: [String: [UInt8]]? = nil, processorFiles: [String: String] = [:], board boardFile: String = "lab",
        beforeStart: (MountedBoard) throws -> Void = { _ in }
    ) throws {
        let image = ElfBuilder.minimalRemoteproc().build()
        board = try MountedBoard(
            board: boardFile, firmware: firmware ?? ["m4.elf": image, "r5f.elf": image, "slow.elf": image, "broken.elf": image])
        work = NSTemporaryDirectory() + "rprocd-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work + "/etc/processors.d", withIntermediateDirectories: true)
        for (name, text) in processorFiles { try text.write(toFile: work + "/etc/processors.d/" + name, atomically: true, encoding: .utf8) }
        try beforeStart(board)
        daemon = try Self.start(board: board, work: work)
    }

    static func start(board: MountedBoard, work: String) throws -> DaemonProcess {
        let daemon = try DaemonProcess(
            arguments: [
                "--root", board.mountPoint, "--socket", work + "/control", "--state-dir", work + "/state",
                "--config-dir", work + "/etc", "--system-bus", "no", "--poll-interval", "200ms",
            ],
            notifyPath: work + "/notify-\(UUID().uuidString.prefix(8))")
        guard daemon.notify.wait(for: "READY=1", seconds: 20) else {
            daemon.signal(SIGKILL)
            _ = daemon.waitForExit()
            throw BusError.failed("rprocd did not become ready: \(daemon.log)")
        }
        return daemon
    }

    deinit {
        daemon.signal(SIGTERM)
        _ = daemon.waitForExit()
        try? FileManager.default.removeItem(atPath: work)
    }

    func client() throws -> BusClient { try BusClient(.socket(socket)) }

    /// One answered call on `client`'s connection: from then on the daemon has the connection and
    /// sends it every signal. (Connecting is asynchronous for the daemon: a signal emitted before it
    /// accepted the connection never reaches the client; a crash written straight after connecting
    /// used to race with the accept, and lost under load.)
    func awaitConnected(_ client: BusClient) throws {
        _ = try client.call(path: "/org/daybreak/RemoteProc1", interface: Self.manager, member: "ListProcessors",
                            timeoutMicroseconds: 10_000_000)
    }

    /// The board's kernel log so far: every record's text (dev/kmsg, non-blocking, from the start).
    func kernelLog() -> [String] {
        let fd = open(board.path("dev/kmsg"), O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var lines: [String] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EPIPE { continue }
            if count <= 0 { break }
            let record = String(decoding: buffer[0..<count], as: UTF8.self)
            if let semicolon = record.firstIndex(of: ";") {
                lines.append(String(record[record.index(after: semicolon)...].prefix { $0 != "\n" }))
            }
        }
        return lines
    }

    static func path(_ device: String) -> String { "/org/daybreak/RemoteProc1/processor/\(device)" }
    static let processor = "org.daybreak.RemoteProc1.Processor"
    static let manager = "org.daybreak.RemoteProc1.Manager"

    func call(_ device: String, _ member: String, _ arguments: [BusValue] = [], client: BusClient? = nil) -> String {
        do {
            _ = try (client ?? self.client()).call(path: Self.path(device), interface: Self.processor, member: member, arguments: arguments)
            return "ok"
        } catch {
            return (error as? BusError)?.name ?? "\(error)"
        }
    }

    /// Makes m4's boot take `milliseconds`, queues a start with EnqueueJob, and waits until the
    /// job is in flight (`Job` reads `starting`). Returns whether it got there.
    func slowStartInFlight(milliseconds: Int) throws -> Bool {
        try "\(milliseconds)".write(toFile: board.path(".sim/remoteproc0/start_delay_ms"), atomically: false, encoding: .utf8)
        let client = try client()
        _ = try client.call(path: "/org/daybreak/RemoteProc1", interface: Self.manager, member: "EnqueueJob",
                            arguments: [.string("m4"), .string("start"), .string("")])
        return try waitForJob("starting", client: client)
    }

    /// Polls m4's `Job` until it reads `job` (at most 1 s).
    func waitForJob(_ job: String, client: BusClient) throws -> Bool {
        for _ in 0..<500 {
            if try client.property(path: Self.path("remoteproc0"), interface: Self.processor, name: "Job").string == job { return true }
            usleep(2_000)
        }
        return false
    }

    func state(_ device: String) throws -> String {
        try client().property(path: Self.path(device), interface: Self.processor, name: "State").string ?? ""
    }
}

@Suite(.serialized, .enabled(if: MountedBoard.available && DaemonProcess.binary != nil))
struct BoardTests {
    @Test func startAndStopFromEveryStateWithNoForbiddenWrite() throws {
        let e2e = try BoardDaemon()
        let client = try e2e.client()
        let list = try client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "ListProcessors")
        let names = (list.first?.elements ?? []).compactMap { $0.members?[1].string }
        #expect(names.starts(with: ["m4", "r5f", "bootcore", "ro-core", "slow", "broken", "auto"]), "\(names)")

        // offline m4: Start boots it; a second Start writes nothing; Stop; Stop again is refused.
        #expect(e2e.call("remoteproc0", "Start", [.string("")], client: client) == "ok")
        #expect(try e2e.state("remoteproc0") == "running")
        #expect(e2e.call("remoteproc0", "Start", [.string("")], client: client) == "ok")
        #expect(e2e.call("remoteproc0", "Recover", client: client) == DaemonError.Name.invalidTransition.rawValue)
        #expect(e2e.call("remoteproc0", "Detach", client: client) == DaemonError.Name.invalidTransition.rawValue)
        #expect(e2e.call("remoteproc0", "SetFirmware", [.string("r5f.elf")], client: client) == DaemonError.Name.invalidTransition.rawValue)
        #expect(e2e.call("remoteproc0", "Stop", client: client) == "ok")
        // One stop brought it offline: the second Start did not raise the kernel's power count.
        #expect(try e2e.state("remoteproc0") == "offline")
        #expect(e2e.call("remoteproc0", "Stop", client: client) == DaemonError.Name.notRunning.rawValue)
        #expect(e2e.call("remoteproc0", "Attach", client: client) == DaemonError.Name.invalidTransition.rawValue)

        // detached bootcore: Start attaches, Detach detaches.
        #expect(try e2e.state("remoteproc2") == "detached")
        #expect(e2e.call("remoteproc2", "Start", [.string("")], client: client) == "ok")
        #expect(try e2e.state("remoteproc2") == "attached")
        #expect(e2e.call("remoteproc2", "Detach", client: client) == "ok")
        #expect(try e2e.state("remoteproc2") == "detached")
        #expect(e2e.call("remoteproc2", "Attach", client: client) == "ok")
        #expect(try e2e.state("remoteproc2") == "attached")
        #expect(e2e.call("remoteproc2", "Stop", client: client) == "ok")
        #expect(try e2e.state("remoteproc2") == "offline")

        // Read-only driver files, a driver whose start fails, a missing firmware.
        #expect(e2e.call("remoteproc3", "Start", [.string("")], client: client) == DaemonError.Name.readOnly.rawValue)
        #expect(e2e.call("remoteproc5", "Start", [.string("")], client: client) == DaemonError.Name.kernelRefused.rawValue)
        #expect(e2e.call("remoteproc1", "Start", [.string("nothere.elf")], client: client) == DaemonError.Name.firmwareNotFound.rawValue)

        let log = e2e.kernelLog()
        #expect(!log.contains { $0.contains("Unrecognised option") }, "\(log)")
        #expect(log.filter { $0.contains("powering up m4") }.count == 1, "\(log)")
        #expect(log.contains { $0.contains("remote processor m4 is now up") })
        #expect(!log.contains { $0.contains("can't change firmware while running") }, "\(log)")
        #expect(!log.contains { $0.contains("powering up ro-core") })
    }

    @Test func twoClientsStartingTheSameProcessorMakeOneKernelStart() throws {
        let e2e = try BoardDaemon()
        // m4 boots slowly so that both calls are in flight together.
        try "1000".write(toFile: e2e.board.path(".sim/remoteproc0/start_delay_ms"), atomically: false, encoding: .utf8)
        let socket = e2e.socket
        let results = Box<[String]>([])
        let lock = NSLock()
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                var outcome = "ok"
                do {
                    let client = try BusClient(.socket(socket))
                    _ = try client.call(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, member: "Start", arguments: [.string("")])
                } catch {
                    outcome = (error as? BusError)?.name ?? "\(error)"
                }
                lock.withLock { results.value.append(outcome) }
                group.leave()
            }
        }
        group.wait()
        #expect(results.value.sorted() == [DaemonError.Name.busy.rawValue, "ok"].sorted(), "\(results.value)")
        #expect(try e2e.state("remoteproc0") == "running")
        #expect(e2e.kernelLog().filter { $0.contains("powering up m4") }.count == 1)
        // The refcount stayed 1: one stop brings it offline.
        #expect(e2e.call("remoteproc0", "Stop") == "ok")
        #expect(try e2e.state("remoteproc0") == "offline")
    }

    @Test func listProcessorsIsAnsweredWhileAThreeSecondBootIsInFlight() throws {
        let e2e = try BoardDaemon()
        try "3000".write(toFile: e2e.board.path(".sim/remoteproc0/start_delay_ms"), atomically: false, encoding: .utf8)
        let socket = e2e.socket
        let done = DispatchSemaphore(value: 0)
        let outcome = Box<String>("")
        Thread.detachNewThread {
            do {
                let client = try BusClient(.socket(socket))
                _ = try client.call(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, member: "Start", arguments: [.string("")])
                outcome.value = "ok"
            } catch {
                outcome.value = (error as? BusError)?.name ?? "\(error)"
            }
            done.signal()
        }
        let client = try e2e.client()
        // Wait until the job is in flight, then ask while the kernel write blocks.
        #expect(try e2e.waitForJob("starting", client: client))
        let list = try client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "ListProcessors")
        #expect((list.first?.elements?.count ?? 0) >= 7)
        let state = try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "State")
        #expect(state == .string("offline"))  // the kernel shows offline for the whole boot
        // The start is still in flight when ListProcessors came back.
        #expect(done.wait(timeout: .now()) == .timedOut)
        done.wait()
        #expect(outcome.value == "ok")
        #expect(try e2e.state("remoteproc0") == "running")
    }

    @Test func killedMidBootAndStartedAgainItAdoptsAndWritesNothing() throws {
        let e2e = try BoardDaemon()
        #expect(try e2e.slowStartInFlight(milliseconds: 2000))
        e2e.daemon.signal(SIGKILL)
        #expect(e2e.daemon.waitForExit() != nil)
        // The killed writer's boot ends in the kernel one way or the other (the board aborts an
        // interrupted one); wait until nothing is in flight any more.
        let statePath = e2e.board.path("sys/class/remoteproc/remoteproc0/state")
        var log = e2e.kernelLog()
        var quiet = 0
        for _ in 0..<1000 where quiet < 50 {
            usleep(10_000)
            let now = e2e.kernelLog()
            quiet = now.count == log.count ? quiet + 1 : 0
            log = now
        }
        let kernelState = try String(contentsOfFile: statePath, encoding: .utf8).trimmingCharacters(in: .newlines)
        let before = e2e.kernelLog()
        let second = try BoardDaemon.start(board: e2e.board, work: e2e.work)
        defer {
            second.signal(SIGTERM)
            _ = second.waitForExit()
        }
        let again = try BusClient(.socket(e2e.socket))
        let state = try again.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "State")
        #expect(state == .string(kernelState))
        second.signal(SIGTERM)
        #expect(second.waitForExit() == 0)
        // Nothing was written: the kernel logged nothing new about any processor.
        #expect(e2e.kernelLog().count == before.count, "\(e2e.kernelLog().dropFirst(before.count))")
    }

    @Test func sigtermDuringABootLetsTheKernelFinishIt() throws {
        let e2e = try BoardDaemon()
        #expect(try e2e.slowStartInFlight(milliseconds: 1500))
        e2e.daemon.signal(SIGTERM)
        #expect(e2e.daemon.notify.wait(for: "STOPPING=1"))
        #expect(e2e.daemon.waitForExit(seconds: 20) == 0)
        // The boot rprocd had asked for completed; rprocd neither aborted it nor wrote anything else.
        let state = try String(contentsOfFile: e2e.board.path("sys/class/remoteproc/remoteproc0/state"), encoding: .utf8)
        #expect(state == "running\n")
        #expect(e2e.kernelLog().filter { $0.contains("powering up m4") }.count == 1)
        #expect(!e2e.kernelLog().contains { $0.contains("stopped remote processor") })
    }

    @Test func autoStartFromTheConfigurationWithWarningsForBadLines() throws {
        let e2e = try BoardDaemon { _ in }
        // Restart it with a configuration: m4 boots r5f.elf at start; a bad key is a warning.
        e2e.daemon.signal(SIGTERM)
        #expect(e2e.daemon.waitForExit() == 0)
        let directory = e2e.work + "/etc/processors.d"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "[Match]\nName=m4\n[Firmware]\nFile=r5f.elf\nColour=blue\n[Boot]\nAutoStart=yes\n[Memory]\nWindow=0x10000000:1M\n"
            .write(toFile: directory + "/m4.rproc", atomically: true, encoding: .utf8)
        let daemon = try BoardDaemon.start(board: e2e.board, work: e2e.work)
        let client = try BusClient(.socket(e2e.socket))
        var state = ""
        for _ in 0..<1000 where state != "running" {
            state = try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "State").string ?? ""
            if state != "running" { usleep(5_000) }
        }
        #expect(state == "running")
        #expect(try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "Firmware") == .string("r5f.elf"))
        // Reload() re-reads the configuration (as SIGHUP does) and answers.
        _ = try client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "Reload")
        #expect(daemon.notify.wait(for: "RELOADING=1"))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let log = daemon.log
        #expect(log.contains("m4.rproc:5: Unknown key 'Colour' in section [Firmware], ignoring."), "\(log)")
        // Only the one processor configured for it was started (remoteproc6 boots itself at probe).
        let started = e2e.kernelLog().filter { $0.contains("powering up") && !$0.contains("powering up auto") }
        #expect(started == ["remoteproc remoteproc0: powering up m4"], "\(e2e.kernelLog())")
    }

    @Test func announcedRpmsgChannelsAreShown() throws {
        let e2e = try BoardDaemon()
        #expect(e2e.call("remoteproc0", "Start", [.string("")]) == "ok")
        let client = try e2e.client()
        var channels: [String] = []
        for _ in 0..<1000 where channels.count < 2 {
            let value = try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "Channels")
            channels = (value.elements ?? []).compactMap { $0.members?.first?.string }.sorted()
            if channels.count < 2 { usleep(5_000) }
        }
        #expect(channels == ["rpmsg-raw", "rpmsg-tty"])
        #expect(try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "Ready") == .bool(true))
        #expect(e2e.call("remoteproc0", "Stop") == "ok")
        var left = 1
        for _ in 0..<1000 where left > 0 {
            let value = try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "Channels")
            left = value.elements?.count ?? 0
            if left > 0 { usleep(5_000) }
        }
        #expect(left == 0)
    }

    @Test func hotplugIsAnnounced() throws {
        let e2e = try BoardDaemon()
        let client = try e2e.client()
        let added = Box<[String]>([])
        let removed = Box<[String]>([])
        let a = try client.subscribe(member: "ProcessorAdded") { added.value.append($0.arguments.first?.string ?? "") }
        let r = try client.subscribe(member: "ProcessorRemoved") { removed.value.append($0.arguments.first?.string ?? "") }
        _ = (a, r)
        try e2e.awaitConnected(client)
        try "hotplug".write(toFile: e2e.board.path(".sim/add"), atomically: false, encoding: .utf8)
        #expect(try client.run(until: { !added.value.isEmpty }, timeoutMicroseconds: 10_000_000))
        let device = try #require(added.value.first)
        let path = try client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "GetProcessor",
                                   arguments: [.string("hotplug")])
        #expect(path == [.objectPath(BoardDaemon.path(device))])
        try device.write(toFile: e2e.board.path(".sim/remove"), atomically: false, encoding: .utf8)
        #expect(try client.run(until: { removed.value == [device] }, timeoutMicroseconds: 10_000_000))
        #expect(e2e.call(device, "Start", [.string("")]) == "org.freedesktop.DBus.Error.UnknownObject")
    }

    @Test func busctlIntrospectsAndBootsOverThePrivateSocket() throws {
        let e2e = try BoardDaemon()
        let address = "--address=unix:path=\(e2e.socket)"
        let (status, introspection) = try BusHarness.run(["busctl", address, "introspect", "org.daybreak.RemoteProc1", BoardDaemon.path("remoteproc0")])
        #expect(status == 0, "\(introspection)")
        #expect(introspection.contains(".Start "))
        #expect(introspection.contains(".BootCount "))
        let (started, output) = try BusHarness.run(["busctl", address, "call", "org.daybreak.RemoteProc1", BoardDaemon.path("remoteproc0"), BoardDaemon.processor, "Start", "s", ""])
        #expect(started == 0, "\(output)")
        #expect(try e2e.state("remoteproc0") == "running")
        let (stopped, _) = try BusHarness.run(["busctl", address, "call", "org.daybreak.RemoteProc1", BoardDaemon.path("remoteproc0"), BoardDaemon.processor, "Stop"])
        #expect(stopped == 0)
        #expect(try e2e.state("remoteproc0") == "offline")
    }

    @Test func aCrashInjectedThroughDebugfsIsSeenAndCounted() throws {
        let e2e = try BoardDaemon()
        #expect(e2e.call("remoteproc0", "Start", [.string("")]) == "ok")
        let client = try e2e.client()
        let crashes = Box<[String]>([])
        let subscription = try client.subscribe(member: "Crashed") { crashes.value.append($0.arguments.first?.string ?? "") }
        _ = subscription
        try e2e.awaitConnected(client)
        try "1".write(toFile: e2e.board.path("sys/kernel/debug/remoteproc/remoteproc0/crash"), atomically: false, encoding: .utf8)
        let seen = try client.run(until: { !crashes.value.isEmpty }, timeoutMicroseconds: 10_000_000)
        if !seen {
            let answered = (try? client.call(path: "/org/daybreak/RemoteProc1", interface: BoardDaemon.manager, member: "ListProcessors",
                                             timeoutMicroseconds: 2_000_000)) != nil
            e2e.daemon.signal(SIGTERM)
            _ = e2e.daemon.waitForExit()
            Issue.record("no Crashed signal; daemon answering: \(answered); log: \(e2e.daemon.log); kernel: \(e2e.kernelLog())")
            return
        }
        #expect(crashes.value.first == "watchdog")
        var count: UInt32 = 0
        for _ in 0..<500 where count == 0 {
            count = try client.property(path: BoardDaemon.path("remoteproc0"), interface: BoardDaemon.processor, name: "CrashCount").uint32 ?? 0
            if count == 0 { usleep(5_000) }
        }
        #expect(count == 1)
    }
}
