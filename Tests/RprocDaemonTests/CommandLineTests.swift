import Testing
@testable import RprocDaemon

@Suite struct CommandLineTests {
    @Test func defaults() throws {
        let command = try DaemonCommand.parse([])
        let invocation = command.invocation
        #expect(invocation.root == "/")
        #expect(invocation.configDirectories == ["/etc/rprocd", "/run/rprocd", "/usr/lib/rprocd"])
        #expect(invocation.stateDirectory == "/var/lib/rprocd")
        #expect(invocation.overrides == DaemonSettings.Overrides())
        #expect(DaemonSettings().applying(invocation.overrides).socketPath == "/run/rprocd/control")
    }

    @Test func everyDaemonSettingCanBeOverridden() throws {
        let command = try DaemonCommand.parse([
            "--root", "/mnt/board", "--socket", "/tmp/s", "--config-dir", "/a", "--config-dir", "/b",
            "--state-dir", "/tmp/state", "--socket-group", "wheel", "--socket-mode", "0600",
            "--admin-group", "adm", "--system-bus", "no", "--poll-interval", "1min 500ms",
        ])
        let invocation = command.invocation
        #expect(invocation.configDirectories == ["/a", "/b"])
        let settings = DaemonSettings().applying(invocation.overrides)
        #expect(settings.socketPath == "/tmp/s")
        #expect(settings.socketGroup == "wheel")
        #expect(settings.socketMode == 0o600)
        #expect(settings.adminGroup == "adm")
        #expect(settings.systemBus == false)
        #expect(settings.pollIntervalMicroseconds == 60_500_000)
        #expect(invocation.kernelPath("/sys/class/remoteproc") == "/mnt/board/sys/class/remoteproc")
    }

    @Test(arguments: [
        ["--socket", "relative"], ["--socket-mode", "999"], ["--system-bus", "maybe"],
        ["--poll-interval", "2 fortnights"], ["--log-level", "chatty"], ["--root", ""],
    ])
    func badValuesAreUsageErrors(arguments: [String]) {
        #expect(throws: (any Error).self) { try DaemonCommand.parse(arguments) }
    }

    @Test func kernelPathUnderSlash() {
        let invocation = DaemonInvocation(root: "/", configDirectories: [], stateDirectory: "/s", overrides: .init(), logLevel: .info)
        #expect(invocation.kernelPath("/dev/kmsg") == "/dev/kmsg")
        #expect(invocation.kernelPath("sys/class") == "/sys/class")
    }
}
