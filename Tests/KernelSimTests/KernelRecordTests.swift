import RprocFirmware
import RprocTestSupport
import Testing

@testable import KernelSim

/// What the real kernels showed where the model used to differ (Tests/Kernel/FINDINGS.md, "Virtual
/// board vs the kernel"): one test per finding, with the record lines of both kernels.
@Suite struct KernelRecordTests {
    /// The log lines after `marker`'s last occurrence, with `filter` in them.
    func lines(_ s: Sim, after marker: String, containing filter: String = "") -> [String] {
        let log = s.log
        let start = (log.lastIndex { $0.hasSuffix(marker) } ?? -1) + 1
        return log[start...].filter { filter.isEmpty || $0.contains(filter) }
    }

    @Test(arguments: [KernelLine.v6_1, .v6_12])
    func missingFirmwareLogsFailedToLoadBeforeDirectFirmwareLoad(line: KernelLine) {
        let s = Sim(line: line)
        s.write("\(Sim.rproc0)/firmware", "missing.elf")
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENOENT)
        var want = [
            "remoteproc remoteproc0: powering up m4",
            "remoteproc remoteproc0: firmware: failed to load missing.elf (-2)",
            "remoteproc remoteproc0: Direct firmware load for missing.elf failed with error -2",
            "remoteproc remoteproc0: request_firmware failed: -2",
            "remoteproc remoteproc0: Boot failed: -2",
        ]
        if line == .v6_1 {
            want.insert("firmware_class: See https://wiki.debian.org/Firmware for information about missing firmware", at: 2)
        }
        #expect(lines(s, after: "m4 is available") == want)
    }

    @Test func debian61LogsEveryDirectLoadIncludingRecovery() {
        let s = Sim(line: .v6_1)
        s.startAndCrash(recovery: true)
        let loads = s.log.filter { $0 == "remoteproc remoteproc0: firmware: direct-loading firmware m4.elf" }
        #expect(loads.count == 2)
        let boot = lines(s, after: "m4 is available").prefix(3)
        #expect(Array(boot) == [
            "remoteproc remoteproc0: powering up m4",
            "remoteproc remoteproc0: firmware: direct-loading firmware m4.elf",
            "remoteproc remoteproc0: Booting fw image m4.elf, size \(standardImage.count)",
        ])
        let s612 = Sim(line: .v6_12)
        s612.startAndCrash(recovery: true)
        #expect(!s612.log.contains { $0.contains("direct-loading") })
    }

    @Test(arguments: [KernelLine.v6_1, .v6_12])
    func everyVirtioRegistrationIsLoggedAfterTheRpmsgHostComesOnline(line: KernelLine) {
        let s = Sim(line: line)
        s.startAndCrash(recovery: true)
        let online = "virtio_rpmsg_bus virtio0: rpmsg host is online"
        let registered = "rproc-virtio rproc-virtio.0.auto: registered virtio0 (type 7)"
        let log = s.log
        #expect(log.filter { $0 == registered }.count == 2)
        for (i, text) in log.enumerated() where text == online {
            #expect(log[i + 1] == registered)
        }
    }

    @Test func virtioDeviceShowsFeaturesAndPower() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        let virtio = "\(Sim.rproc0)/rproc-virtio.0.auto/virtio0"
        #expect(s.list(virtio).sorted().prefix(9) == [
            "device", "driver", "features", "modalias", "power", "status", "subsystem", "uevent", "vendor",
        ])
        #expect(s.read("\(virtio)/features") == "1" + String(repeating: "0", count: 63) + "\n")
        #expect(s.read("\(virtio)/power/runtime_status") == "unsupported\n")
    }

    @Test func firmwarePathKeepsItsNewlineAfterA612Search() {
        let s = Sim(line: .v6_12, files: ["/alt/m4.elf": standardImage])
        #expect(s.write("sys/module/firmware_class/parameters/path", "/alt\n") == .success(5))
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.read("sys/module/firmware_class/parameters/path") == "/alt\n\n")
    }

    @Test func channelsAreAnnouncedAgainAtEveryStart() {
        let s = Sim(processors: [standardProcessor {
            $0.rpmsgChannels = [RpmsgChannelDescription(name: "rpmsg-raw", address: 0x401)]
            $0.announce = .after(milliseconds: 5)
        }])
        for _ in 0..<3 {
            s.write("\(Sim.rproc0)/state", "start")
            s.settle()
            #expect(s.list("sys/bus/rpmsg/devices").sorted() == [
                "virtio0.rpmsg-raw.-1.1025", "virtio0.rpmsg_ctrl.0.0", "virtio0.rpmsg_ns.53.53",
            ])
            #expect(s.exists("dev/rpmsg0"))
            s.write("\(Sim.rproc0)/state", "stop")
            #expect(s.list("sys/bus/rpmsg/devices").isEmpty)
            #expect(!s.exists("dev/rpmsg0"))
        }
    }
}

/// `/dev/rpmsgN` (rpmsg_char) with the simulated remote's echo.
@Suite struct RpmsgCharTests {
    func started(recovery: Bool = true) -> Sim {
        let s = Sim(processors: [standardProcessor {
            $0.rpmsgChannels = [
                RpmsgChannelDescription(name: "rpmsg-tty", address: 0x400),
                RpmsgChannelDescription(name: "rpmsg-raw", address: 0x401),
            ]
            $0.announce = .after(milliseconds: 5)
        }])
        if !recovery { s.write("\(Sim.rproc0)/recovery", "disabled") }
        s.write("\(Sim.rproc0)/state", "start")
        s.settle()
        return s
    }

    func receive(_ s: Sim, _ count: Int = 512) -> Result<[UInt8], KernelErrno>? {
        s.kernel.readRange("dev/rpmsg0", offset: 0, count: count, now: s.now)
    }

    @Test func theRemoteEchoesEveryMessage() {
        let s = started()
        #expect(s.kernel.stat("dev/rpmsg0") == .success(.characterDevice(mode: 0o600)))
        #expect(!s.exists("dev/rpmsg1"))  // rpmsg-tty is not an rpmsg_chrdev channel
        #expect(s.kernel.readable("dev/rpmsg0", now: s.now) == false)
        #expect(receive(s) == .failure(.EAGAIN))
        #expect(s.write("dev/rpmsg0", "hello remote") == .success(12))
        #expect(s.write("dev/rpmsg0", "again") == .success(5))
        #expect(s.kernel.readable("dev/rpmsg0", now: s.now) == true)
        #expect(receive(s, 5) == .success(Array("hello".utf8)))  // the rest of the message is dropped
        #expect(receive(s) == .success(Array("again".utf8)))
        #expect(s.kernel.readable("dev/rpmsg0", now: s.now) == false)
        #expect(s.kernel.readable("\(Sim.rproc0)/state", now: s.now) == nil)
    }

    @Test func aMessageOverTheBufferSizeIsRefused() {
        let s = started()
        #expect(s.write("dev/rpmsg0", [UInt8](repeating: 0x61, count: 497)).errno == .EMSGSIZE)
        #expect(s.logged("virtio_rpmsg_bus virtio0: message is too big (497)"))
        #expect(s.write("dev/rpmsg0", [UInt8](repeating: 0x61, count: 496)) == .success(496))
    }

    @Test func aCrashedRemoteAnswersNothing() {
        let s = started(recovery: false)
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.state == "crashed\n")
        #expect(s.write("dev/rpmsg0", "anyone there") == .success(12))
        #expect(s.kernel.readable("dev/rpmsg0", now: s.now) == false)
    }

    @Test func aStoppedEndpointAnswersEPIPE() {
        let s = started()
        guard case .success((.rpmsgChar(let p, let r), _)) = s.kernel.fileKind("dev/rpmsg0") else {
            Issue.record("dev/rpmsg0 is not an endpoint device")
            return
        }
        s.write("\(Sim.rproc0)/state", "stop")
        #expect(s.kernel.sendRpmsgChar(p, r, Array("x".utf8)) == .failure(.EPIPE))
        #expect(s.kernel.readRpmsgChar(r, count: 10) == .failure(.EPIPE))
        // Through the path an open file still names: EPIPE, while a lookup finds nothing.
        #expect(s.write("dev/rpmsg0", "x").errno == .EPIPE)
        #expect(!s.exists("dev/rpmsg0"))
    }
}
