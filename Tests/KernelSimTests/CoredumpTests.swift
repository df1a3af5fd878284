import RprocFirmware
import Testing

@testable import KernelSim

/// Coredumps (§3.5): modes, the devcoredump device, its lifetime, the ELF core layout.
@Suite struct CoredumpTests {
    static func dumping(_ elfClass: UInt8 = 1) -> ProcessorDescription {
        standardProcessor {
            $0.dumpLoadedSegments = true
            $0.coredumpElf = CoredumpElfInfo(elfClass: elfClass, machine: 40)
            $0.traceText = "hello from m4"
        }
    }

    func crashed(_ s: Sim, mode: String) {
        #expect(s.write("\(Sim.rproc0)/coredump", mode) == .success(mode.utf8.count))
        s.write("\(Sim.rproc0)/state", "start")
        s.write("\(Sim.debug0)/crash", "1")
    }

    func data(_ s: Sim, _ m: Int) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let chunk = s.kernel.readRange(s.resolve("sys/class/devcoredump/devcd\(m)/data"), offset: UInt64(out.count), count: 4096, now: s.now)
            guard case .success(let b)? = chunk, !b.isEmpty else { return out }
            out += b
        }
    }

    @Test func defaultIsDisabledAndNoDumpAppears() {
        let s = Sim(processors: [Self.dumping()])
        #expect(s.read("\(Sim.rproc0)/coredump") == "disabled\n")
        s.write("\(Sim.rproc0)/state", "start")
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.list("sys/class/devcoredump") == ["disabled"])
    }

    @Test(arguments: [UInt8(1), 2])
    func enabledDumpIsAnElfCoreOfTheLoadedSegments(_ elfClass: UInt8) throws {
        let s = Sim(processors: [Self.dumping(elfClass)])
        crashed(s, mode: "enabled")
        s.settle()
        #expect(s.state == "running\n")
        #expect(s.list("sys/class/devcoredump") == ["disabled", "devcd1"])
        #expect(s.kernel.readLink("sys/class/devcoredump/devcd1") == .success("../../devices/virtual/devcoredump/devcd1"))
        #expect(s.kernel.readLink("sys/devices/virtual/devcoredump/devcd1/failing_device")
            == .success("../../../platform/sim-rproc.0/remoteproc/remoteproc0"))
        #expect(s.kernel.readLink("\(Sim.dev0)/devcoredump") == .success("../../../../virtual/devcoredump/devcd1"))
        #expect(s.kernel.stat("sys/devices/virtual/devcoredump/devcd1/data") == .success(.file(mode: 0o600, size: 0)))
        let bytes = data(s, 1)
        let image = try FirmwareImage(parsing: bytes)
        let is64 = elfClass == 2
        #expect(image.header.elfClass == (is64 ? .elf64 : .elf32))
        #expect(image.header.type == .core)
        #expect(image.header.machine == .arm)
        #expect(image.header.entry == 0x1000_0000)
        #expect(image.header.programHeaderOffset == (is64 ? 64 : 52))
        #expect(image.header.sectionHeaderCount == 0)
        #expect(image.header.flags == 0)
        #expect(bytes[5] == 1 && bytes[6] == 1 && bytes[7] == 0)
        let loaded = s.kernel.processors[0].dumpSegments
        #expect(image.programHeaders.count == loaded.count)
        var offset = UInt64((is64 ? 64 : 52) + (is64 ? 56 : 32) * loaded.count)
        for (ph, seg) in zip(image.programHeaders, loaded) {
            #expect(ph.type == .load)
            #expect(ph.offset == offset)
            #expect(ph.virtualAddress == seg.deviceAddress && ph.physicalAddress == seg.deviceAddress)
            #expect(ph.fileSize == UInt64(seg.size) && ph.memorySize == UInt64(seg.size))
            #expect(ph.flags == 7)
            #expect(ph.alignment == 0)
            offset += UInt64(seg.size)
        }
        #expect(bytes.count == Int(offset))
        // The first segment holds the image's code, copied at dump time.
        let code = Array(bytes[Int(image.programHeaders[0].offset)..<Int(image.programHeaders[0].offset) + 4])
        #expect(code == [1, 8, 15, 22])
    }

    @Test func inlineDumpBlocksRecoveryAndWritesUntilDataIsWritten() {
        let s = Sim(processors: [Self.dumping()])
        crashed(s, mode: "inline")
        s.settle()
        #expect(s.state == "offline\n")
        #expect(s.exists("sys/class/devcoredump/devcd1/data"))
        guard case .pending(let start) = s.submit("\(Sim.rproc0)/state", "start") else {
            Issue.record("start must wait for the lock held by recovery")
            return
        }
        let bytes = data(s, 1)
        #expect(bytes.count > 116)
        #expect(s.logged("remoteproc remoteproc0: Ramdump done, \(bytes.count) bytes read"))
        s.settle(ms: 1000)
        #expect(s.kernel.result(of: start) == nil)
        #expect(s.state == "offline\n")
        #expect(s.write("sys/class/devcoredump/devcd1/data", "1") == .success(1))
        #expect(!s.exists("sys/class/devcoredump/devcd1"))
        #expect(s.wait(start) == .success(5))
        #expect(s.state == "running\n")
        #expect(s.power == 2)
    }

    @Test func inlineHeaderReadsAreShort() {
        let s = Sim(processors: [Self.dumping()])
        crashed(s, mode: "inline")
        s.settle()
        let path = "sys/class/devcoredump/devcd1/data"
        let header = 52 + 32 * s.kernel.processors[0].dumpSegments.count
        let first = s.kernel.readRange(s.resolve(path), offset: 10, count: 4096, now: s.now)
        #expect(first.map { (try? $0.get())?.count } == header - 10)
        let segment = s.kernel.readRange(s.resolve(path), offset: UInt64(header), count: 8, now: s.now)
        #expect(segment.map { try? $0.get() } == [1, 8, 15, 22, 29, 36, 43, 50])
    }

    @Test func secondDumpIsDiscardedWhileOneIsPending() {
        let s = Sim(processors: [Self.dumping()])
        crashed(s, mode: "enabled")
        s.settle()
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.kernel.processors[0].crashCount == 2)
        #expect(s.list("sys/class/devcoredump") == ["disabled", "devcd1"])
        s.write("sys/class/devcoredump/devcd1/data", "x")
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.list("sys/class/devcoredump") == ["disabled", "devcd2"])
    }

    @Test func dumpExpiresAfterTheTimeoutAndReleasesInlineRecovery() {
        let s = Sim(processors: [Self.dumping()]) { $0.devcoredumpTimeoutMs = 300_000 }
        crashed(s, mode: "inline")
        let crashTime = s.now
        s.settle()
        s.advance(to: crashTime + 299_999)
        #expect(s.exists("sys/class/devcoredump/devcd1"))
        #expect(s.state == "offline\n")
        s.advance(ms: 1)
        #expect(!s.exists("sys/class/devcoredump/devcd1"))
        #expect(s.state == "running\n")
    }

    @Test func missingElfClassLogsAndGivesNoDump() {
        let s = Sim(processors: [standardProcessor { $0.dumpLoadedSegments = true }])
        crashed(s, mode: "enabled")
        s.settle()
        #expect(s.logged("remoteproc remoteproc0: Elf class is not set"))
        #expect(s.list("sys/class/devcoredump") == ["disabled"])
        let t = Sim(line: .v6_12, processors: [standardProcessor { $0.dumpLoadedSegments = true }])
        crashed(t, mode: "enabled")
        t.settle()
        #expect(t.logged("ELF class is not set"))
    }

    @Test func disabledFileIsWriteOnceAndDeletesPendingDumps() {
        let s = Sim(processors: [Self.dumping()])
        #expect(s.read("sys/class/devcoredump/disabled") == "0\n")
        #expect(s.write("sys/class/devcoredump/disabled", "0").errno == .EINVAL)
        crashed(s, mode: "enabled")
        s.settle()
        #expect(s.write("sys/class/devcoredump/disabled", "1\n") == .success(2))
        #expect(s.read("sys/class/devcoredump/disabled") == "1\n")
        #expect(s.list("sys/class/devcoredump") == ["disabled"])
        s.write("\(Sim.debug0)/crash", "1")
        s.settle()
        #expect(s.list("sys/class/devcoredump") == ["disabled"])
    }

    @Test func coredumpWritesParseAsTheKernelDoes() {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/coredump", "default").errno == .EINVAL)
        #expect(s.logged("Invalid coredump configuration"))
        #expect(s.write("\(Sim.rproc0)/coredump", "inline\n") == .success(7))
        #expect(s.read("\(Sim.debug0)/coredump") == "inline\n")
        #expect(s.write("\(Sim.debug0)/coredump", "e") == .success(1))
        #expect(s.read("\(Sim.rproc0)/coredump") == "enabled\n")
        #expect(s.write("\(Sim.debug0)/coredump", "d\n").errno == .EINVAL)
        #expect(s.write("\(Sim.debug0)/coredump", "disabled\n") == .success(9))
        #expect(s.write("\(Sim.debug0)/coredump", String(repeating: "d", count: 21)).errno == .EINVAL)
    }
}
