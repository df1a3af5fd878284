import RprocFirmware
import RprocTestSupport
import Testing

@testable import KernelSim

/// The surprises of §9 that concern the files this model shows, one test each, named after them.
@Suite struct SurprisesTests {
    @Test func surprise01_startOnRunningSucceedsAndOneStopKeepsItRunning() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.write("\(Sim.rproc0)/state", "stop") == .success(4))
        #expect(s.state == "running\n")
    }

    @Test func surprise02_autoBootPlusDaemonStartDoublesTheRefcount() {
        let s = Sim(processors: [standardProcessor { $0.autoBoot = true }])
        s.settle()
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.power == 2)
        s.write("\(Sim.rproc0)/state", "stop")
        #expect(s.state == "running\n")
    }

    @Test func surprise04_startDuringRecoveryBlocksThenBumpsPowerToTwo() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        s.write(".sim/remoteproc0/start_delay_ms", "30")
        s.write("\(Sim.debug0)/crash", "1")
        s.advance(ms: 1)
        #expect(s.state == "offline\n")
        guard case .pending(let t) = s.submit("\(Sim.rproc0)/state", "start") else {
            Issue.record("start must block behind recovery")
            return
        }
        #expect(s.wait(t) == .success(5))
        #expect(s.state == "running\n")
        #expect(s.power == 2)
    }

    @Test func surprise05_failedRecoveryLeavesOfflineWithPowerOne() {
        let s = Sim()
        s.write("\(Sim.rproc0)/state", "start")
        s.write(".sim/remoteproc0/fail_next_start", "1")
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.state == "offline\n")
        #expect(s.power == 1)
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.state == "offline\n")
        #expect(s.write("\(Sim.rproc0)/state", "stop").errno == .EINVAL)
    }

    @Test func surprise06_recoveryDisabledKeepsRpmsgDevicesAfterACrash() {
        let s = Sim()
        s.startAndCrash(type: 2, recovery: false)
        #expect(s.state == "crashed\n")
        #expect(s.list("sys/bus/rpmsg/devices") == ["virtio0.rpmsg_ctrl.0.0", "virtio0.rpmsg_ns.53.53"])
    }

    @Test(arguments: allFlavours)
    func surprise07_stopWhileCrashedDependsOnTheFlavour(_ f: KernelFlavour) {
        let s = Sim(flavour: f)
        s.startAndCrash(type: 1, recovery: false)
        let r = s.write("\(Sim.rproc0)/state", "stop")
        #expect(f == .classic ? r.errno == .EINVAL : r == .success(4))
        #expect(s.state == (f == .classic ? "crashed\n" : "offline\n"))
        #expect(s.kernel.stateString(.deleted) == (f == .classic ? "deleted" : "invalid"))
    }

    @Test func surprise08_firmwareIsOnlyChangeableOffline() {
        let s = Sim(processors: [standardProcessor { $0.initialState = .detached }])
        #expect(s.write("\(Sim.rproc0)/firmware", "a.elf").errno == .EBUSY)
        #expect(s.read("\(Sim.rproc0)/firmware") == "m4.elf\n")
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.read("\(Sim.rproc0)/firmware") == "unknown\n")
    }

    @Test func surprise09_missingResourceTableFailsWithEINVALAndNoExplanation() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable = nil
        let s = Sim(files: ["/lib/firmware/m4.elf": b.build()])
        let before = s.log.count
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EINVAL)
        let prefix = "remoteproc remoteproc0: "
        #expect(s.log.dropFirst(before).map { String($0.dropFirst(prefix.count)) }
            == [
                "powering up m4", "firmware: direct-loading firmware m4.elf",  // Debian 6.1's dev_info
                "Booting fw image m4.elf, size \(b.build().count)", "Boot failed: -22",
            ])
    }

    @Test func surprise10_missingGivesENOENTAndABusyFileETXTBSY() {
        let s = Sim(files: [:])
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENOENT)
        s.firmware.files["/lib/firmware/m4.elf"] = .failure(.ETXTBSY)
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ETXTBSY)
    }

    @Test func surprise11_namesAreRelativeAndDotDotIsRefusedByTheLoader() {
        let s = Sim(files: ["/lib/firmware//abs.elf": standardImage])
        #expect(s.write("\(Sim.rproc0)/firmware", "../m4.elf") == .success(9))
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EINVAL)
        s.write("\(Sim.rproc0)/firmware", "/abs.elf")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
    }

    @Test func surprise12_coredumpNeedsSegmentsAndARecovery() {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/coredump", "default").errno == .EINVAL)
        s.write("\(Sim.rproc0)/coredump", "enabled")
        s.write("\(Sim.rproc0)/state", "start")
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.list("sys/class/devcoredump") == ["disabled"])
        let t = Sim(processors: [CoredumpTests.dumping()])
        t.write("\(Sim.rproc0)/coredump", "enabled")
        t.write("\(Sim.rproc0)/state", "start")
        t.write("\(Sim.rproc0)/state", "stop")
        #expect(t.list("sys/class/devcoredump") == ["disabled"])
    }

    @Test func surprise13_inlineDumpIsReleasedByWritingNotByReading() {
        let s = Sim(processors: [CoredumpTests.dumping()])
        s.write("\(Sim.rproc0)/coredump", "inline")
        s.write("\(Sim.rproc0)/state", "start")
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        let data = s.resolve("sys/class/devcoredump/devcd1/data")
        var offset: UInt64 = 0
        while case .success(let b)? = s.kernel.readRange(data, offset: offset, count: 4096, now: s.now), !b.isEmpty {
            offset += UInt64(b.count)
        }
        #expect(s.kernel.readRange(data, offset: offset, count: 4096, now: s.now).map { try? $0.get() } == [])
        guard case .pending(let fw) = s.submit("\(Sim.rproc0)/firmware", "x.elf") else {
            Issue.record("firmware write must block while the inline dump holds the lock")
            return
        }
        s.settle(ms: 1000)
        #expect(s.kernel.result(of: fw) == nil)
        s.write(data, "0")
        #expect(s.wait(fw).errno == .EBUSY)
    }

    @Test func surprise14_anUnconsumedDumpMakesTheNextOneVanish() {
        let s = Sim(processors: [CoredumpTests.dumping()])
        s.write("\(Sim.rproc0)/coredump", "enabled")
        s.write("\(Sim.rproc0)/state", "start")
        for _ in 0..<3 {
            s.write("\(Sim.debug0)/crash", "1")
            s.settle()
        }
        #expect(s.list("sys/class/devcoredump") == ["disabled", "devcd1"])
    }

    @Test func surprise15_sysfsToleratesOneNewlineDebugfsAcceptsPrefixes() {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/recovery", "disabled\n") == .success(9))
        #expect(s.write("\(Sim.rproc0)/recovery", "disabled\n\n").errno == .EINVAL)
        #expect(s.write("\(Sim.rproc0)/recovery", "dis").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/recovery", "dis") == .success(3))
        #expect(s.write("\(Sim.debug0)/recovery", "dis\n").errno == .EINVAL)
    }

    @Test func surprise16_splitWritesSplitCommands() {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/state", "st").errno == .EINVAL)
        #expect(s.write("\(Sim.rproc0)/state", "art").errno == .EINVAL)
        #expect(s.state == "offline\n")
    }

    @Test func surprise18_numbersDependOnAllocationOrder() {
        var second = standardProcessor()
        second.name = "dsp"
        second.parent = "sim-rproc.1"
        let s = Sim(processors: [standardProcessor(), second])
        s.write("sys/class/remoteproc/remoteproc1/state", "start")
        s.write("\(Sim.rproc0)/state", "start")
        #expect(s.exists("sys/class/remoteproc/remoteproc1/rproc-virtio.0.auto/virtio0"))
        #expect(s.exists("\(Sim.rproc0)/rproc-virtio.1.auto/virtio1"))
    }

    @Test func surprise19_rpmsgBusAttributesAreHexNamesEmbedMinusOne() {
        let s = Sim(processors: [standardProcessor { $0.rpmsgChannels = [RpmsgChannelDescription(name: "echo", address: 0xffff_fffe)] }])
        s.write("\(Sim.rproc0)/state", "start")
        s.settle()
        #expect(s.read("sys/bus/rpmsg/devices/virtio0.echo.-1.-2/dst") == "0xfffffffe\n")
        #expect(s.read("sys/bus/rpmsg/devices/virtio0.echo.-1.-2/src") == "0xffffffff\n")
    }

    @Test func surprise20_devmemWithoutIOMMUFailsTheBootSilently() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries.append(.devmem(da: 0x2000_0000, pa: 0x2000_0000, length: 0x1000))
        let s = Sim(files: ["/lib/firmware/m4.elf": b.build()])
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EINVAL)
        #expect(s.logged("Failed to process resources: -22"))
        #expect(!s.exists("\(Sim.debug0)/trace0"))
        let t = Sim(processors: [standardProcessor { $0.hasIOMMU = true }], files: ["/lib/firmware/m4.elf": b.build()])
        #expect(t.write("\(Sim.rproc0)/state", "start") == .success(5))
    }

    @Test func surprise20_tooManyVringsFailsTheBoot() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries[2] = .vdev(id: 7, vrings: [.init(), .init(), .init()])
        let s = Sim(files: ["/lib/firmware/m4.elf": b.build()])
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EINVAL)
        #expect(s.logged("too many vrings: 3"))
    }

    @Test func surprise20_emptyVringDoesNotFailTheBootButGivesNoVirtio() {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries[2] = .vdev(id: 7, vrings: [.init(count: 0), .init()])
        let s = Sim(files: ["/lib/firmware/m4.elf": b.build()])
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.logged("remoteproc remoteproc0: invalid qsz (0) or alignment (16)"))
        #expect(s.logged("rproc-virtio: probe of rproc-virtio.0.auto failed with error -22"))
        #expect(s.exists("\(Sim.rproc0)/rproc-virtio.0.auto"))
        #expect(!s.exists("\(Sim.rproc0)/rproc-virtio.0.auto/virtio0"))
        #expect(s.list("sys/bus/rpmsg/devices").isEmpty)
    }

    @Test(arguments: allFlavours)
    func surprise20_entryOffsetBelow16IsTruncatedOnlyOnNew(_ f: KernelFlavour) {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries = [.trace(da: 0x1000_9000, length: 16, name: "t")]
        b.resourceTable?.offsetsOverride = [8]
        let s = Sim(flavour: f, files: ["/lib/firmware/m4.elf": b.build()])
        let r = s.write("\(Sim.rproc0)/state", "start")
        #expect(r.errno == .EINVAL)
        if f == .classic {
            // CLASSIC reads the table header as an entry: type = reserved[0] = 0, a carveout whose
            // reserved word is the trace entry's length.
            #expect(!s.logged("rsc table is truncated"))
            #expect(s.logged("carveout rsc has non zero reserved bytes"))
        } else {
            #expect(s.logged("rsc table is truncated"))
        }
    }

    @Test func surprise22_readOnlyFilesFailAtOpenWithEACCES() {
        let s = Sim(processors: [standardProcessor { $0.sysfsReadOnly = true }])
        #expect(s.kernel.openCheck("\(Sim.dev0)/state", forWriting: true).map { 0 } == .failure(.EACCES))
        #expect(s.kernel.openCheck("\(Sim.dev0)/name", forWriting: true).map { 0 } == .failure(.EACCES))
        #expect(Sim().kernel.openCheck("\(Sim.dev0)/name", forWriting: true).map { 0 } == .failure(.EACCES))
    }
}

/// CLASSIC's `rproc_handle_resources` keeps `ret` from the last handler: an ignored vendor entry at
/// the end makes it return 1, so the boot fails and the `state` write returns 1 (found by
/// RprocFirmware's KernelLoader; not in the contract's tables).
@Suite struct ClassicQuirkTests {
    @Test(arguments: allFlavours)
    func trailingIgnoredVendorEntry(_ f: KernelFlavour) {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries.append(.raw(type: 130, payload: [0, 0, 0, 0]))
        let s = Sim(flavour: f, files: ["/lib/firmware/m4.elf": b.build()])
        let r = s.write("\(Sim.rproc0)/state", "start")
        if f == .classic {
            #expect(r == .success(1))
            #expect(s.logged("Boot failed: 1"))
            #expect(s.state == "offline\n")
            #expect(s.power == 0)
        } else {
            #expect(r == .success(5))
            #expect(s.state == "running\n")
        }
    }
}
