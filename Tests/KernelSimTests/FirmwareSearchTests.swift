import RprocFirmware
import Testing

@testable import KernelSim

/// request_firmware's search (§6.1).
@Suite struct FirmwareSearchTests {
    @Test func searchOrderIsParameterThenUpdatesThenReleaseThenRoot() {
        let s = Sim(configure: { $0.firmwareClassPath = "/opt/fw" }, files: [:])
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENOENT)
        #expect(s.firmware.reads == [
            "/opt/fw/m4.elf", "/lib/firmware/updates/6.1.0-test/m4.elf", "/lib/firmware/updates/m4.elf",
            "/lib/firmware/6.1.0-test/m4.elf", "/lib/firmware/m4.elf",
        ])
    }

    @Test func firstFoundFileWins() {
        let s = Sim(files: ["/lib/firmware/updates/m4.elf": standardImage, "/lib/firmware/m4.elf": [1, 2, 3]])
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.firmware.reads == ["/lib/firmware/updates/6.1.0-test/m4.elf", "/lib/firmware/updates/m4.elf"])
    }

    @Test func missingFileLogsOn61AsErrorWithTheDebianHint() {
        let s = Sim(line: .v6_1, files: [:])
        s.write("\(Sim.rproc0)/state", "start")
        let log = s.log
        #expect(log.contains("remoteproc remoteproc0: Direct firmware load for m4.elf failed with error -2"))
        #expect(log.contains("remoteproc remoteproc0: firmware: failed to load m4.elf (-2)"))
        #expect(log.contains { $0.contains("wiki.debian.org/Firmware") })
        #expect(log.contains("remoteproc remoteproc0: request_firmware failed: -2"))
        #expect(log.contains("remoteproc remoteproc0: Boot failed: -2"))
        let record = s.kernel.kmsgRecord(atOrAfter: 0).map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(record?.hasPrefix("6,0,") == true)
        let failed = (0..<s.kernel.kmsgNextSequence).compactMap { s.kernel.kmsgRecord(atOrAfter: $0) }
            .map { String(decoding: $0.bytes, as: UTF8.self) }.first { $0.contains("firmware: failed to load") }
        #expect(failed?.hasPrefix("3,") == true)
    }

    @Test func missingFileLogsOn612AtInfoWithoutHint() {
        let s = Sim(line: .v6_12, files: [:])
        s.write("\(Sim.rproc0)/state", "start")
        let failed = (0..<s.kernel.kmsgNextSequence).compactMap { s.kernel.kmsgRecord(atOrAfter: $0) }
            .map { String(decoding: $0.bytes, as: UTF8.self) }.first { $0.contains("firmware: failed to load") }
        #expect(failed?.hasPrefix("6,") == true)
        #expect(!s.log.contains { $0.contains("wiki.debian.org") })
    }

    @Test func firmwareClassPathTrailingNewlineQuirk61() {
        let s = Sim(line: .v6_1, files: ["/x/m4.elf": standardImage])
        #expect(s.write("sys/module/firmware_class/parameters/path", "/x\n") == .success(3))
        #expect(s.read("sys/module/firmware_class/parameters/path") == "/x\n\n")
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENOENT)
        #expect(s.firmware.reads.first == "/x\n/m4.elf")
    }

    @Test func firmwareClassPathTrailingNewlineStripped612() {
        let s = Sim(line: .v6_12, files: ["/x/m4.elf": standardImage])
        s.write("sys/module/firmware_class/parameters/path", "/x\n")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
        #expect(s.firmware.reads.first == "/x/m4.elf")
    }

    @Test func firmwareClassPathIsChar256() {
        let s = Sim()
        #expect(s.write("sys/module/firmware_class/parameters/path", String(repeating: "a", count: 256)).errno == .ENOSPC)
        #expect(s.write("sys/module/firmware_class/parameters/path", String(repeating: "a", count: 255)) == .success(255))
        #expect(s.kernel.stat("sys/module/firmware_class/parameters/path") == .success(.file(mode: 0o644, size: 4096)))
    }

    @Test(arguments: ["..", "../m4.elf", "a/../m4.elf", "a/.."])
    func dotDotComponentIsRefusedByTheLoader(_ name: String) {
        let s = Sim()
        #expect(s.write("\(Sim.rproc0)/firmware", name) == .success(name.utf8.count))
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EINVAL)
        #expect(s.logged("remoteproc remoteproc0: Firmware load for '\(name)' refused, path contains '..' component"))
        #expect(s.firmware.reads.isEmpty)
    }

    @Test func dotsThatAreNotAComponentAreSearched() {
        let s = Sim(files: ["/lib/firmware/a..b/m4.elf": standardImage])
        s.write("\(Sim.rproc0)/firmware", "a..b/m4.elf")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
    }

    @Test func emptyFileInTheLastDirectoryIsEINVAL() {
        let s = Sim(files: [:])
        s.firmware.files["/lib/firmware/m4.elf"] = .failure(.EINVAL)
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EINVAL)
        #expect(s.logged("loading /lib/firmware/m4.elf failed with error -22"))
    }

    @Test func emptyFileInAnEarlierDirectoryGivesTheLastDirectorysENOENT() {
        let s = Sim(files: [:])
        s.firmware.files["/lib/firmware/updates/m4.elf"] = .failure(.EINVAL)
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .ENOENT)
    }

    @Test func leadingSlashIsNotAbsolute() {
        let s = Sim(files: ["/lib/firmware//m4.elf": standardImage])
        s.write("\(Sim.rproc0)/firmware", "/m4.elf")
        #expect(s.write("\(Sim.rproc0)/state", "start") == .success(5))
    }

    @Test func sanityFailureIsLoggedByTheFirmwareModule() {
        let s = Sim(files: ["/lib/firmware/m4.elf": [UInt8](repeating: 0, count: 10)])
        #expect(s.write("\(Sim.rproc0)/state", "start").errno == .EINVAL)
        #expect(s.logged("remoteproc remoteproc0: Image is too small"))
        #expect(s.logged("Boot failed: -22"))
    }
}
