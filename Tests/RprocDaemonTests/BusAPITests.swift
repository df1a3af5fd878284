import Foundation
import RprocBus
import RprocModel
import Testing
@testable import RprocDaemon

/// The manager over a fake kernel, served on a private socket in a temporary directory.
final class BusHarness: @unchecked Sendable {
    let manager: ManagerHarness
    let socket: String
    private let api = Box<BusAPI?>(nil)

    init(kernel: FakeKernel, adminGroup: String = "rproc") throws {
        manager = try ManagerHarness(kernel: kernel)
        socket = kernel.root + "/run/control"
        var settings = DaemonSettings()
        settings.adminGroup = adminGroup
        settings.socketPath = socket
        settings.socketMode = 0o666
        settings.socketGroup = ""
        let configured = settings
        let api = self.api
        let failure = manager.onLoop { manager -> String in
            do {
                let bus = try BusAPI(manager: manager, settings: configured, logger: manager.logger)
                manager.observer = bus
                api.value = bus
                return ""
            } catch {
                return "\(error)"
            }
        }
        if !failure.isEmpty { throw BusError.failed(failure) }
    }

    deinit {
        let api = self.api
        manager.onLoop { _ in
            api.value?.shutdown()
            api.value = nil
        }
    }

    func client() throws -> BusClient { try BusClient(.socket(socket)) }

    static let managerPath = "/org/daybreak/RemoteProc1"
    static let manager = "org.daybreak.RemoteProc1.Manager"
    static let processor = "org.daybreak.RemoteProc1.Processor"
    static func path(_ device: String) -> String { "/org/daybreak/RemoteProc1/processor/\(device)" }

    /// Runs a command, returns (status, stdout+stderr).
    static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

@Suite struct BusAPITests {
    func board() throws -> FakeKernel {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.add("remoteproc1", name: "dsp", parent: "40000000.dsp", state: "running")
        try kernel.installFirmware("fw.elf")
        return kernel
    }

    @Test func listGetAndProperties() throws {
        let harness = try BusHarness(kernel: try board())
        let client = try harness.client()
        let list = try client.call(path: BusHarness.managerPath, interface: BusHarness.manager, member: "ListProcessors")
        let rows = try #require(list.first?.elements).map { $0.members!.map { $0.string ?? $0.objectPath ?? "" } }
        #expect(rows == [
            ["remoteproc0", "m4", "offline", BusHarness.path("remoteproc0")],
            ["remoteproc1", "dsp", "running", BusHarness.path("remoteproc1")],
        ])
        let path = try client.call(path: BusHarness.managerPath, interface: BusHarness.manager, member: "GetProcessor", arguments: [.string("dsp")])
        #expect(path == [.objectPath(BusHarness.path("remoteproc1"))])
        let properties = try client.allProperties(path: BusHarness.path("remoteproc0"), interface: BusHarness.processor)
        #expect(properties["State"] == .string("offline"))
        #expect(properties["Firmware"] == .string("fw.elf"))
        #expect(properties["Job"] == .string("idle"))
        #expect(properties["BootCount"] == .uint32(0))
        #expect(properties.count == BusAPI.processorPropertyNames.count)
        let version = try client.property(path: BusHarness.managerPath, interface: BusHarness.manager, name: "Version")
        #expect(version == .string(DaemonVersion.string))
        let json = try client.call(path: BusHarness.managerPath, interface: BusHarness.manager, member: "Describe")
        #expect(json.first?.string?.contains("\"device\": \"remoteproc1\"") == true)
    }

    @Test func startAnnouncesJobsAndProperties() throws {
        let kernel = try board()
        let harness = try BusHarness(kernel: kernel)
        let watcher = try harness.client()
        let signals = Box<[String]>([])
        let subscription = try watcher.subscribe { signal in
            let detail = signal.member == "PropertiesChanged"
                ? (signal.arguments[1].propertyDictionary?["State"]?.string ?? "")
                : (signal.arguments.first.map { "\($0.uint32 ?? 0)" } ?? "")
            signals.value.append("\(signal.member) \(detail)")
        }
        _ = subscription
        try watcher.process()
        let client = try harness.client()
        _ = try client.call(path: BusHarness.path("remoteproc0"), interface: BusHarness.processor, member: "Start", arguments: [.string("")])
        #expect(try watcher.run(until: { signals.value.contains { $0.hasPrefix("JobRemoved") } }, timeoutMicroseconds: 5_000_000))
        #expect(signals.value.contains("JobNew 1"))
        #expect(signals.value.contains("StateChanged 0"))
        #expect(signals.value.contains("PropertiesChanged running"))
        #expect(try client.property(path: BusHarness.path("remoteproc0"), interface: BusHarness.processor, name: "BootCount") == .uint32(1))
        #expect(kernel.attemptedWrites == ["remoteproc0/state=start"])
    }

    @Test func callsAreAnsweredWhileABootIsInFlightAndASecondStartIsBusy() throws {
        let kernel = try board()
        let harness = try BusHarness(kernel: kernel)
        kernel.holdStart()
        let socket = harness.socket
        let firstResult = Box<String?>(nil)
        let firstDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do {
                let client = try BusClient(.socket(socket))
                _ = try client.call(path: BusHarness.path("remoteproc0"), interface: BusHarness.processor, member: "Start", arguments: [.string("")])
                firstResult.value = "ok"
            } catch {
                firstResult.value = "\(error)"
            }
            firstDone.signal()
        }
        kernel.startEntered.wait()
        let client = try harness.client()
        let list = try client.call(path: BusHarness.managerPath, interface: BusHarness.manager, member: "ListProcessors")
        #expect(list.first?.elements?.count == 2)
        #expect(try client.property(path: BusHarness.path("remoteproc0"), interface: BusHarness.processor, name: "Job") == .string("starting"))
        do {
            _ = try client.call(path: BusHarness.path("remoteproc0"), interface: BusHarness.processor, member: "Start", arguments: [.string("")])
            Issue.record("a second Start was accepted while the first was in flight")
        } catch {
            #expect(error.name == DaemonError.Name.busy.rawValue)
            #expect(error.message.contains("'start'"))
        }
        // Another processor proceeds in parallel.
        _ = try client.call(path: BusHarness.path("remoteproc1"), interface: BusHarness.processor, member: "Stop")
        kernel.releaseStart()
        firstDone.wait()
        #expect(firstResult.value == "ok")
        #expect(kernel.attemptedWrites.filter { $0 == "remoteproc0/state=start" }.count == 1)
        _ = try client.call(path: BusHarness.path("remoteproc0"), interface: BusHarness.processor, member: "Stop")
        #expect(kernel.device("remoteproc0").state == "offline")
    }

    @Test func malformedCallsGetNamedErrorsAndTheDaemonStaysUp() throws {
        let kernel = try board()
        let harness = try BusHarness(kernel: kernel)
        let client = try harness.client()
        func error(_ path: String, _ interface: String, _ member: String, _ arguments: [BusValue]) -> String {
            do {
                _ = try client.call(path: path, interface: interface, member: member, arguments: arguments)
                return "accepted"
            } catch {
                return error.name
            }
        }
        let p0 = BusHarness.path("remoteproc0")
        #expect(error(p0, BusHarness.processor, "Start", [.int32(1)]) == "org.freedesktop.DBus.Error.InvalidArgs")
        #expect(error(p0, BusHarness.processor, "Start", []) == "org.freedesktop.DBus.Error.InvalidArgs")
        #expect(error(BusHarness.path("remoteproc9"), BusHarness.processor, "Stop", []) == "org.freedesktop.DBus.Error.UnknownObject")
        #expect(error(p0, BusHarness.processor, "Start", [.string(String(repeating: "a", count: 1 << 20))]) == "org.freedesktop.DBus.Error.InvalidArgs")
        #expect(error(p0, BusHarness.processor, "Start", [.string("../../etc/shadow")]) == "org.freedesktop.DBus.Error.InvalidArgs")
        #expect(error(p0, BusHarness.processor, "Frobnicate", []) == "org.freedesktop.DBus.Error.UnknownMethod")
        #expect(error(p0, BusHarness.processor, "Stop", []) == DaemonError.Name.notRunning.rawValue)
        #expect(error(p0, BusHarness.processor, "Start", [.string("missing.elf")]) == DaemonError.Name.firmwareNotFound.rawValue)
        #expect(error(BusHarness.managerPath, BusHarness.manager, "GetProcessor", [.string("nope")]) == DaemonError.Name.noSuchProcessor.rawValue)
        #expect(error(BusHarness.managerPath, BusHarness.manager, "EnqueueJob", [.string("m4"), .string("explode"), .string("")])
            == "org.freedesktop.DBus.Error.InvalidArgs")
        #expect(kernel.attemptedWrites.isEmpty)
        // Still serving.
        let list = try client.call(path: BusHarness.managerPath, interface: BusHarness.manager, member: "ListProcessors")
        #expect(list.first?.elements?.count == 2)
    }

    @Test func restartShowsEachStepsJob() throws {
        let kernel = try board()
        let harness = try BusHarness(kernel: kernel)
        let watcher = try harness.client()
        let jobs = Box<[String]>([])
        let subscription = try watcher.subscribe(path: BusHarness.path("remoteproc1"), member: "PropertiesChanged") { signal in
            if let job = signal.arguments[1].propertyDictionary?["Job"]?.string { jobs.value.append(job) }
        }
        _ = subscription
        try watcher.process()
        let client = try harness.client()
        _ = try client.call(path: BusHarness.path("remoteproc1"), interface: BusHarness.processor, member: "Restart", arguments: [.string("")])
        #expect(try watcher.run(until: { jobs.value.last == "idle" }, timeoutMicroseconds: 5_000_000))
        #expect(jobs.value == ["stopping", "starting", "idle"])
        #expect(kernel.attemptedWrites == ["remoteproc1/state=stop", "remoteproc1/state=start"])
    }

    @Test func enqueueJobReturnsAtOnce() throws {
        let kernel = try board()
        let harness = try BusHarness(kernel: kernel)
        let client = try harness.client()
        let removed = Box<[BusValue]?>(nil)
        let subscription = try client.subscribe(member: "JobRemoved") { removed.value = $0.arguments }
        _ = subscription
        let reply = try client.call(path: BusHarness.managerPath, interface: BusHarness.manager, member: "EnqueueJob",
                                    arguments: [.string("m4"), .string("start"), .string("")])
        #expect(reply == [.uint32(1), .objectPath(BusHarness.path("remoteproc0"))])
        #expect(try client.run(until: { removed.value != nil }, timeoutMicroseconds: 5_000_000))
        #expect(removed.value == [.uint32(1), .string("remoteproc0"), .string("start"), .string("success"), .string(""), .string("")])
    }

    @Test func anotherUserIsRefusedEveryMutatingCall() throws {
        let kernel = try board()
        let harness = try BusHarness(kernel: kernel)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: kernel.root)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: kernel.root + "/run")
        let address = "--address=unix:path=\(harness.socket)"
        let asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "busctl", address]
        for (member, signature, arguments) in [("Start", "s", [""]), ("Stop", "", []), ("Restart", "s", [""]), ("Detach", "", []),
                                                ("Attach", "", []), ("Recover", "", []), ("SetFirmware", "s", ["x"]), ("ResetFailed", "", [])] {
            let (status, output) = try BusHarness.run(
                asNobody + ["call", "org.daybreak.RemoteProc1", BusHarness.path("remoteproc1"), BusHarness.processor, member]
                    + (signature.isEmpty ? [] : [signature]) + arguments)
            #expect(status != 0)
            #expect(output.contains("Access denied"), "\(member): \(output)")
        }
        // Reading stays open to everyone.
        let (status, output) = try BusHarness.run(
            asNobody + ["call", "org.daybreak.RemoteProc1", BusHarness.managerPath, BusHarness.manager, "ListProcessors"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\"m4\""))
        #expect(kernel.attemptedWrites.isEmpty)
    }

    @Test func membersOfTheAdminGroupMayCallMutatingMethods() throws {
        let kernel = try board()
        // uid 65534 with primary group 65534 ('nogroup'), which is made the admin group.
        let harness = try BusHarness(kernel: kernel, adminGroup: "nogroup")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: kernel.root)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: kernel.root + "/run")
        let (status, output) = try BusHarness.run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "busctl", "--address=unix:path=\(harness.socket)",
            "call", "org.daybreak.RemoteProc1", BusHarness.path("remoteproc1"), BusHarness.processor, "Stop",
        ])
        #expect(status == 0, "\(output)")
        #expect(kernel.attemptedWrites == ["remoteproc1/state=stop"])
    }

    @Test func busctlIntrospectListsTheWholeAPI() throws {
        let harness = try BusHarness(kernel: try board())
        let address = "--address=unix:path=\(harness.socket)"
        let (status, manager) = try BusHarness.run(["busctl", address, "introspect", "org.daybreak.RemoteProc1", BusHarness.managerPath])
        #expect(status == 0, "\(manager)")
        for member in ["ListProcessors", "GetProcessor", "Describe", "EnqueueJob", "Reload", "ListCoredumps", "Version",
                       "ProcessorAdded", "ProcessorRemoved", "JobNew", "JobRemoved"] {
            #expect(manager.contains(".\(member) "), "\(member) missing")
        }
        let (_, processor) = try BusHarness.run(["busctl", address, "introspect", "org.daybreak.RemoteProc1", BusHarness.path("remoteproc0")])
        for member in ["Start", "Stop", "Restart", "Detach", "Attach", "Recover", "SetFirmware", "ResetFailed", "Describe"]
            + BusAPI.processorPropertyNames + ["StateChanged", "Crashed"] {
            #expect(processor.contains(".\(member) "), "\(member) missing")
        }
        let (_, tree) = try BusHarness.run(["busctl", address, "tree", "org.daybreak.RemoteProc1"])
        #expect(tree.contains("remoteproc1"))
    }
}
