import RprocFirmware
import RprocTestSupport
import Testing

@testable import KernelSim

/// Registration, auto-boot, auto-attach, add/remove at run time (§2.6, §2.7).
@Suite struct LifecycleTests {
    @Test func autoBootIsAsynchronous() {
        let s = Sim(processors: [standardProcessor { $0.autoBoot = true; $0.autoBootDelayMs = 5 }])
        #expect(s.state == "offline\n")
        #expect(s.logged("remoteproc remoteproc0: m4 is available"))
        s.advance(ms: 5)
        #expect(s.state == "running\n")
        #expect(s.power == 1)
    }

    @Test func autoBootWithMissingFirmwareStaysOfflineWithPowerZero() {
        let s = Sim(processors: [standardProcessor { $0.autoBoot = true }], files: [:])
        s.settle()
        #expect(s.state == "offline\n")
        #expect(s.power == 0)
        #expect(!s.logged("Boot failed: -2"))
        #expect(s.log.filter { $0.hasSuffix("Direct firmware load for m4.elf failed with error -2") }.count == 2)
    }

    @Test(arguments: [KernelFlavour.new, .newPlus])
    func autoAttachIsAsynchronousOnNew(_ f: KernelFlavour) {
        let s = Sim(flavour: f, processors: [standardProcessor { $0.initialState = .detached; $0.autoBoot = true }])
        #expect(s.state == "detached\n")
        s.settle()
        #expect(s.state == "attached\n")
        #expect(s.read("\(Sim.rproc0)/firmware") == "unknown\n")
    }

    @Test func autoAttachIsSynchronousOnClassic() {
        let s = Sim(flavour: .classic, processors: [standardProcessor { $0.initialState = .detached; $0.autoBoot = true }])
        #expect(s.state == "attached\n")
    }

    @Test func failedSynchronousAutoAttachFailsTheProbeOnClassic() {
        let s = Sim(flavour: .classic, processors: [standardProcessor {
            $0.initialState = .detached; $0.autoBoot = true; $0.faults.failNextStart = 1
        }])
        #expect(!s.exists(Sim.rproc0))
        #expect(s.logged("rproc-sim: probe of sim-rproc.0 failed with error -5"))
    }

    @Test func failedAsynchronousAutoAttachLeavesDetachedOnNew() {
        let s = Sim(flavour: .new, processors: [standardProcessor {
            $0.initialState = .detached; $0.autoBoot = true; $0.faults.failNextStart = 1
        }])
        s.settle()
        #expect(s.state == "detached\n")
        #expect(s.power == 0)
    }

    @Test func preloadedFirmwareGivesAttachTheLoadedTable() {
        let s = Sim(processors: [standardProcessor { $0.initialState = .detached; $0.preloadedFirmware = "m4.elf" }])
        #expect(s.read("\(Sim.debug0)/resource_table") == "No resource table found\n")
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.read("\(Sim.debug0)/resource_table").hasPrefix("Entry 0 is of type carveout\n"))
        #expect(s.exists("sys/bus/rpmsg/devices/virtio0.rpmsg_ctrl.0.0"))
        #expect(s.exists("\(Sim.debug0)/trace0"))
        s.write("\(Sim.rproc0)/state", "detach")
        #expect(s.state == "detached\n")
        #expect(!s.exists("sys/bus/rpmsg/devices/virtio0.rpmsg_ctrl.0.0"))
        #expect(s.read("\(Sim.debug0)/resource_table") == "No resource table found\n")
    }

    @Test func addByLineAndByTemplateThenRemove() {
        var template = standardProcessor()
        template.name = "dsp"
        template.parent = "soc/40000000.dsp"
        let s = Sim { $0.templates = [template] }
        let line = "name=r5 parent=soc/ff9a0000.r5f state=detached auto-boot=0\n"
        #expect(s.write(".sim/add", line) == .success(line.utf8.count))
        #expect(s.read("sys/class/remoteproc/remoteproc1/name") == "r5\n")
        #expect(s.kernel.readLink("sys/class/remoteproc/remoteproc1")
            == .success("../../devices/platform/soc/ff9a0000.r5f/remoteproc/remoteproc1"))
        #expect(s.kernel.readLink("sys/devices/platform/soc/ff9a0000.r5f/remoteproc/remoteproc1/device")
            == .success("../../../ff9a0000.r5f"))
        #expect(s.read("sys/class/remoteproc/remoteproc1/state") == "detached\n")
        #expect(s.write(".sim/add", "dsp") == .success(3))
        #expect(s.read("sys/class/remoteproc/remoteproc2/name") == "dsp\n")
        #expect(s.write(".sim/add", "name=x").errno == .EINVAL)
        #expect(s.write(".sim/remove", "remoteproc1\n") == .success(12))
        #expect(s.list("sys/class/remoteproc") == ["remoteproc0", "remoteproc2"])
        #expect(s.write(".sim/remove", "remoteproc1").errno == .ENODEV)
        // The lowest free index is reused.
        s.write(".sim/add", "dsp")
        #expect(s.list("sys/class/remoteproc").sorted() == ["remoteproc0", "remoteproc1", "remoteproc2"])
    }

    @Test func filesOfARemovedProcessorAnswerENODEV() {
        let s = Sim()
        let state = "\(Sim.dev0)/state"
        s.write(".sim/remove", "remoteproc0")
        #expect(s.kernel.read(state, now: s.now) == .failure(.ENODEV))
        #expect(s.kernel.write(state, bytes: Array("start".utf8), now: s.now) == .completed(.failure(.ENODEV)))
        #expect(s.kernel.openCheck(state, forWriting: true).map { _ in 0 } == .failure(.ENOENT))
        #expect(s.kernel.read("\(Sim.debug0)/name", now: s.now) == .failure(.EIO))
    }

    @Test func removalShutsDownOnceOnly() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        s.write("\(Sim.rproc0)/state", "start")
        s.write(".sim/remove", "remoteproc0")
        #expect(!s.logged("stopped remote processor m4"))
    }

    @Test func removalOfARunningProcessorStopsIt() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.write(".sim/remove", "remoteproc0") == .success(11))
        #expect(s.logged("stopped remote processor m4"))
        #expect(s.list("sys/bus/rpmsg/devices").isEmpty)
    }

    @Test func crashDuringDeletionIsIgnoredOnNew() {
        let s = Sim(flavour: .new) { $0.deletionWindowMs = 20 }
        s.write("\(Sim.rproc0)/state", "start")
        _ = s.submit(".sim/remove", "remoteproc0")
        s.write("\(Sim.debug0)/crash", "1")
        #expect(!s.logged("crash detected in m4: type watchdog"))
    }

    @Test func boardLineParserReadsEveryKey() throws {
        let d = try #require(ProcessorDescription(line:
            #"name=m7 parent=soc/m7 driver=imx-rproc state=detached firmware=fw.elf read-only=1 auto-boot=0 memory=0x20000000:0x40000,0x30000000:4096 iommu=1 dump-segments=1 elf=64:183 attach-on-recovery=1 detach=0 preload=boot.elf trace="hi there" channels=rpmsg-raw@0x400,echo@30 announce=never start_delay_ms=5 stop_delay_ms=6 fail_next_start=1 fail_next_stop=2 crash_after_ms=100"#))
        #expect(d.driverName == "imx-rproc")
        #expect(d.initialState == .detached)
        #expect(d.sysfsReadOnly && !d.autoBoot && d.hasIOMMU && d.dumpLoadedSegments && d.attachOnRecovery && !d.hasDetach)
        #expect(d.memory == [MemoryWindow(deviceAddress: 0x2000_0000, length: 0x40000), MemoryWindow(deviceAddress: 0x3000_0000, length: 4096)])
        #expect(d.coredumpElf == CoredumpElfInfo(elfClass: 2, machine: 183))
        #expect(d.traceText == "hi there")
        #expect(d.rpmsgChannels == [RpmsgChannelDescription(name: "rpmsg-raw", address: 0x400), RpmsgChannelDescription(name: "echo", address: 30)])
        #expect(d.announce == .never)
        #expect(d.faults.startDelayMs == 5 && d.faults.stopDelayMs == 6 && d.faults.failNextStart == 1)
        #expect(d.faults.failNextStop == 2 && d.faults.crashAfterMs == 100)
        #expect(ProcessorDescription(line: "name=a parent=b bogus=1") == nil)
        #expect(ProcessorDescription(line: "name=a parent=b trace=\"open") == nil)
    }

    @Test func boardStringTablesRoundTrip() {
        for (v, s) in KernelFlavour.boardTable { #expect(KernelFlavour(boardValue: s) == v && v.boardValue == s) }
        for v in KernelVersionLine.allCases { #expect(KernelLine(boardValue: v.boardValue) == v) }
        for (v, s) in InitialState.table { #expect(InitialState(boardValue: s) == v && v.boardValue == s) }
        for (v, s) in ProcessorStateValue.table { #expect(ProcessorStateValue(sysfsValue: s) == v && v.sysfsValue == s) }
        for (v, s) in Knob.table { #expect(v.fileName == s) }
    }
}
