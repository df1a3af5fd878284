import Foundation
import Testing
@testable import RprocDaemon

@Suite struct CommandLineTests {
    /// The command a successful parse runs; records an issue otherwise.
    func command(_ arguments: [String]) throws -> DaemonCommand {
        let request = try DaemonCommand.parse(arguments)
        guard case .run(let command) = request else {
            Issue.record("\(arguments) parsed as \(request), not as a command to run")
            return DaemonCommand()
        }
        return command
    }

    func usageError(_ arguments: [String]) -> String? {
        do {
            let request = try DaemonCommand.parse(arguments)
            Issue.record("\(arguments) parsed as \(request)")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func defaults() throws {
        let invocation = try command([]).invocation
        #expect(invocation.root == "/")
        #expect(invocation.configDirectories == ["/etc/rprocd", "/run/rprocd", "/usr/lib/rprocd"])
        #expect(invocation.stateDirectory == (DaemonCommand.environmentStateDirectory ?? "/var/lib/rprocd"))
        #expect(invocation.overrides == DaemonSettings.Overrides())
        #expect(invocation.logLevel == .info)
        #expect(DaemonSettings().applying(invocation.overrides).socketPath == "/run/rprocd/control")
    }

    @Test func everyDaemonSettingCanBeOverridden() throws {
        let invocation = try command([
            "--root", "/mnt/board", "--socket", "/tmp/s", "--config-dir", "/a", "--config-dir", "/b",
            "--state-dir", "/tmp/state", "--socket-group", "wheel", "--socket-mode", "0600",
            "--admin-group", "adm", "--system-bus", "no", "--poll-interval", "1min 500ms", "--log-level", "debug",
        ]).invocation
        #expect(invocation.root == "/mnt/board")
        #expect(invocation.configDirectories == ["/a", "/b"])
        #expect(invocation.stateDirectory == "/tmp/state")
        #expect(invocation.logLevel == .debug)
        let settings = DaemonSettings().applying(invocation.overrides)
        #expect(settings.socketPath == "/tmp/s")
        #expect(settings.socketGroup == "wheel")
        #expect(settings.socketMode == 0o600)
        #expect(settings.adminGroup == "adm")
        #expect(settings.systemBus == false)
        #expect(settings.pollIntervalMicroseconds == 60_500_000)
        #expect(invocation.kernelPath("/sys/class/remoteproc") == "/mnt/board/sys/class/remoteproc")
    }

    /// Each option alone, as `--name VALUE` and as `--name=VALUE`: the same command.
    @Test(arguments: [
        ("root", "/mnt/board"), ("socket", "/tmp/control"), ("config-dir", "/etc/x"), ("state-dir", "/tmp/state"),
        ("socket-group", "wheel"), ("socket-mode", "0640"), ("admin-group", "adm"), ("system-bus", "yes"),
        ("poll-interval", "500ms"), ("log-level", "warning"),
    ])
    func eachOptionInBothSpellings(name: String, value: String) throws {
        let separate = try command(["--\(name)", value])
        let joined = try command(["--\(name)=\(value)"])
        #expect(separate == joined)
        #expect(separate != DaemonCommand())
        var expected = DaemonCommand()
        switch name {
        case "root": expected.root = value
        case "socket": expected.socket = value
        case "config-dir": expected.configDirectories = [value]
        case "state-dir": expected.stateDirectory = value
        case "socket-group": expected.socketGroup = value
        case "socket-mode": expected.socketMode = value
        case "admin-group": expected.adminGroup = value
        case "system-bus": expected.systemBus = value
        case "poll-interval": expected.pollInterval = value
        default: expected.logLevel = value
        }
        #expect(separate == expected)
    }

    @Test func parsedValuesReachTheOverrides() throws {
        #expect(try command(["--socket-mode", "0600"]).overrides.socketMode == 0o600)
        #expect(try command(["--system-bus", "off"]).overrides.systemBus == false)
        #expect(try command(["--system-bus=1"]).overrides.systemBus == true)
        #expect(try command(["--poll-interval", "500ms"]).overrides.pollIntervalMicroseconds == 500_000)
        #expect(try command(["--log-level", "err"]).invocation.logLevel == .error)
    }

    @Test func aValueMayContainEqualsOrBeEmptyAfterEquals() throws {
        #expect(try command(["--socket-group=a=b"]).socketGroup == "a=b")
        #expect(try command(["--socket-group="]).socketGroup == "")
        #expect(try command(["--socket-group", ""]).socketGroup == "")
        #expect(try command(["--state-dir", "-"]).stateDirectory == "-")
    }

    @Test func aRepeatedOptionKeepsItsLastValue() throws {
        let repeated = try command(["--root", "/a", "--root", "/b", "--log-level", "debug", "--log-level=error"])
        #expect(repeated.root == "/b")
        #expect(repeated.logLevel == "error")
    }

    @Test func helpAndVersion() throws {
        #expect(try DaemonCommand.parse(["--help"]) == .help)
        #expect(try DaemonCommand.parse(["-h"]) == .help)
        #expect(try DaemonCommand.parse(["--version"]) == .version)
        // First wins, before any value is checked.
        #expect(try DaemonCommand.parse(["--root", "/x", "--version", "--help"]) == .version)
        #expect(try DaemonCommand.parse(["--socket", "relative", "--help"]) == .help)
    }

    @Test func helpTextNamesEveryOption() {
        let text = DaemonCommand.helpText
        for option in DaemonCommand.valueOptions {
            #expect(text.contains("--\(option.name) <\(option.value)>"))
            #expect(text.contains(option.help))
        }
        #expect(text.contains("--version"))
        #expect(text.contains("-h, --help"))
        #expect(text.contains("USAGE: rprocd "))
    }

    @Test func aLoneDoubleDashEndsTheOptions() throws {
        #expect(try command(["--root", "/a", "--"]).root == "/a")
    }

    @Test(arguments: [
        (["--socket", "relative"], "--socket must be an absolute path, not 'relative'."),
        (["--socket-mode", "999"], "--socket-mode must be an octal mode such as 0660, not '999'."),
        (["--system-bus", "maybe"], "--system-bus must be yes or no, not 'maybe'."),
        (["--poll-interval", "2 fortnights"], "--poll-interval must be a time span such as 1s or 500ms, not '2 fortnights'."),
        (["--poll-interval", "0"], "--poll-interval must be a time span such as 1s or 500ms, not '0'."),
        (["--poll-interval", "infinity"], "--poll-interval must be a time span such as 1s or 500ms, not 'infinity'."),
        (["--log-level", "chatty"], "--log-level must be debug, info, notice, warning or error, not 'chatty'."),
        (["--root", ""], "--root must not be empty."),
        (["--root="], "--root must not be empty."),
        (["--frobnicate"], "Unknown option '--frobnicate'"),
        (["--frobnicate=1"], "Unknown option '--frobnicate'"),
        (["-x"], "Unknown option '-x'"),
        (["--Root", "/"], "Unknown option '--Root'"),
        (["extra"], "Unexpected argument 'extra'"),
        (["-"], "Unexpected argument '-'"),
        (["--", "extra"], "Unexpected argument 'extra'"),
        (["--root"], "Missing value for '--root <DIR>'"),
        (["--socket", "--root", "/"], "Missing value for '--socket <PATH>'"),
        (["--config-dir", "-h"], "Missing value for '--config-dir <DIR>'"),
        (["--state-dir"], "Missing value for '--state-dir <DIR>'"),
        (["--socket-group"], "Missing value for '--socket-group <GROUP>'"),
        (["--socket-mode"], "Missing value for '--socket-mode <MODE>'"),
        (["--admin-group"], "Missing value for '--admin-group <GROUP>'"),
        (["--system-bus"], "Missing value for '--system-bus <BOOL>'"),
        (["--poll-interval"], "Missing value for '--poll-interval <SPAN>'"),
        (["--log-level"], "Missing value for '--log-level <LEVEL>'"),
        (["--help=yes"], "'--help' takes no value"),
        (["--version=1"], "'--version' takes no value"),
    ])
    func usageErrorsAreNamed(arguments: [String], message: String) {
        #expect(usageError(arguments) == message)
    }

    @Test func kernelPathUnderSlash() {
        let invocation = DaemonInvocation(root: "/", configDirectories: [], stateDirectory: "/s", overrides: .init(), logLevel: .info)
        #expect(invocation.kernelPath("/dev/kmsg") == "/dev/kmsg")
        #expect(invocation.kernelPath("sys/class") == "/sys/class")
    }

    /// The built binary: a usage error exits 2 with `rprocd: MESSAGE` and a hint to `--help` on
    /// stderr; `--help` and `--version` exit 0.
    @Test(arguments: [
        (["--socket", "relative"], Int32(2), "rprocd: --socket must be an absolute path, not 'relative'.\nSee 'rprocd --help' for more information.\n"),
        (["--bogus"], Int32(2), "rprocd: Unknown option '--bogus'\nSee 'rprocd --help' for more information.\n"),
        (["--version"], Int32(0), DaemonVersion.string + "\n"),
        (["--help"], Int32(0), DaemonCommand.helpText),
    ])
    func theProcessExitsWithTheUsageStatus(arguments: [String], status: Int32, output: String) throws {
        guard DaemonProcess.binary != nil else {
            print("Skipping: build the rprocd product first (swift build --product rprocd).")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rprocd-cli-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rprocd = try DaemonProcess(arguments: arguments, notifyPath: directory + "/notify")
        #expect(rprocd.waitForExit() == status)
        #expect(rprocd.log == output)
    }
}
