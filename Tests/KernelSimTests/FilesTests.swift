import RprocFirmware
import RprocTestSupport
import Testing

@testable import KernelSim

/// sysfs mechanics (§1.2, §1.3), debugfs formats (§4), rpmsg devices (§7), kmsg records.
@Suite struct FilesTests {
    @Test func classDirectoryAndDeviceEntries() {
        let s = Sim()
        #expect(s.list("sys/class/remoteproc") == ["remoteproc0"])
        #expect(s.kernel.readLink(Sim.rproc0) == .success("../../devices/platform/sim-rproc.0/remoteproc/remoteproc0"))
        #expect(s.list(Sim.rproc0) == ["coredump", "recovery", "firmware", "state", "name", "uevent", "device", "subsystem", "power"])
        #expect(s.kernel.readLink("\(Sim.dev0)/subsystem") == .success("../../../../../class/remoteproc"))
        #expect(s.kernel.readLink("\(Sim.dev0)/device") == .success("../../../sim-rproc.0"))
        #expect(s.read("\(Sim.rproc0)/uevent") == "DEVTYPE=remoteproc\n")
        #expect(s.read("\(Sim.rproc0)/name") == "m4\n")
        #expect(s.read("\(Sim.rproc0)/recovery") == "enabled\n")
        #expect(s.read("proc/sys/kernel/osrelease") == "6.1.0-test\n")
        #expect(s.kernel.stat("dev/kmsg") == .success(.characterDevice(mode: 0o644)))
        for f in ["state", "firmware", "recovery", "coredump"] {
            #expect(s.kernel.stat("\(Sim.dev0)/\(f)") == .success(.file(mode: 0o644, size: 4096)))
        }
        #expect(s.kernel.stat("\(Sim.dev0)/name") == .success(.file(mode: 0o444, size: 4096)))
    }

    @Test func readOnlyBoardRefusesOpenForWriteEvenForRoot() {
        let s = Sim(processors: [standardProcessor { $0.sysfsReadOnly = true }])
        for f in ["state", "firmware", "recovery", "coredump", "name"] {
            #expect(s.kernel.stat("\(Sim.dev0)/\(f)") == .success(.file(mode: 0o444, size: 4096)))
            #expect(s.kernel.openCheck("\(Sim.dev0)/\(f)", forWriting: true).map { 0 } == .failure(.EACCES))
        }
        #expect(s.kernel.openCheck("\(Sim.dev0)/state", forWriting: false).map { 0 } == .success(0))
        #expect(s.kernel.openCheck("\(Sim.dev0)/nope", forWriting: false).map { 0 } == .failure(.ENOENT))
    }

    @Test func sysfsStreqToleratesExactlyOneTrailingNewline() {
        let s = Sim()
        for bad in ["start\n\n", "start ", " start", "start\r\n", "Start"] {
            #expect(s.write("\(Sim.rproc0)/state", bad).errno == .EINVAL)
        }
        #expect(s.logged("remoteproc remoteproc0: Unrecognised option: start\\x0a\\x0a"))
        #expect(s.write("\(Sim.rproc0)/state", Array("start\0xyz".utf8)) == .success(9))
        #expect(s.state == "running\n")
        #expect(s.write("\(Sim.rproc0)/state", "stop\n") == .success(5))
    }

    @Test func zeroByteWriteReturnsZeroWithoutCallingStore() {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/state", "") == .success(0))
        #expect(!s.logged("Unrecognised option: "))
    }

    @Test func writesAreCutAtPageSize() {
        let s = Sim()
        let long = "a" + String(repeating: "b", count: 5000)
        #expect(s.write("\(Sim.rproc0)/firmware", long) == .success(4096))
        #expect(s.kernel.processors[0].firmware.count == 4096)
        #expect(s.read("\(Sim.rproc0)/firmware").utf8.count == 4095)
    }

    @Test func firmwareNameIsCutAtTheFirstNewlineOnly() {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/firmware", " a b\r\nrest") == .success(10))
        #expect(s.read("\(Sim.rproc0)/firmware") == " a b\r\n")
        #expect(s.write("\(Sim.rproc0)/firmware", "\n").errno == .EINVAL)
        #expect(s.logged("rproc-sim sim-rproc.0: can't provide empty string for firmware name"))
    }

    @Test func recoveryKeywords() {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/recovery", "disabled\n") == .success(9))
        #expect(s.read("\(Sim.rproc0)/recovery") == "disabled\n")
        #expect(s.write("\(Sim.rproc0)/recovery", "enable").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/recovery", "e") == .success(1))
        #expect(s.read("\(Sim.debug0)/recovery") == "enabled\n")
        #expect(s.write("\(Sim.debug0)/recovery", "d\n").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/recovery", "disabled\n") == .success(9))
        #expect(s.write("\(Sim.debug0)/recovery", "r") == .success(1))
        #expect(s.write("\(Sim.debug0)/recovery", "recovering!").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/recovery", "").errno == .EINVAL)
    }

    @Test func debugfsEntries() {
        let s = Sim()
        #expect(s.list(Sim.debug0) == ["name", "recovery", "crash", "resource_table", "carveout_memories", "coredump"])
        #expect(s.read("\(Sim.debug0)/name") == "m4\n")
        #expect(s.kernel.stat("\(Sim.debug0)/crash") == .success(.file(mode: 0o200, size: 0)))
        #expect(s.read("\(Sim.debug0)/resource_table") == "No resource table found\n")
        #expect(s.read("\(Sim.debug0)/carveout_memories") == "")
        var long = standardProcessor()
        long.name = String(repeating: "n", count: 120)
        let t = Sim(processors: [long])
        #expect(t.read("\(Sim.debug0)/name") == String(repeating: "n", count: 98) + "\n")
    }

    @Test func resourceTableDumpIsExact() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        let expected = """
            Entry 0 is of type carveout
              Device Address 0x10000000
              Physical Address 0x70000000
              Length 0x100000 Bytes
              Flags 0x0
              Reserved (should be zero) [0]
              Name fw-mem

            Entry 1 is of type trace
              Device Address 0x10009000
              Length 0x1000 Bytes
              Reserved (should be zero) [0]
              Name trace0

            Entry 2 is of type vdev
              ID 7
              Notify ID 0
              Device features 0x1
              Guest features 0x1
              Config length 0x0
              Status 0xf
              Number of vrings 2
              Reserved (should be zero) [0][0]

              Vring 0
                Device Address 0x70100000
                Alignment 16
                Number of buffers 16
                Notify ID 0
                Physical Address 0x0

              Vring 1
                Device Address 0x70101000
                Alignment 16
                Number of buffers 16
                Notify ID 1
                Physical Address 0x0


            """
        #expect(s.read("\(Sim.debug0)/resource_table") == expected)
        let carveouts = s.read("\(Sim.debug0)/carveout_memories")
        #expect(carveouts.hasPrefix("Carveout memory entry:\n\tName: fw-mem\n\tVirtual address: "))
        #expect(carveouts.contains("\tDMA address: 0x0000000070000000\n\tDevice address: 0x10000000\n\tLength: 0x100000 Bytes\n\n"))
        #expect(carveouts.contains("\tName: vdev0vring0\n"))
        s.write("\(Sim.rproc0)/state", "stop")
        #expect(s.read("\(Sim.debug0)/resource_table") == "No resource table found\n")
    }

    @Test func unknownAndVendorEntriesAreWarnedAndDumped() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries.append(.raw(type: 200, payload: [0, 0, 0, 0]))
        b.resourceTable?.entries.append(.raw(type: 7, payload: [0, 0, 0, 0]))
        b.resourceTable?.entries.append(.trace(da: 0x1000_a000, length: 16, name: "second"))
        let s = Sim(files: ["/lib/firmware/m4.elf": b.build()])
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.logged("remoteproc remoteproc0: unsupported vendor resource 200"))
        #expect(s.logged("remoteproc remoteproc0: unsupported resource 7"))
        let dump = s.read("\(Sim.debug0)/resource_table")
        #expect(dump.contains("Unknown resource type found: 200 [hdr: "))
        #expect(dump.contains("Unknown resource type found: 7 [hdr: "))
        #expect(s.list(Sim.debug0).suffix(2) == ["trace0", "trace1"])
    }

    @Test func traceShowsWhatTheRemoteWrote() {
        let s = Sim(processors: [standardProcessor { $0.traceText = "m4 says hello\n" }])
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.read("\(Sim.debug0)/trace0") == "m4 says hello\n")
        let part = s.kernel.readRange("\(Sim.debug0)/trace0", offset: 3, count: 4, now: s.now)
        #expect(part.map { try? $0.get() } == Array("says".utf8))
        #expect(s.kernel.readRange("\(Sim.rproc0)", offset: 0, count: 1, now: s.now).map { _ in 0 } != nil)
        #expect(s.kernel.readRange("\(Sim.dev0)/state", offset: 0, count: 1, now: s.now) == nil)
    }

    @Test func untranslatableTraceSaysNotAvailable() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries[1] = .trace(da: 0x5000_0000, length: 0x100, name: "far")
        let s = Sim(files: ["/lib/firmware/m4.elf": b.build()])
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.read("\(Sim.debug0)/trace0") == "Trace  not available\n")
    }

    @Test func rpmsgDevicesAndAttributes() {
        let s = Sim(processors: [standardProcessor {
            $0.rpmsgChannels = [RpmsgChannelDescription(name: "rpmsg-raw", address: 0x400), RpmsgChannelDescription(name: "echo", address: 30)]
            $0.announce = .after(milliseconds: 20)
        }])
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.logged("virtio_rpmsg_bus virtio0: rpmsg host is online"))
        #expect(s.list("sys/bus/rpmsg/devices") == ["virtio0.rpmsg_ctrl.0.0", "virtio0.rpmsg_ns.53.53"])
        let ns = "sys/bus/rpmsg/devices/virtio0.rpmsg_ns.53.53"
        #expect(s.kernel.readLink(ns)
            == .success("../../../devices/platform/sim-rproc.0/remoteproc/remoteproc0/rproc-virtio.0.auto/virtio0/virtio0.rpmsg_ns.53.53"))
        #expect(s.read("\(ns)/src") == "0x35\n")
        #expect(s.read("\(ns)/driver_override") == "rpmsg_ns\n")
        #expect(s.read("sys/bus/rpmsg/devices/virtio0.rpmsg_ctrl.0.0/driver_override") == "rpmsg_ctrl\n")
        s.advance(ms: 20)
        #expect(s.logged("virtio_rpmsg_bus virtio0: creating channel rpmsg-raw addr 0x400"))
        #expect(s.logged("virtio_rpmsg_bus virtio0: creating channel echo addr 0x1e"))
        let raw = "sys/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1024"
        #expect(s.read("\(raw)/name") == "rpmsg-raw\n")
        #expect(s.read("\(raw)/src") == "0x400\n")
        #expect(s.read("\(raw)/dst") == "0x400\n")
        #expect(s.read("\(raw)/announce") == "false\n")
        #expect(s.read("\(raw)/modalias") == "rpmsg:rpmsg-raw\n")
        let echo = "sys/bus/rpmsg/devices/virtio0.echo.-1.30"
        #expect(s.read("\(echo)/src") == "0xffffffff\n")
        #expect(s.read("\(echo)/driver_override") == "(null)\n")
        #expect(s.write("\(echo)/driver_override", "rpmsg_chrdev\nx") == .success(14))
        #expect(s.read("\(echo)/driver_override") == "rpmsg_chrdev\n")
        #expect(s.write("\(echo)/driver_override", "\n") == .success(1))
        #expect(s.read("\(echo)/driver_override") == "(null)\n")
        #expect(s.write("\(echo)/driver_override", String(repeating: "x", count: 4095)).errno == .EINVAL)
        #expect(s.kernel.openCheck(s.resolve("\(echo)/name"), forWriting: true).map { 0 } == .failure(.EACCES))
        s.write("\(Sim.rproc0)/state", "stop")
        #expect(s.list("sys/bus/rpmsg/devices").isEmpty)
        #expect(!s.exists("\(Sim.rproc0)/rproc-virtio.0.auto"))
    }

    @Test func noNameServiceFeatureMeansNoNsDeviceAndNoChannels() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries[2] = .vdev(id: 7, dfeatures: 0, vrings: [.init(), .init()])
        let s = Sim(processors: [standardProcessor { $0.rpmsgChannels = [RpmsgChannelDescription(name: "a", address: 1)] }],
                    files: ["/lib/firmware/m4.elf": b.build()])
        s.write("\(Sim.rproc0)/state", "start")
        s.settle()
        #expect(s.list("sys/bus/rpmsg/devices") == ["virtio0.rpmsg_ctrl.0.0"])
    }

    @Test func neverAnnouncingRemoteCreatesNoChannel() {
        let s = Sim(processors: [standardProcessor {
            $0.rpmsgChannels = [RpmsgChannelDescription(name: "a", address: 1)]
            $0.announce = .never
        }])
        s.write("\(Sim.rproc0)/state", "start")
        s.settle(ms: 10_000)
        #expect(s.list("sys/bus/rpmsg/devices").count == 2)
        #expect(s.read(".sim/remoteproc0/announce_delay_ms") == "never\n")
    }

    @Test func channelsComeBackAfterRecoveryWithTheSameVirtioIndex() {
        let s = Sim(processors: [standardProcessor { $0.rpmsgChannels = [RpmsgChannelDescription(name: "a", address: 1)] }])
        s.write("\(Sim.rproc0)/state", "start")
        s.settle()
        #expect(s.exists("sys/bus/rpmsg/devices/virtio0.a.-1.1"))
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.exists("sys/bus/rpmsg/devices/virtio0.a.-1.1"))
        #expect(s.log.filter { $0.hasSuffix("rpmsg host is online") }.count == 2)
    }

    @Test func virtioIndexIsGlobalAcrossProcessors() {
        var second = standardProcessor()
        second.name = "dsp"
        second.parent = "sim-rproc.1"
        let s = Sim(processors: [standardProcessor(), second]) { $0.firstVirtioIndex = 3 }
        s.write("\(Sim.rproc0)/state", "start")
        s.write("sys/class/remoteproc/remoteproc1/state", "start")
        #expect(s.list("sys/bus/rpmsg/devices") == [
            "virtio3.rpmsg_ctrl.0.0", "virtio3.rpmsg_ns.53.53", "virtio4.rpmsg_ctrl.0.0", "virtio4.rpmsg_ns.53.53",
        ])
        #expect(s.exists("sys/class/remoteproc/remoteproc1/rproc-virtio.1.auto/virtio4"))
    }

    @Test func kmsgRecordFormat() {
        let s = Sim()
        s.advance(ms: 1500)
        s.write("\(Sim.rproc0)/state", "bogus\n")
        let seq = s.kernel.kmsgNextSequence - 1
        let record = s.kernel.kmsgRecord(atOrAfter: seq).map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(record == "3,\(seq),1500000,-;remoteproc remoteproc0: Unrecognised option: bogus\\x0a\n SUBSYSTEM=remoteproc\n DEVICE=+remoteproc:remoteproc0\n")
        #expect(s.kernel.kmsgRecord(atOrAfter: seq + 1) == nil)
        #expect(s.write("dev/kmsg", "<4>hello\n") == .success(9))
        let user = s.kernel.kmsgRecord(atOrAfter: seq + 1).map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(user == "12,\(seq + 1),1500000,-;hello\n")
    }

    @Test func kmsgRingKeepsTheNewestRecords() {
        let s = Sim()
        for _ in 0..<20_000 { s.kernel.log.append(.info, nil, "x", at: s.now) }
        let oldest = s.kernel.kmsgRecord(atOrAfter: 0)
        #expect(oldest?.sequence == s.kernel.kmsgNextSequence - UInt64(KernelLog.capacity))
        #expect(KernelLog.capacity >= 10_000)
    }

    @Test func knobsReadAndRejectBadValues() {
        let s = Sim()
        #expect(s.read(".sim/remoteproc0/start_delay_ms") == "0\n")
        #expect(s.write(".sim/remoteproc0/start_delay_ms", "25\n") == .success(3))
        #expect(s.read(".sim/remoteproc0/start_delay_ms") == "25\n")
        #expect(s.write(".sim/remoteproc0/start_delay_ms", "-1").errno == .EINVAL)
        #expect(s.write(".sim/remoteproc0/fail_next_stop", "x").errno == .EINVAL)
        #expect(s.read(".sim/remoteproc0/crash_after_ms") == "0\n")
        #expect(s.list(".sim/remoteproc0") == Knob.table.map(\.1))
    }
}

@Suite struct PermissionTests {
    @Test func debugfsLeavesPermissionToTheVFSAndAnswersEINVAL() {
        let s = Sim()
        #expect(s.kernel.stat("sys/kernel/debug") == .success(.directory(mode: 0o700)))
        #expect(s.kernel.openCheck("\(Sim.debug0)/name", forWriting: true).map { 0 } == .success(0))
        #expect(s.write("\(Sim.debug0)/name", "x").errno == .EINVAL)
        #expect(s.kernel.openCheck("\(Sim.debug0)/crash", forWriting: false).map { 0 } == .success(0))
        #expect(s.readResult("\(Sim.debug0)/crash") == .failure(.EINVAL))
        #expect(s.kernel.openCheck("proc/sys/kernel/osrelease", forWriting: true).map { 0 } == .failure(.EACCES))
    }
}

/// CONFIG_REMOTEPROC_CDEV (§5): `dev/remoteprocN` writes.
@Suite struct CharacterDeviceTests {
    func board() -> Sim { Sim(configure: { $0.remoteprocCdev = true; $0.cdevMajor = 241 }) }

    @Test func nodeDevAttributeUeventAndKmsgDevice() {
        let s = board()
        #expect(s.kernel.stat("dev/remoteproc0") == .success(.characterDevice(mode: 0o600)))
        #expect(s.read("\(Sim.rproc0)/dev") == "241:0\n")
        #expect(s.read("\(Sim.rproc0)/uevent") == "MAJOR=241\nMINOR=0\nDEVNAME=remoteproc0\nDEVTYPE=remoteproc\n")
        #expect(s.readResult("dev/remoteproc0") == .failure(.EINVAL))
        let first = s.kernel.kmsgRecord(atOrAfter: 0).map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(first?.hasSuffix(" SUBSYSTEM=remoteproc\n DEVICE=c241:0\n") == true)
        #expect(!Sim().exists("dev/remoteproc0"))
    }

    @Test func writesAcceptPrefixesAndNoNewline() {
        let s = board()
        #expect(s.write("dev/remoteproc0", "start\n").errno == .EINVAL)
        #expect(s.logged("remoteproc remoteproc0: Unrecognized option"))
        #expect(s.write("dev/remoteproc0", "").errno == .EINVAL)
        #expect(s.write("dev/remoteproc0", "startstart!").errno == .EINVAL)
        #expect(s.write("dev/remoteproc0", "s") == .success(1))
        #expect(s.state == "running\n")
        #expect(s.write("dev/remoteproc0", "sto") == .success(3))
        #expect(s.state == "offline\n")
        #expect(s.write("dev/remoteproc0", "d").errno == .EINVAL)
        s.firmware.files = [:]
        #expect(s.write("dev/remoteproc0", "start").errno == .ENOENT)
        #expect(!s.logged("Boot failed: -2"))
    }
}

@Suite struct ResourceOrderTests {
    @Test func entriesBeforeAFailingOneAreHandledFirst() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries = [
            .vdev(id: 7, vrings: [.init(count: 0), .init()]),
            .carveout(da: 0x1000_0000, length: 0x1000, name: "a"),
            .carveout(da: 0x1000_0000, length: 0x1000, name: "a"),
            .trace(da: 0x1000_9000, length: 0x100, reserved: 1, name: "t"),
        ]
        let s = Sim(files: ["/lib/firmware/m4.elf": b.build()])
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENOMEM)
        let log = s.log
        let probe = log.firstIndex { $0.hasSuffix("probe of rproc-virtio.0.auto failed with error -22") }
        let clash = log.firstIndex { $0.hasSuffix("Carveout already associated to resource table") }
        #expect(probe != nil && clash != nil && probe! < clash!)
        #expect(s.logged("Failed to process resources: -12"))
        #expect(!s.logged("trace rsc has non zero reserved bytes"))
        #expect(!s.exists("\(Sim.rproc0)/rproc-virtio.0.auto"))
    }
}
