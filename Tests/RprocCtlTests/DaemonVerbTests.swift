// The daemon verbs of rprocctl, run as processes against the built rprocd on the virtual lab board.

import Foundation
import Glibc
import RprocJSON
import Testing

/// The keys of `show --json` (and of each `status --json` object): the property names of
/// docs/dbus-api.md with a lowercase first letter.
let processorKeys = [
    "device", "name", "state", "job", "firmware", "recovery", "coredump", "readOnly", "condition", "bootCount", "crashCount",
    "restartCount", "result", "stateChangeUSec", "lastCrashUSec", "lastCrashType", "nextRestartUSec", "lastError", "channels",
    "ready",
]

func parseJSON(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    try JSONParser().parse(text)
}

@Suite(.serialized, .enabled(if: LabDaemon.available)) struct DaemonVerbTests {
    @Test func listIsTheDefaultVerbAndMatchesTheSnapshot() throws {
        let lab = try LabDaemon()
        let list = try lab.run("list")
        #expect(list.status == 0)
        #expect(list.stderr == "")
        try Snapshot.assertMatches(list.stdout, "list-lab.txt")
        #expect(try lab.run([]).stdout == list.stdout)
        let bare = try lab.run("list", "--no-legend")
        #expect(!bare.stdout.contains("DEVICE") && !bare.stdout.contains("listed."))
        #expect(bare.stdout.split(separator: "\n").count == 7)
        #expect(try lab.run("list", "-q").stdout == "")
    }

    @Test func listJSONHasOneObjectPerProcessor() throws {
        let lab = try LabDaemon()
        for mode in ["short", "pretty"] {
            let result = try lab.run("list", "--json=\(mode)")
            #expect(result.status == 0)
            let rows = try #require(try parseJSON(result.stdout).arrayValue)
            #expect(rows.count == 7)
            #expect(rows.compactMap { $0["name"]?.stringValue } == ["m4", "r5f", "bootcore", "ro-core", "slow", "broken", "auto"])
            #expect(rows[2].objectValue?.keys == ["device", "name", "state", "objectPath"])
            #expect(rows[2]["state"]?.stringValue == "detached")
            #expect(rows[0]["objectPath"]?.stringValue == "/org/daybreak/RemoteProc1/processor/remoteproc0")
            #expect((result.stdout.split(separator: "\n").count == 1) == (mode == "short"))
        }
    }

    @Test func startWaitsForTheKernelAndStatusShowsTheRunningProcessor() throws {
        let lab = try LabDaemon()
        let start = try lab.run("start", "m4")
        #expect(start.status == 0, "\(start.stderr)")
        try Snapshot.assertMatches(start.stdout, "start-m4.txt")
        let status = try lab.run("status", "m4")
        #expect(status.status == 0)
        try Snapshot.assertMatches(normalizingTimes(status.stdout), "status-m4-running.txt")
        let offline = try lab.run("status", "r5f")
        #expect(offline.status == 3)
        try Snapshot.assertMatches(normalizingTimes(offline.stdout), "status-r5f-offline.txt")
        // Without names: every processor, and exit 0 although most are offline.
        let all = try lab.run("status")
        #expect(all.status == 0)
        #expect(all.stdout.components(separatedBy: "● ").count == 8)
        let stop = try lab.run("stop", "m4", "--json=short")
        #expect(stop.status == 0)
        let job = try #require(try parseJSON(stop.stdout).arrayValue?.first)
        #expect(job.objectValue?.keys == ["job", "device", "name", "operation", "result", "state", "errorName", "errorMessage"])
        #expect(job["job"]?.uint64Value == 2)
        #expect(job["operation"]?.stringValue == "stop")
        #expect(job["result"]?.stringValue == "success")
        #expect(job["state"]?.stringValue == "offline")
        #expect(job["errorName"]?.stringValue == "")
    }

    @Test func statusJSONCarriesEveryPropertyAndTheLog() throws {
        let lab = try LabDaemon()
        _ = try lab.run("start", "m4")
        let result = try lab.run("status", "m4", "bootcore", "--json")
        #expect(result.status == 3)  // bootcore is detached
        let objects = try #require(try parseJSON(result.stdout).arrayValue)
        #expect(objects.count == 2)
        #expect(objects[0].objectValue?.keys == processorKeys + ["logLines"])
        #expect(objects[0]["state"]?.stringValue == "running")
        #expect(objects[0]["bootCount"]?.uint64Value == 1)
        #expect(objects[0]["stateChangeUSec"]?.uint64Value ?? 0 > 1_700_000_000_000_000)
        #expect(objects[1]["state"]?.stringValue == "detached")
        #expect(objects[1]["readOnly"]?.boolValue == false)
        #expect(objects[1]["channels"]?.arrayValue == [])
    }

    @Test func showPrintsEveryPropertyAsKeyValue() throws {
        let lab = try LabDaemon()
        let show = try lab.run("show", "remoteproc3")
        #expect(show.status == 0)
        let lines = show.stdout.split(separator: "\n").map(String.init)
        #expect(lines.map { String($0.prefix(while: { $0 != "=" })) } == processorKeys.map { $0.prefix(1).uppercased() + $0.dropFirst() })
        #expect(lines.contains("Name=ro-core"))
        #expect(lines.contains("ReadOnly=yes"))
        #expect(lines.contains("Firmware=ro.elf"))
        #expect(lines.contains("Channels="))
        #expect(try lab.run("show", "ro-core", "-p", "State,Job", "-p", "Name").stdout == "Name=ro-core\nState=offline\nJob=idle\n")
        #expect(try lab.run("show", "ro-core", "-p", "State", "--value").stdout == "offline\n")
        let json = try parseJSON(try lab.run("show", "ro-core", "--json").stdout)
        #expect(json.objectValue?.keys == processorKeys)
        #expect(json["readOnly"]?.boolValue == true)
        #expect(json["bootCount"]?.uint64Value == 0)
        let selected = try parseJSON(try lab.run("show", "ro-core", "-p", "Device,BootCount", "--json=short").stdout)
        #expect(selected == ["device": "remoteproc3", "bootCount": 0])
    }

    @Test func isRunningUsesLSBStatusCodes() throws {
        let lab = try LabDaemon()
        let offline = try lab.run("is-running", "m4")
        #expect(offline.status == 3)
        #expect(offline.stdout == "offline\n")
        _ = try lab.run("start", "m4")
        #expect(try lab.run("is-running", "m4").status == 0)
        _ = try lab.run("start", "bootcore")
        let attached = try lab.run("is-running", "remoteproc2", "-q")
        #expect(attached.status == 0)
        #expect(attached.stdout == "")
        let missing = try lab.run("is-running", "nope", "-q")
        #expect(missing.status == 4)
        #expect(missing.stdout == "")
        #expect(missing.stderr.contains("No remote processor is called 'nope'"))
        let json = try parseJSON(try lab.run("is-running", "m4", "--json=short").stdout)
        #expect(json == ["device": "remoteproc0", "name": "m4", "state": "running", "running": true])
        #expect(try lab.run("status", "nope").status == 4)
    }

    @Test func noBlockReturnsOnceQueuedAndASecondJobIsBusy() throws {
        let lab = try LabDaemon()
        let queued = try lab.run("start", "slow", "--no-block")
        #expect(queued.status == 0)
        #expect(queued.stdout == "JOB DEVICE      NAME OPERATION\n  1 remoteproc4 slow start\n1 job queued.\n")
        let busy = try lab.run("stop", "slow")
        #expect(busy.status == 1)
        #expect(busy.stderr == "'slow' is busy with 'start' (job 1); try again when it is done.\n")
        #expect(busy.stdout == "")
        let refused = try lab.run("start", "slow", "--no-block", "--json=short")
        #expect(refused.status == 1)
        #expect(refused.stdout == "")  // nothing queued, nothing printed
        #expect(try lab.waitForState("slow", "running"))
    }

    @Test func attachAndDetachABootloaderStartedProcessor() throws {
        let lab = try LabDaemon()
        let attach = try lab.run("attach", "bootcore")
        #expect(attach.status == 0, "\(attach.stderr)")
        #expect(attach.stdout.contains(" attach    success attached\n"))
        let detach = try lab.run("detach", "bootcore")
        #expect(detach.status == 0, "\(detach.stderr)")
        #expect(detach.stdout.contains(" detach    success detached\n"))
        let start = try lab.run("start", "bootcore", "--json=short")
        #expect(try parseJSON(start.stdout)[0]?["state"]?.stringValue == "attached")
    }

    @Test func restartAndSetFirmwareAndResetFailed() throws {
        let lab = try LabDaemon()
        let set = try lab.run("set-firmware", "m4", "r5f.elf")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout == "DEVICE      NAME STATE   JOB  FIRMWARE\nremoteproc0 m4   offline idle r5f.elf\n1 processor listed.\n")
        let restart = try lab.run("restart", "m4", "--firmware", "m4.elf")
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(try lab.run("show", "m4", "-p", "Firmware", "--value").stdout == "m4.elf\n")
        #expect(try lab.run("is-running", "m4").status == 0)
        let reset = try lab.run("reset-failed", "--json=short")
        #expect(reset.status == 0)
        let objects = try #require(try parseJSON(reset.stdout).arrayValue)
        #expect(objects.count == 7)
        #expect(objects.allSatisfy { $0["job"]?.stringValue == "idle" })
    }

    /// Every error of docs/dbus-api.md rprocctl can meet on the lab board, with its exit code (one
    /// board for all, in turn: none of them changes a processor).
    @Test func errorsHaveTheirExitCodes() throws {
        let lab = try LabDaemon()
        let cases: [([String], Int32, String)] = [
            (["start", "nope"], 5, "No remote processor is called 'nope'"),
            (["stop", "r5f"], 7, "not running"),
            (["recover", "m4"], 7, "not running"),
            (["detach", "m4"], 7, "not running"),
            (["start", "m4", "--firmware", "missing.elf"], 6, "Firmware 'missing.elf' is not in the kernel's search path"),
            (["set-firmware", "m4", "missing.elf"], 6, "missing.elf"),
            (["start", "m4", "--firmware", "../etc/passwd"], 2, "'..'"),
            (["start", "ro-core"], 4, "read-only"),
            (["start", "broken"], 1, "Failed to start 'broken': The kernel refused 'start'"),
            (["stop", "bootcore"], 1, "Cannot 'stop'"),
            (["show", "nope"], 5, "No remote processor"),
        ]
        for (arguments, status, message) in cases {
            let result = try lab.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("org.daybreak"), "a raw D-Bus error name: \(result.stderr)")
        }
    }

    @Test func anAmbiguousNameListsTheDevices() throws {
        let lab = try LabDaemon(extraArguments: ["--poll-interval", "50ms"])
        try lab.write("hotplug", to: lab.board.path(".sim/add"))
        try lab.write("hotplug", to: lab.board.path(".sim/add"))
        for _ in 0..<200 where try lab.run("list", "--no-legend").stdout.split(separator: "\n").count < 9 { usleep(25_000) }
        let result = try lab.run("start", "hotplug")
        #expect(result.status == 5)
        #expect(result.stderr == "The name 'hotplug' is ambiguous: use one of the devices 'remoteproc7', 'remoteproc8'.\n")
        #expect(try lab.run("start", "remoteproc8").status == 0)
    }

    @Test func anotherUserIsDeniedWithExitCode4() throws {
        let lab = try LabDaemon()
        let binary = try #require(Rprocctl.binary)
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", binary.path, "--socket", lab.socket]
        let denied = try Rprocctl.run(executable: URL(fileURLWithPath: "/usr/bin/setpriv"), asNobody + ["stop", "m4"], in: nil, environment: [:])
        #expect(denied.status == 4, "\(denied.stderr)")
        #expect(!denied.stderr.isEmpty)
        // Reading stays open to everyone.
        let list = try Rprocctl.run(executable: URL(fileURLWithPath: "/usr/bin/setpriv"), asNobody + ["list", "-q"], in: nil, environment: [:])
        #expect(list.status == 0, "\(list.stderr)")
    }

    @Test func monitorSeesACrashInjectedThroughDebugfs() throws {
        let lab = try LabDaemon()
        _ = try lab.run("start", "m4")
        // With recovery disabled the processor stays crashed, so rprocd sees it at its next look.
        try lab.write("disabled", to: lab.sysfs(0, "recovery"))
        let monitor = try MonitorProcess(["--socket", lab.socket, "monitor"])
        let json = try MonitorProcess(["--socket", lab.socket, "monitor", "--json=short"])
        #expect(monitor.waitUntilListening() && json.waitUntilListening())
        try lab.write("1", to: lab.debugfs(0, "crash"))
        // rprocd may learn of the crash from the kernel log (Crashed first) or from `state` (StateChanged first).
        var lines: [String] = []
        while !(lines.contains { $0.contains("crashed (watchdog)") } && lines.contains { $0.contains("-> crashed") }) {
            let more = monitor.lines(until: { _ in true })
            if more.isEmpty { break }
            lines += more
        }
        let crashLines = Set(lines.map(normalizingTimes))
        #expect(crashLines.contains("<TIME> remoteproc0 m4: crashed (watchdog), crash 1"), "\(lines)")
        #expect(crashLines.contains { $0.hasPrefix("<TIME> remoteproc0 m4: state running -> crashed (") }, "\(lines)")
        let recover = try lab.run("recover", "m4")
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(recover.stdout.contains(" recover   success running\n"))
        let after = monitor.lines(until: { $0.contains("finished") })
        #expect(after.map(normalizingTimes).contains("<TIME> remoteproc0 m4: job 2 recover queued"), "\(after)")
        #expect(after.last.map(normalizingTimes) == "<TIME> remoteproc0 m4: job 2 recover finished: success")
        #expect(after.contains { $0.hasSuffix("state crashed -> running (recover)") })
        #expect(monitor.interrupt() == 0)
        let events = try json.lines(until: { $0.contains("JobRemoved") }).map { try parseJSON($0) }
        #expect(json.interrupt() == 0)
        let crashed = try #require(events.first { $0["event"]?.stringValue == "Crashed" })
        #expect(crashed.objectValue?.keys == ["time", "event", "device", "name", "type", "count"])
        #expect(crashed["type"]?.stringValue == "watchdog")
        #expect(crashed["count"]?.uint64Value == 1)
        let changed = try #require(events.first { $0["event"]?.stringValue == "StateChanged" })
        #expect(changed["old"]?.stringValue == "running" && changed["new"]?.stringValue == "crashed")
        #expect(events.last?.objectValue?.keys == ["time", "event", "device", "name", "id", "operation", "result", "errorName", "errorMessage"])
        let statusAfter = try lab.run("status", "m4")
        #expect(statusAfter.stdout.contains("Crashes: 1 (last: watchdog, "))
    }

    @Test func monitorSeesHotplug() throws {
        let lab = try LabDaemon(extraArguments: ["--poll-interval", "50ms"])
        let monitor = try MonitorProcess(["--socket", lab.socket, "monitor"])
        #expect(monitor.waitUntilListening())
        try lab.write("hotplug", to: lab.board.path(".sim/add"))
        let lines = monitor.lines(until: { $0.contains("added") })
        #expect(lines.map(normalizingTimes) == ["<TIME> remoteproc7 hotplug: added (/org/daybreak/RemoteProc1/processor/remoteproc7)"])
        try lab.write("remoteproc7", to: lab.board.path(".sim/remove"))
        #expect(monitor.lines(until: { $0.contains("removed") }).last.map(normalizingTimes) == "<TIME> remoteproc7 hotplug: removed")
        #expect(monitor.interrupt() == 0)
    }
}

/// What needs no daemon at all.
@Suite struct DaemonAbsentTests {
    @Test func aMissingSocketSaysHowToStartRprocd() throws {
        for verb in [["list"], ["status"], ["start", "m4"], ["show", "m4"], ["monitor"]] {
            let result = try Rprocctl.run(["--socket", "/nonexistent/control"] + verb, environment: [:])
            #expect(result.status == 1, "\(verb)")
            #expect(result.stderr == "rprocd is not running (no socket at '/nonexistent/control'). Start it with 'systemctl start rprocd'.\n")
        }
        let status = try Rprocctl.run(["is-running", "m4", "--socket", "/nonexistent/control"], environment: [:])
        #expect(status.status == 4)
        let environment = try Rprocctl.run(["list"], environment: ["RPROCD_SOCKET": "/nonexistent/env"])
        #expect(environment.stderr.contains("no socket at '/nonexistent/env'"))
    }

    @Test(.enabled(if: access("/run/dbus/system_bus_socket", F_OK) != 0 && ProcessInfo.processInfo.environment["DBUS_SYSTEM_BUS_ADDRESS"] == nil))
    func noSystemBusSaysToDropSystem() throws {
        let result = try Rprocctl.run(["list", "--system"], environment: [:])
        #expect(result.status == 1)
        #expect(result.stderr == "The system bus is not reachable, so rprocd cannot be asked there; drop --system to use rprocd's socket.\n")
        #expect(try Rprocctl.run(["is-running", "m4", "--system"], environment: [:]).status == 4)
    }

    @Test func aSocketNobodyListensOn() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write([], to: "control").path
        let result = try Rprocctl.run(["list", "--socket", path], environment: [:])
        #expect(result.status == 1)
        #expect(result.stderr == "rprocd is not running (nobody listens on '\(path)'). Start it with 'systemctl start rprocd'.\n")
    }

    @Test(arguments: [["start"], ["set-firmware", "m4"], ["is-running"], ["frobnicate"], ["show", "m4", "--json=loud"]])
    func usageErrorsExit2(_ arguments: [String]) throws {
        let result = try Rprocctl.run(arguments + ["--socket", "/nonexistent/control"], environment: [:])
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
    }

    @Test func helpListsEveryExitCode() throws {
        let help = try Rprocctl.run("--help").stdout
        for code in 0...7 { #expect(help.contains("\n  \(code)  "), "exit code \(code)") }
        for verb in ["list (default)", "status", "start", "stop", "restart", "detach", "attach", "recover", "set-firmware",
                     "reset-failed", "show", "is-running", "monitor"] {
            #expect(help.contains("  \(verb) "), "\(verb)")
        }
    }
}
