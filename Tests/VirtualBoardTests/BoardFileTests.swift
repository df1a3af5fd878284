// Board files: every key reaches the description; problems are warnings with file:line.

import KernelSim
import RprocFirmware
import RprocTestSupport
import Testing
@testable import VirtualBoard

struct BoardFileTests {
    @Test func everyProcessorKeyIsApplied() {
        let text = """
            [Board]
            Kernel=6.1
            Flavour=CLASSIC
            OSRelease=6.1.0-test
            FirmwareDirectory=fw
            FirmwareClassPath=/opt/fw
            DevcoredumpTimeout=2s
            DeletionWindow=20
            FirstVirtioIndex=3
            RemoteprocCdev=yes
            CdevMajor=240
            DMABase=0x80000000
            DMAPoolSize=16M

            [Processor]
            Name=m4
            Parent=soc/m4
            Driver=stm32-rproc
            State=detached
            Firmware=m4.elf
            ReadOnly=yes
            AutoBoot=no
            AutoBootDelay=5ms
            Memory=0x0:64K 0x10000000:1M
            IOMMU=yes
            DumpSegments=yes
            CoredumpElf=64:40
            AttachOnRecovery=yes
            Detach=no
            PreloadedFirmware=boot.elf
            Trace=hello
            RpmsgChannel=rpmsg-tty@0x400 rpmsg-raw@1025
            AnnounceDelay=never
            StartDelay=1.5s
            StopDelay=250
            FailNextStart=2
            FailNextStop=3
            CrashAfter=1min

            [Template]
            Name=spare
            Parent=sim.9
            """
        let file = BoardFile.parse(text, file: "/etc/boards/test.conf")
        #expect(file.warnings.isEmpty)
        #expect(file.firmwareDirectory == "/etc/boards/fw")
        let board = file.board
        #expect(board.kernelLine == .v6_1 && board.flavour == .classic && board.osrelease == "6.1.0-test")
        #expect(board.firmwareClassPath == "/opt/fw" && board.devcoredumpTimeoutMs == 2000 && board.deletionWindowMs == 20)
        #expect(board.firstVirtioIndex == 3 && board.remoteprocCdev && board.cdevMajor == 240)
        #expect(board.dmaBase == 0x8000_0000 && board.dmaPoolSize == 16 << 20)
        #expect(board.processors.count == 1 && board.templates.map(\.name) == ["spare"])
        let p = board.processors[0]
        #expect(p.name == "m4" && p.parent == "soc/m4" && p.driverName == "stm32-rproc")
        #expect(p.initialState == .detached && p.firmware == "m4.elf" && p.sysfsReadOnly && !p.autoBoot)
        #expect(p.autoBootDelayMs == 5)
        #expect(p.memory == [
            KernelSim.MemoryWindow(deviceAddress: 0, length: 64 << 10),
            KernelSim.MemoryWindow(deviceAddress: 0x1000_0000, length: 1 << 20),
        ])
        #expect(p.hasIOMMU && p.dumpLoadedSegments && p.coredumpElf == CoredumpElfInfo(elfClass: 2, machine: 40))
        #expect(p.attachOnRecovery && !p.hasDetach && p.preloadedFirmware == "boot.elf" && p.traceText == "hello")
        #expect(p.rpmsgChannels == [
            RpmsgChannelDescription(name: "rpmsg-tty", address: 0x400),
            RpmsgChannelDescription(name: "rpmsg-raw", address: 1025),
        ])
        #expect(p.announce == .never)
        #expect(p.faults.startDelayMs == 1500 && p.faults.stopDelayMs == 250)
        #expect(p.faults.failNextStart == 2 && p.faults.failNextStop == 3 && p.faults.crashAfterMs == 60_000)
    }

    @Test func problemsAreWarningsWithFileAndLine() {
        let text = """
            [Board]
            Kernel=7.0
            Colour=blue
            [Processor]
            Name=m4
            Parent=sim.0
            AutoBoot=perhaps
            StartDelay=soon
            RpmsgChannel=nochannel
            [Processor]
            Name=orphan
            [Gadget]
            """
        let file = BoardFile.parse(text, file: "b.conf")
        #expect(file.warnings.map(\.description) == [
            "b.conf:2: Invalid kernel line '7.0' for Kernel=, ignoring",
            "b.conf:3: Unknown key 'Colour' in section [Board], ignoring",
            "b.conf:7: Invalid boolean 'perhaps' for AutoBoot=, ignoring",
            "b.conf:8: Invalid time span 'soon' for StartDelay=, ignoring",
            "b.conf:9: Invalid rpmsg channel 'nochannel' (want NAME@ADDRESS) for RpmsgChannel=, ignoring",
            "b.conf:10: Processor section without Name= or Parent=, ignoring",
            "b.conf:12: Unknown section 'Gadget', ignoring",
        ])
        #expect(file.board.processors.map(\.name) == ["m4"])
        #expect(file.board.processors[0].autoBoot)  // the bad value left the default
        #expect(file.board.kernelLine == .v6_12)
    }

    @Test(arguments: ["lab", "stm32mp157", "stm32mp157-bootloader", "am64x"])
    func shippedBoardsParseCleanly(name: String) throws {
        let file = try BoardFile.load(path: MountedBoard.boardFile(name))
        #expect(file.warnings.isEmpty, "\(file.warnings)")
        #expect(!file.board.processors.isEmpty)
    }

    @Test func labHasTheDocumentedProcessors() throws {
        let board = try BoardFile.load(path: MountedBoard.boardFile("lab")).board
        #expect(board.processors.prefix(3).map(\.name) == ["m4", "r5f", "bootcore"])
        #expect(board.processors[0].initialState == .offline && board.processors[1].initialState == .offline)
        #expect(board.processors[0].memory == [KernelSim.MemoryWindow(deviceAddress: 0x1000_0000, length: 1 << 20)])
        #expect(board.processors[0].dumpLoadedSegments && board.processors[1].dumpLoadedSegments)
        let boot = board.processors[2]
        #expect(boot.initialState == .detached && boot.hasDetach && boot.attachOnRecovery)
        #expect(board.processors.contains { $0.sysfsReadOnly })
        #expect(board.processors.contains { $0.faults.startDelayMs > 0 })
        #expect(board.processors.contains { $0.faults.failNextStart > 0 })
        #expect(board.processors.contains { $0.autoBoot })
    }
}
