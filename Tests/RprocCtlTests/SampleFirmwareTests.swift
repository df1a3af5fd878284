import Foundation
import Testing

/// make-sample-firmware, the README's first command: it writes the tests' sample image.
@Suite struct SampleFirmwareTests {
    static var tool: URL? {
        guard let rprocctl = Rprocctl.binary else { return nil }
        return rprocctl.deletingLastPathComponent().appendingPathComponent("make-sample-firmware")
    }

    @Test func writesTheSampleAndRprocctlBootsIt() throws {
        let tool = try #require(Self.tool)
        let directory = try TemporaryDirectory()
        let made = try Rprocctl.run(executable: tool, ["sample.elf"], in: directory.url, environment: [:])
        #expect(made.status == 0)
        #expect(try [UInt8](Data(contentsOf: directory.url.appendingPathComponent("sample.elf"))) == Images.sample)
        #expect(try Rprocctl.run("validate", "sample.elf", in: directory.url).status == 0)
    }

    @Test func sizeGrowsTheCodeSegment() throws {
        let tool = try #require(Self.tool)
        let directory = try TemporaryDirectory()
        #expect(try Rprocctl.run(executable: tool, ["--size", "1M", "big.elf"], in: directory.url, environment: [:]).status == 0)
        let size = try FileManager.default.attributesOfItem(atPath: directory.url.appendingPathComponent("big.elf").path)[.size] as? Int
        #expect((size ?? 0) >= 1 << 20)
        #expect(try Rprocctl.run("validate", "big.elf", in: directory.url).status == 0)
    }

    @Test func usageErrorsExit2() throws {
        let tool = try #require(Self.tool)
        for arguments in [[], ["--size"], ["--size", "lots", "x.elf"], ["a.elf", "b.elf"], ["--bogus"]] {
            let result = try Rprocctl.run(executable: tool, arguments, in: nil, environment: [:])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.hasPrefix("make-sample-firmware: "))
        }
    }
}
