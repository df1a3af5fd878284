// Issue #8 end to end: the built rprocd on the mounted lab board (rproc-sim, FUSE), driven with
// the built rprocctl as a user would. Readiness before and after "now up" and a timeout; updates
// kept, rolled back after a crash in probation, and refused before anything stops; three
// processors in order and a cycle refused; rproc-ready@ targets and FailureAction=reboot against
// a stand-in systemd on a private dbus-daemon; the metrics file through prometheus_client. The
// board's kernel log proves what reached the "kernel". The poll is 2 s, so what completes sooner
// was driven by events (the kernel log's "creating channel" line).

import Foundation
import Glibc
import RprocBus
import RprocSystem
import RprocTestSupport
import Testing
@testable import RprocDaemon

/// The lab board and the built rprocd on it, with `*.rproc` files and an `rprocd.conf`.
final class LabRprocd: @unchecked Sendable {
    static let image = ElfBuilder.minimalRemoteproc().build()
    static var rprocctl: String? {
        DaemonProcess.binary.map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("rprocctl").path }
    }
    static var available: Bool { MountedBoard.available && rprocctl.map { FileManager.default.isExecutableFile(atPath: $0) } == true }

    let board: MountedBoard
    let daemon: DaemonProcess
    let work: String
    var socket: String { work + "/control" }

    /// - Parameters:
    ///   - knobs: `.sim/…` files written before rprocd starts.
    ///   - systemBus: the address rprocd takes as the system bus (`--system-bus yes`); nil: `--system-bus no`.
    init(processors: [String: String], daemonConf: String = "", knobs: [String: String] = [:], systemBus: String? = nil) throws {
        board = try MountedBoard(board: "lab", firmware: ["m4.elf": Self.image, "r5f.elf": Self.image])
        work = NSTemporaryDirectory() + "rprocd-issue8-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work + "/etc/processors.d", withIntermediateDirectories: true)
        for (name, text) in processors { try text.write(toFile: work + "/etc/processors.d/\(name).rproc", atomically: true, encoding: .utf8) }
        try daemonConf.write(toFile: work + "/etc/rprocd.conf", atomically: true, encoding: .utf8)
        for (file, value) in knobs { try value.write(toFile: board.path(file), atomically: false, encoding: .utf8) }
        daemon = try DaemonProcess(
            arguments: [
                "--root", board.mountPoint, "--socket", work + "/control", "--state-dir", work + "/state", "--config-dir", work + "/etc",
                "--system-bus", systemBus == nil ? "no" : "yes", "--poll-interval", "2s",
            ],
            notifyPath: work + "/notify", environment: systemBus.map { ["DBUS_SYSTEM_BUS_ADDRESS": $0] } ?? [:])
        guard daemon.notify.wait(for: "READY=1", seconds: 20) else {
            daemon.signal(SIGKILL)
            _ = daemon.waitForExit()
            throw BusError.failed("rprocd did not become ready: \(daemon.log)")
        }
        let fd = daemon.output.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    private var collected: [UInt8] = []

    /// What rprocd wrote so far (its journal lines on stdout), read without blocking.
    var log: String {
        let fd = daemon.output.fileHandleForReading.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            collected += buffer[0..<count]
        }
        return String(decoding: collected, as: UTF8.self)
    }

    deinit {
        daemon.signal(SIGTERM)
        _ = daemon.waitForExit()
        try? FileManager.default.removeItem(atPath: work)
    }

    /// Runs the built rprocctl against this rprocd: its exit status and output (stdout + stderr).
    func ctl(_ arguments: String...) throws -> (status: Int32, output: String) {
        try BusHarness.run([Self.rprocctl!, "--socket", socket] + arguments)
    }

    /// Starts rprocctl without waiting for it.
    func ctlInBackground(_ arguments: String...) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.rprocctl!)
        process.arguments = ["--socket", socket] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    func property(_ device: String, _ name: String) throws -> BusValue {
        try BusClient(.socket(socket)).property(path: BoardDaemon.path(device), interface: BoardDaemon.processor, name: name)
    }

    func kernelLog() -> [String] { ReadinessBoard.kernelLog(root: board.mountPoint) }

    func sysfs(_ device: String, _ attribute: String) -> String {
        ((try? String(contentsOfFile: board.path("sys/class/remoteproc/\(device)/\(attribute)"), encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .newlines)
    }

    /// The rpmsg channels the board shows now (sysfs), without the control devices.
    func boardChannels() -> Set<String> {
        Set(((try? KernelFiles(root: board.mountPoint).rpmsgChannels()) ?? []).map(\.name).filter { !$0.hasPrefix("rpmsg_") })
    }

    /// Polls `body` every 5 ms, at least `seconds` long (longer when `body` is slow under load).
    func eventually(seconds: Double = 10, _ body: () throws -> Bool) rethrows -> Bool {
        var left = Int(seconds * 200)
        while try !body() {
            guard left > 0 else { return false }
            left -= 1
            usleep(5_000)
        }
        return true
    }
}

extension [String] {
    /// The index of the last line containing `fragment`.
    func last(_ fragment: String) -> Int? { lastIndex { $0.contains(fragment) } }
    func first(_ fragment: String) -> Int? { firstIndex { $0.contains(fragment) } }
}

@Suite(.serialized, .enabled(if: LabRprocd.available))
struct ReadinessDaemonTests {
    static let m4 = "[Match]\nName=m4\n[Boot]\nReadyOn=rpmsg-tty rpmsg-raw\nReadyTimeoutSec=10s\n"

    @Test func startWaitsForChannelsAnnouncedAfterNowUp() throws {
        // 800 ms from the rpmsg host being up to the announcement, as an STM32MP257 does.
        let lab = try LabRprocd(processors: ["m4": Self.m4], knobs: [".sim/remoteproc0/announce_delay_ms": "800"])
        let (process, pipe) = try lab.ctlInBackground("start", "m4")
        // Meanwhile: the kernel says running, the job is still starting and m4 is not ready.
        let waiting = lab.eventually {
            lab.sysfs("remoteproc0", "state") == "running" && (try? lab.property("remoteproc0", "Job")) == .string("starting")
                && (try? lab.property("remoteproc0", "Ready")) == .bool(false)
        }
        #expect(waiting, "\(lab.log)")
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)\n\(lab.log)")
        #expect(output.contains("success"))
        // rprocctl returned only once both channels were there.
        #expect(lab.boardChannels() == ["rpmsg-tty", "rpmsg-raw"])
        let log = lab.kernelLog()
        let up = try #require(log.last("remote processor m4 is now up"))
        let announced = try #require(log.last("creating channel rpmsg-raw"))
        #expect(up < announced)
        #expect(try lab.property("remoteproc0", "Ready") == .bool(true))
        #expect(try lab.property("remoteproc0", "Job") == .string("idle"))
        let ready = try lab.ctl("wait-ready", "m4", "--timeout", "1s")
        #expect(ready.status == 0, "\(ready.output)")
        let channels = try lab.ctl("channels", "m4", "--json=short")
        #expect(channels.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(channels.output.utf8)) as? [[String: Any]] ?? []
        #expect(Set(json.compactMap { $0["name"] as? String }) == ["rpmsg-tty", "rpmsg-raw"], "\(channels.output)")
        #expect(json.contains { $0["name"] as? String == "rpmsg-raw" && $0["destination"] as? Int == 0x401 })
        let status = try lab.ctl("status", "m4", "-n", "0")
        #expect(status.output.contains("Ready: yes"), "\(status.output)")
        #expect(status.output.contains("rpmsg-tty") && status.output.contains("rpmsg-raw"))
        // Stopped: not ready, and wait-ready gives up after its timeout with the reason.
        #expect(try lab.ctl("stop", "m4").status == 0)
        #expect(try lab.property("remoteproc0", "Ready") == .bool(false))
        let notReady = try lab.ctl("wait-ready", "m4", "--timeout", "200ms")
        #expect(notReady.status == 1)
        #expect(notReady.output.contains("not ready within 200ms") && notReady.output.contains("offline"), "\(notReady.output)")
    }

    @Test func startWithChannelsAnnouncedAtNowUpCompletesAtOnce() throws {
        // The remote answers the name service at once (as TI boards do): the channels are there by the
        // time the kernel's start returns, so the start completes with the first scan. (The board
        // creates the virtio device in rproc_start_subdevices, right before "now up", as the kernel
        // does; the announcement follows it.)
        let lab = try LabRprocd(processors: ["m4": Self.m4], knobs: [
            ".sim/remoteproc0/announce_delay_ms": "0", ".sim/remoteproc0/start_delay_ms": "300",
        ])
        let started = try lab.ctl("start", "m4")
        #expect(started.status == 0, "\(started.output)")
        #expect(lab.boardChannels() == ["rpmsg-tty", "rpmsg-raw"])
        let log = lab.kernelLog()
        #expect(log.last("remote processor m4 is now up") != nil && log.last("creating channel rpmsg-raw") != nil)
        #expect(try lab.property("remoteproc0", "Ready") == .bool(true))
        #expect(try lab.property("remoteproc0", "Job") == .string("idle"))
    }

    @Test func channelsThatNeverComeTimeOutStopTheProcessorWithResultTimeout() throws {
        let lab = try LabRprocd(processors: ["r5f": "[Match]\nName=r5f\n[Boot]\nReadyOn=rpmsg-gpio\nReadyTimeoutSec=300ms\n"])
        let started = try lab.ctl("start", "r5f")
        #expect(started.status == 1, "\(started.output)")
        #expect(started.output.contains("timeout"))
        #expect(started.output.contains("did not announce 'rpmsg-gpio' within ReadyTimeoutSec="), "\(started.output)")
        #expect(lab.eventually { lab.sysfs("remoteproc1", "state") == "offline" })
        #expect(try lab.property("remoteproc1", "Result") == .string("timeout"))
        #expect(try lab.property("remoteproc1", "Ready") == .bool(false))
        #expect(lab.kernelLog().contains { $0.contains("stopped remote processor r5f") })
    }

    @Test func afterAReadinessTimeoutRestartAlwaysStartsItAgain() throws {
        let r5f = """
            [Match]
            Name=r5f
            [Boot]
            ReadyOn=rpmsg-gpio
            ReadyTimeoutSec=300ms
            [Recovery]
            Owner=rprocd
            Restart=always
            RestartSec=0
            StartLimitBurst=3
            StartLimitIntervalSec=1min

            """
        let lab = try LabRprocd(processors: ["r5f": r5f])
        #expect(try lab.ctl("start", "r5f").status == 1)
        // Powered up, stopped after the timeout, powered up again by the policy.
        let restarted = lab.eventually {
            let log = lab.kernelLog()
            guard let stop = log.first("stopped remote processor r5f"), let again = log.last("powering up r5f") else { return false }
            return again > stop
        }
        #expect(restarted, "\(lab.kernelLog())\n\(lab.log)")
    }

    static let m4Update = """
        [Match]
        Name=m4
        [Boot]
        ReadyOn=rpmsg-tty
        ReadyTimeoutSec=5s
        UpdateProbationSec=%@
        [Firmware]
        KeepFirmware=1
        [Recovery]
        Owner=rprocd
        Restart=no

        """

    func newImage(_ lab: LabRprocd, _ extra: Int) throws -> String {
        var builder = ElfBuilder.minimalRemoteproc()
        builder.trailingBytes = extra
        let path = lab.work + "/new-\(extra).elf"
        try Data(builder.build()).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func anUpdateThatComesUpIsKeptAndListed() throws {
        let lab = try LabRprocd(processors: ["m4": Self.m4Update.replacingOccurrences(of: "%@", with: "200ms")])
        #expect(try lab.ctl("start", "m4").status == 0)
        let path = try newImage(lab, 32)
        let update = try lab.ctl("update", "m4", path)
        #expect(update.status == 0, "\(update.output)\n\(lab.log)")
        let firmware = lab.sysfs("remoteproc0", "firmware")
        #expect(firmware.hasPrefix("m4-") && firmware.hasSuffix(".elf"), "\(firmware)")
        #expect(update.output.contains(firmware) && update.output.contains("success"), "\(update.output)")
        #expect(lab.sysfs("remoteproc0", "state") == "running")
        #expect(try lab.property("remoteproc0", "Ready") == .bool(true))
        // Staged atomically under the versioned name, byte for byte.
        #expect(FileManager.default.contents(atPath: lab.board.firmwareDirectory + "/" + firmware) == FileManager.default.contents(atPath: path))
        let list = try lab.ctl("update", "--list", "m4", "--json=short")
        let images = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]] ?? []
        #expect(images.count == 1 && images.first?["file"] as? String == firmware && images.first?["current"] as? Bool == true, "\(list.output)")
        // Every step is in the journal with the processor's fields (stdout here).
        for step in ["stage done", "stop begin", "stop done", "start begin", "start done", "ready done", "keep done"] {
            #expect(lab.log.contains("Update of 'm4': \(step)"), "\(step)")
        }
        // A second update, then a rollback by hand to the first.
        let second = try lab.ctl("update", "m4", try newImage(lab, 64))
        #expect(second.status == 0, "\(second.output)")
        #expect(lab.sysfs("remoteproc0", "firmware") != firmware)
        let back = try lab.ctl("rollback", "m4")
        #expect(back.status == 0, "\(back.output)")
        #expect(lab.sysfs("remoteproc0", "firmware") == firmware)
        #expect(lab.sysfs("remoteproc0", "state") == "running")
    }

    @Test func anUpdateThatCrashesDuringProbationIsRolledBack() throws {
        let lab = try LabRprocd(processors: ["m4": Self.m4Update.replacingOccurrences(of: "%@", with: "10s")])
        #expect(try lab.ctl("start", "m4").status == 0)
        let path = try newImage(lab, 48)
        let (process, pipe) = try lab.ctlInBackground("update", "m4", path)
        // The new image comes up, then crashes during its probation (a watchdog, through debugfs as on a board).
        let upNew = lab.eventually {
            lab.sysfs("remoteproc0", "firmware") != "m4.elf" && lab.sysfs("remoteproc0", "state") == "running"
                && (try? lab.property("remoteproc0", "Ready")) == .bool(true)
        }
        #expect(upNew, "\(lab.log)")
        let staged = lab.sysfs("remoteproc0", "firmware")
        try "1".write(toFile: lab.board.path("sys/kernel/debug/remoteproc/remoteproc0/crash"), atomically: false, encoding: .utf8)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "\(output)")
        #expect(output.contains("was rolled back to 'm4.elf'") && output.contains("during probation"), "\(output)")
        #expect(output.contains("rolled-back"))
        #expect(lab.sysfs("remoteproc0", "firmware") == "m4.elf")
        #expect(lab.sysfs("remoteproc0", "state") == "running")
        #expect(try lab.property("remoteproc0", "Result") == .string("rolled-back"))
        let log = lab.kernelLog()
        let crash = try #require(log.last("crash detected in m4"))
        #expect(log.last("powering up m4").map { $0 > crash } == true, "no boot after the crash: \(log)")
        #expect(lab.log.contains("Update of 'm4': probation failed ('\(staged)')"), "\(lab.log)")
        #expect(lab.log.contains("Update of 'm4': rollback-start done ('m4.elf')"))
    }

    @Test func anInvalidImageIsRefusedBeforeAnythingStops() throws {
        let m4 = Self.m4Update.replacingOccurrences(of: "%@", with: "0") + "[Memory]\nWindow=0x10000000:1M\n"
        let lab = try LabRprocd(processors: ["m4": m4])
        #expect(try lab.ctl("start", "m4").status == 0)
        func m4Lines() -> [String] { lab.kernelLog().filter { $0.contains("remoteproc0") || $0.contains(" m4") } }
        let before = m4Lines().count
        let path = lab.work + "/bad.elf"
        try Data("this is not an ELF file, and rprocd must say so before stopping anything".utf8).write(to: URL(fileURLWithPath: path))
        let update = try lab.ctl("update", "m4", path)
        #expect(update.status == 1)
        #expect(update.output.contains("elf.bad-magic") && update.output.contains("nothing was stopped"), "\(update.output)")
        #expect(lab.sysfs("remoteproc0", "state") == "running")
        #expect(lab.sysfs("remoteproc0", "firmware") == "m4.elf")
        #expect(m4Lines().count == before, "the kernel was asked something: \(m4Lines().dropFirst(before))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: lab.board.firmwareDirectory).sorted() == ["m4.elf", "r5f.elf"])
        // A well-formed image whose code is linked for memory outside m4's [Memory] Window= (and
        // outside its carveout): refused the same way.
        var linkedElsewhere = ElfBuilder.minimalRemoteproc()
        linkedElsewhere.segments[0].virtualAddress = 0x3000_0000
        linkedElsewhere.segments[0].physicalAddress = 0x3000_0000
        let elsewhere = lab.work + "/elsewhere.elf"
        try Data(linkedElsewhere.build()).write(to: URL(fileURLWithPath: elsewhere))
        let outside = try lab.ctl("update", "m4", elsewhere)
        #expect(outside.status == 1)
        #expect(outside.output.contains("would not boot on 'm4'") && outside.output.contains("nothing was stopped"), "\(outside.output)")
        #expect(lab.sysfs("remoteproc0", "firmware") == "m4.elf" && lab.sysfs("remoteproc0", "state") == "running")
        #expect(m4Lines().count == before, "the kernel was asked something: \(m4Lines().dropFirst(before))")
        // A path that does not exist: refused with the path named.
        let missing = try lab.ctl("update", "m4", "/nonexistent/new.elf")
        #expect(missing.status != 0 && missing.output.contains("/nonexistent/new.elf"), "\(missing.output)")
    }

    @Test func threeProcessorsAutoStartInOrderAndStopDependentsFirst() throws {
        let lab = try LabRprocd(processors: [
            "m4": "[Match]\nName=m4\n[Boot]\nAutoStart=yes\nReadyOn=rpmsg-raw\n",
            "r5f": "[Match]\nName=r5f\n[Boot]\nAutoStart=yes\nAfter=m4\nReadyOn=rpmsg-raw\n",
            "bootcore": "[Match]\nName=bootcore\n[Boot]\nAutoStart=yes\nRequires=r5f\n",
        ], knobs: [".sim/remoteproc0/announce_delay_ms": "300"])
        #expect(lab.eventually { lab.sysfs("remoteproc2", "state") == "attached" }, "\(lab.log)")
        let log = lab.kernelLog()
        let m4Channel = try #require(log.first("creating channel rpmsg-raw"))
        let r5fUp = try #require(log.first("powering up r5f"))
        let attached = try #require(log.first("remote processor bootcore is now attached"))
        #expect(try #require(log.first("powering up m4")) < m4Channel)
        #expect(m4Channel < r5fUp, "r5f started before m4 was ready: \(log)")
        #expect(r5fUp < attached)
        // Stopping r5f first stops bootcore, which requires it; m4 stays.
        let stop = try lab.ctl("stop", "r5f")
        #expect(stop.status == 0, "\(stop.output)")
        #expect(stop.output.contains("remoteproc2") && stop.output.contains("remoteproc1"), "\(stop.output)")
        let after = lab.kernelLog()
        let bootcoreStop = try #require(after.last("stopped remote processor bootcore") ?? after.last("detached remote processor bootcore"))
        let r5fStop = try #require(after.last("stopped remote processor r5f"))
        #expect(bootcoreStop < r5fStop)
        #expect(lab.sysfs("remoteproc0", "state") == "running")
    }

    @Test func anOrderingCycleIsRefusedAtLoadNamingIt() throws {
        let lab = try LabRprocd(processors: [
            "m4": "[Match]\nName=m4\n[Boot]\nAutoStart=yes\nAfter=r5f\n",
            "r5f": "[Match]\nName=r5f\n[Boot]\nAutoStart=yes\nRequires=m4\n",
        ])
        #expect(lab.daemon.notify.wait(for: "READY=1"))
        let log = lab.log
        #expect(log.contains("Ordering cycle between processors: ") && log.contains("m4") && log.contains("r5f"), "\(log)")
        #expect(log.contains("m4 → r5f → m4") || log.contains("r5f → m4 → r5f"), "\(log)")
        // Nothing of the refused configuration applies: neither processor was started.
        #expect(try lab.ctl("is-running", "m4").status == 3)
        #expect(!lab.kernelLog().contains { $0.contains("powering up") && ($0.contains("m4") || $0.contains("r5f")) })
    }

    @Test func theMetricsFileParsesAsOpenMetrics() throws {
        guard MetricsTests.parserAvailable else {
            print("Skipping: python3 with prometheus_client is missing (apt install python3-prometheus-client).")
            return
        }
        let metrics = NSTemporaryDirectory() + "rprocd-metrics-\(UUID().uuidString).prom"
        defer { try? FileManager.default.removeItem(atPath: metrics) }
        let lab = try LabRprocd(processors: ["m4": Self.m4], daemonConf: "[Daemon]\nMetricsFile=\(metrics)\n")
        #expect(try lab.ctl("start", "m4").status == 0)
        var parsed = (status: Int32(-1), out: "", err: "")
        let seen = try lab.eventually {
            guard let text = try? String(contentsOfFile: metrics, encoding: .utf8) else { return false }
            parsed = try MetricsTests.parse(text)
            // The readiness time follows the write at "running" (rewritten on every change).
            return parsed.out.contains("rprocd_processor_state{device=remoteproc0,name=m4,state=running} 1")
                && parsed.out.contains("rprocd_ready_seconds{device=remoteproc0,name=m4} ")
        }
        #expect(seen, "\(parsed)")
        #expect(parsed.status == 0, "\(parsed.err)")
        #expect(parsed.out.contains("rprocd_boots_total{device=remoteproc0,name=m4} 1"), "\(parsed.out)")
        #expect(parsed.out.contains("rprocd_processor_state{device=remoteproc1,name=r5f,state=offline} 1"))
    }
}

@Suite(.serialized, .enabled(if: LabRprocd.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/dbus-daemon")))
struct ReadyTargetDaemonTests {
    @Test func readyTargetsFollowTheProcessorAndFailureActionRebootAsksSystemd() throws {
        let bus = try PrivateDBusDaemon(type: "system")
        defer { bus.stop() }
        let systemd = try FakeSystemd(address: bus.address)
        defer { systemd.shutdown() }
        let r5f = """
            [Match]
            Name=r5f
            [Recovery]
            Owner=rprocd
            Restart=always
            RestartSec=0
            StartLimitBurst=2
            StartLimitIntervalSec=1min
            FailureAction=reboot

            """
        let lab = try LabRprocd(
            processors: ["m4": ReadinessDaemonTests.m4, "r5f": r5f], knobs: [".sim/remoteproc0/announce_delay_ms": "100"],
            systemBus: bus.address)
        #expect(try lab.ctl("start", "m4").status == 0)
        #expect(lab.eventually { systemd.calls.contains("StartUnit rproc-ready@m4.target replace") }, "\(systemd.calls)\n\(lab.log)")
        #expect(try lab.ctl("stop", "m4").status == 0)
        #expect(lab.eventually { systemd.calls.contains("StopUnit rproc-ready@m4.target replace") }, "\(systemd.calls)")
        // A crash stops the target too.
        #expect(try lab.ctl("start", "m4").status == 0)
        #expect(lab.eventually { systemd.calls.filter { $0 == "StartUnit rproc-ready@m4.target replace" }.count == 2 })
        try "1".write(toFile: lab.board.path("sys/kernel/debug/remoteproc/remoteproc0/crash"), atomically: false, encoding: .utf8)
        #expect(lab.eventually { systemd.calls.filter { $0 == "StopUnit rproc-ready@m4.target replace" }.count == 2 }, "\(systemd.calls)")
        // r5f: the user's start and one restart fit StartLimitBurst=2; the next crash makes it failed →
        // FailureAction=reboot asks systemd for reboot.target. (Restart=always: a recovery that fails
        // under load is retried, and counts too.) Crash it whenever it runs until then.
        #expect(try lab.ctl("start", "r5f").status == 0)
        #expect(lab.eventually { systemd.calls.contains("StartUnit rproc-ready@r5f.target replace") })
        let crash = lab.board.path("sys/kernel/debug/remoteproc/remoteproc1/crash")
        let rebooted = lab.eventually(seconds: 20) {
            if systemd.calls.contains("StartUnit reboot.target replace-irreversibly") { return true }
            if lab.sysfs("remoteproc1", "state") == "running" {
                try? "1".write(toFile: crash, atomically: false, encoding: .utf8)
                _ = lab.eventually(seconds: 1) { lab.sysfs("remoteproc1", "state") != "running" }
            }
            return false
        }
        #expect(rebooted, "\(systemd.calls)\n\(lab.log)\n\(lab.kernelLog())")
        #expect(try lab.property("remoteproc1", "CrashCount").uint32 ?? 0 >= 2)
        #expect(lab.log.contains("FailureAction=reboot"))
    }

    @Test func withoutSystemdTheTargetsAreSkippedWithOneLogLine() throws {
        let bus = try PrivateDBusDaemon(type: "system")
        defer { bus.stop() }
        let lab = try LabRprocd(processors: ["m4": ReadinessDaemonTests.m4], systemBus: bus.address)
        #expect(try lab.ctl("start", "m4").status == 0)
        #expect(try lab.ctl("stop", "m4").status == 0)
        #expect(try lab.ctl("start", "m4").status == 0)
        #expect(lab.eventually { lab.log.contains("Not managing rproc-ready@ targets") }, "\(lab.log)")
        #expect(lab.log.components(separatedBy: "Not managing rproc-ready@ targets").count == 2, "\(lab.log)")
    }
}
