import Foundation
import RprocModel
import SystemdIni
import Testing
@testable import RprocDaemon

@Suite struct ConfigurationTests {
    func tree(_ files: [String: String]) throws -> String {
        let root = NSTemporaryDirectory() + "rprocd-config-\(UUID().uuidString)"
        for (path, text) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
        return root
    }

    @Test func filesFromEveryDirectoryWithDropInsAndMasks() throws {
        let etc = try tree([
            "rprocd.conf": "[Daemon]\nPollIntervalSec=5s\nBogus=1\n",
            "rprocd.conf.d/10-socket.conf": "[Daemon]\nSocketPath=/run/x/control\n",
            "processors.d/dsp.rproc": "",  // masks /usr/lib's dsp.rproc
        ])
        let usr = try tree([
            "processors.d/m4.rproc": "[Match]\nName=m4\n[Firmware]\nFile=m4.elf\n[Boot]\nAutoStart=yes\n",
            "processors.d/m4.rproc.d/override.conf": "[Firmware]\nFile=m4-debug.elf\n",
            "processors.d/dsp.rproc": "[Match]\nName=dsp\n",
        ])
        defer {
            try? FileManager.default.removeItem(atPath: etc)
            try? FileManager.default.removeItem(atPath: usr)
        }
        let snapshot = ConfigLoader.load(directories: [etc, usr])
        #expect(snapshot.problems.isEmpty)
        let configuration = try Configuration.parse(
            files: snapshot.files, daemonDirectories: snapshot.directories, processorDirectories: snapshot.processorDirectories)
        let settings = DaemonSettings(configuration.daemon)
        #expect(settings.pollIntervalMicroseconds == 5_000_000)
        #expect(settings.socketPath == "/run/x/control")
        #expect(configuration.warnings.contains { $0.description.contains("Bogus") && $0.description.contains(etc + "/rprocd.conf:3") })
        #expect(configuration.processors.map(\.id) == ["m4"])
        let m4 = try #require(configuration.processor(name: "m4", device: "remoteproc0"))
        #expect(m4.firmware.file == "m4-debug.elf")
        #expect(m4.boot.autoStart)
        // The command line still wins.
        #expect(settings.applying(.init(pollIntervalMicroseconds: 100_000)).pollIntervalMicroseconds == 100_000)
    }

    @Test func autoStartBootsConfiguredOfflineProcessorsOnly() throws {
        let kernel = try FakeKernel()
        try kernel.add("remoteproc0", name: "m4", parent: "30000000.m4")
        try kernel.add("remoteproc1", name: "dsp", parent: "40000000.dsp", state: "running")
        try kernel.add("remoteproc2", name: "r5", parent: "50000000.r5")
        try kernel.installFirmware("m4.elf")
        let harness = try ManagerHarness(kernel: kernel)
        let configuration = try Configuration.parse(files: [
            ConfigFile(path: "/etc/rprocd/processors.d/m4.rproc", text: "[Match]\nName=m4\n[Firmware]\nFile=m4.elf\n[Boot]\nAutoStart=yes\n"),
            ConfigFile(path: "/etc/rprocd/processors.d/dsp.rproc", text: "[Match]\nName=dsp\n[Boot]\nAutoStart=yes\n"),
        ])
        let done = DispatchSemaphore(value: 0)
        harness.onLoop { manager in
            manager.configuration = configuration
            manager.autoStart()
            manager.processors["remoteproc0"]!.worker.submit({ () }) { _ in done.signal() }
        }
        done.wait()
        #expect(kernel.attemptedWrites == ["remoteproc0/firmware=m4.elf", "remoteproc0/state=start"])
        #expect(harness.processor("remoteproc0").state == "running")
    }
}
