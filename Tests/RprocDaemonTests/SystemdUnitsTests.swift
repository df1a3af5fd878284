// rproc-ready@ targets and FailureAction=reboot against a private dbus-daemon on which a minimal
// stand-in for org.freedesktop.systemd1 (RprocBus's registry, owning the name) records the calls.
// This is what the tests cover; a real systemd is not involved.

import Foundation
import Glibc
import RprocBus
import RprocEventLoop
import RprocModel
import RprocTestSupport
import Testing
@testable import RprocDaemon

typealias PrivateBus = PrivateDBusDaemon

/// The stand-in: `/org/freedesktop/systemd1` with `StartUnit`, `StopUnit` and `Reboot` of
/// `org.freedesktop.systemd1.Manager`, each recorded; a unit named `missing.target` is refused as
/// systemd refuses an unknown unit.
final class FakeSystemd: @unchecked Sendable {
    let loop: EventLoop
    private let lock = NSLock()
    private var recorded: [String] = []
    private var registry: ObjectRegistry?
    var calls: [String] { lock.withLock { recorded } }

    init(address: String) throws {
        loop = try EventLoop.spawn(name: "fake-systemd")
        let joined = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome = ""
        loop.post { [self] in
            let registry = ObjectRegistry(loop: loop)
            registry.authorize = { _ throws(BusError) in }
            var jobs: UInt32 = 0
            func unitCall(_ member: String) -> BusMethod {
                BusMethod(member, in: [BusArgument("name", "s"), BusArgument("mode", "s")], out: [BusArgument("job", "o")]) { [self] call throws(BusError) in
                    if call.string(0) == "missing.target" {
                        throw BusError(name: "org.freedesktop.systemd1.NoSuchUnit", message: "Unit missing.target not found.")
                    }
                    lock.withLock { recorded.append("\(member) \(call.string(0)) \(call.string(1))") }
                    jobs += 1
                    return [.objectPath("/org/freedesktop/systemd1/job/\(jobs)")]
                }
            }
            registry.addObject("/org/freedesktop/systemd1", interfaces: [
                BusInterface("org.freedesktop.systemd1.Manager", methods: [
                    unitCall("StartUnit"), unitCall("StopUnit"),
                    BusMethod("Reboot") { [self] _ throws(BusError) in
                        lock.withLock { recorded.append("Reboot") }
                        return []
                    },
                ]),
            ])
            self.registry = registry
            switch registry.joinBus(name: "org.freedesktop.systemd1", address: address) {
            case .connected: outcome = "connected"
            case .notReachable(let why), .nameNotAcquired(let why): outcome = why
            }
            joined.signal()
        }
        joined.wait()
        guard outcome == "connected" else { throw BusError.failed("the stand-in did not join the bus: \(outcome)") }
    }

    func shutdown() {
        let done = DispatchSemaphore(value: 0)
        loop.post { [self] in
            registry = nil
            done.signal()
        }
        done.wait()
        loop.exit(0)
        loop.join()
    }
}

/// Runs `SystemdManager` on a loop of its own and waits for each outcome.
final class SystemdClientHarness: @unchecked Sendable {
    let loop: EventLoop
    private var manager: SystemdManager?

    init(address: BusClient.Address) throws {
        loop = try EventLoop.spawn(name: "systemd-client")
        let made = DispatchSemaphore(value: 0)
        loop.post { [self] in
            manager = try? SystemdManager(loop: loop, address: address)
            made.signal()
        }
        made.wait()
    }

    func perform(_ call: SystemdCall) -> SystemdCallOutcome? {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: SystemdCallOutcome?
        loop.post { [self] in
            manager?.perform(call) { result in
                outcome = result
                done.signal()
            }
        }
        guard done.wait(timeout: .now() + 20) == .success else { return nil }
        return outcome
    }

    func shutdown() {
        let done = DispatchSemaphore(value: 0)
        loop.post { [self] in
            manager?.shutdown()
            manager = nil
            done.signal()
        }
        done.wait()
        loop.exit(0)
        loop.join()
    }
}

@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dbus-daemon")))
struct SystemdUnitsTests {
    @Test func unitNamesAreEscapedAsSystemdEscapeDoes() throws {
        #expect(ReadyTargets.unit(for: "m4") == "rproc-ready@m4.target")
        #expect(ReadyTargets.unit(for: "cortex-m4") == "rproc-ready@cortex\\x2dm4.target")
        #expect(ReadyTargets.unit(for: "a/b c") == "rproc-ready@a-b\\x20c.target")
        #expect(ReadyTargets.unit(for: ".hidden") == "rproc-ready@\\x2ehidden.target")
        // The same as the system's tool, where it is installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-escape") {
            for name in ["cortex-m4", "a/b c", "dsp_1.x", "ü"] {
                let tool = try shell(["/usr/bin/systemd-escape", "--template=rproc-ready@.target", name])
                #expect(tool.trimmingCharacters(in: .newlines) == ReadyTargets.unit(for: name), "\(name)")
            }
        }
    }

    @Test func readyTargetsFollowReadinessAndRebootIsACleanReboot() {
        var targets = ReadyTargets()
        #expect(targets.readyChanged(name: "m4", ready: false) == nil)
        #expect(targets.readyChanged(name: "m4", ready: true) == .startUnit("rproc-ready@m4.target", mode: "replace"))
        #expect(targets.readyChanged(name: "m4", ready: true) == nil)
        #expect(targets.readyChanged(name: "m4", ready: false) == .stopUnit("rproc-ready@m4.target", mode: "replace"))
        #expect(targets.readyChanged(name: "m4", ready: false) == nil)
        #expect(ReadyTargets.failureAction(.reboot) == .startUnit("reboot.target", mode: "replace-irreversibly"))
        #expect(ReadyTargets.failureAction(.stop) == nil)
        #expect(ReadyTargets.failureAction(.leave) == nil)
    }

    @Test func callsReachTheStandInOnAPrivateBus() throws {
        let bus = try PrivateBus()
        let systemd = try FakeSystemd(address: bus.address)
        defer { systemd.shutdown() }
        let client = try SystemdClientHarness(address: .bus(bus.address))
        defer { client.shutdown() }
        var targets = ReadyTargets()
        let ready = targets.readyChanged(name: "m4", ready: true)
        let start = try #require(ready)
        #expect(client.perform(start) == .done(job: "/org/freedesktop/systemd1/job/1"))
        let down = targets.readyChanged(name: "m4", ready: false)
        let stop = try #require(down)
        #expect(client.perform(stop) == .done(job: "/org/freedesktop/systemd1/job/2"))
        #expect(client.perform(try #require(ReadyTargets.failureAction(.reboot))) == .done(job: "/org/freedesktop/systemd1/job/3"))
        #expect(client.perform(.startUnit("missing.target", mode: "replace"))
            == .failed(name: "org.freedesktop.systemd1.NoSuchUnit", message: "Unit missing.target not found."))
        #expect(systemd.calls == [
            "StartUnit rproc-ready@m4.target replace", "StopUnit rproc-ready@m4.target replace",
            "StartUnit reboot.target replace-irreversibly",
        ])
    }

    @Test func withoutSystemdOnTheBusCallsAreSkippedWithOneReason() throws {
        let bus = try PrivateBus()
        let client = try SystemdClientHarness(address: .bus(bus.address))
        defer { client.shutdown() }
        #expect(client.perform(.startUnit("rproc-ready@m4.target", mode: "replace"))
            == .skipped(reason: "nothing owns 'org.freedesktop.systemd1' on the bus"))
        #expect(client.perform(.stopUnit("rproc-ready@m4.target", mode: "replace")) == .skipped(reason: nil))
        let nobus = try SystemdClientHarness(address: .bus("unix:path=\(bus.directory)/nothing"))
        defer { nobus.shutdown() }
        #expect(nobus.perform(.startUnit("rproc-ready@m4.target", mode: "replace")) == .skipped(reason: "the bus is not reachable"))
    }
}
