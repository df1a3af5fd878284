import Foundation
import RprocJSON
import Testing

/// `rprocctl validate`, run as a process: findings and the 0/1/2 exit codes.
@Suite struct ValidateTests {
    @Test func bootableImageExits0() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.sample, to: "sample.elf")
        let result = try Rprocctl.run("validate", "sample.elf", in: directory.url)
        #expect(result.status == 0)
        #expect(result.stdout == "0 findings listed.\nOK: 6.1, 6.12 would boot 'sample.elf'.\n")
        let json = try JSONValue(parsing: try Rprocctl.run("validate", "--json", "sample.elf", in: directory.url).stdout)
        #expect(json["bootable"] == true)
        #expect(json["findings"] == [])
        #expect(json["kernels"]?.arrayValue?.map { $0["name"]?.stringValue } == ["6.1-classic", "6.1-new", "6.12-classic", "6.12-new", "6.12.117"])
        #expect(json["kernels"]?.arrayValue?.allSatisfy { $0["refuses"] == false } == true)
    }

    @Test func refusedImageExits1AndListsTheFinding() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.withoutResourceTable, to: "bare.elf")
        let result = try Rprocctl.run("validate", "bare.elf", in: directory.url)
        #expect(result.status == 1)
        try Snapshot.assertMatches(result.stdout, "validate-no-table.txt")
        let json = try JSONValue(parsing: try Rprocctl.run("validate", "--json=pretty", "bare.elf", in: directory.url).stdout)
        #expect(json["bootable"] == false)
        let finding = try #require(json["findings"]?[0])
        #expect(finding["severity"] == "error")
        #expect(finding["code"] == "rsc.missing")
        #expect(finding["errno"] == "EINVAL")
        #expect(finding["offset"] == .null)
        #expect(finding["kernels"] == ["6.1", "6.12"])
        #expect(finding["message"]?.stringValue?.contains(".resource_table") == true)
    }

    @Test func warningsAloneExit0() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.warningOnly, to: "ring3.elf")
        let result = try Rprocctl.run("validate", "ring3.elf", in: directory.url)
        #expect(result.status == 0)
        #expect(result.stdout.contains("warning  vring.num-not-power-of-two"))
        #expect(result.stdout.hasSuffix("OK: 6.1, 6.12 would boot 'ring3.elf'.\n"))
        let json = try JSONValue(parsing: try Rprocctl.run("validate", "--json", "ring3.elf", in: directory.url).stdout)
        #expect(json["bootable"] == true)
        #expect(json["findings"]?.arrayValue?.map { $0["severity"]?.stringValue } == ["warning"])
    }

    @Test func memoryWindowsDecide() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.withoutCarveout, to: "nocarve.elf")
        // Both segments (0x10000000 and 0x10008000) inside one window: boots.
        let inside = try Rprocctl.run("validate", "--memory", "0x10000000:64K", "nocarve.elf", in: directory.url)
        #expect(inside.status == 0, "\(inside.stdout)")
        // Decimal and hex, two windows: the table's segment is outside both.
        let outside = try Rprocctl.run("validate", "--memory=268435456:0x1000,0x20000000:1M", "nocarve.elf", in: directory.url)
        #expect(outside.status == 1, "\(outside.stdout)")
        #expect(outside.stdout.contains("error "))
        // Repeated --memory adds windows up.
        let repeated = try Rprocctl.run("validate", "--memory", "0x20000000:1M", "--memory", "0x10000000:64K", "nocarve.elf", in: directory.url)
        #expect(repeated.status == 0, "\(repeated.stdout)")
        // Without --memory the mapping is not checked.
        #expect(try Rprocctl.run("validate", "nocarve.elf", in: directory.url).status == 0)
    }

    @Test func kernelSelectsWhichKernelsDecide() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.bigEndian64, to: "be64.elf")
        for kernel in ["6.1", "6.12", "all"] {
            let result = try Rprocctl.run("validate", "--kernel", kernel, "--json", "be64.elf", in: directory.url)
            #expect(result.status == 1)
            let names = try JSONValue(parsing: result.stdout)["kernels"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            switch kernel {
            case "6.1": #expect(names == ["6.1-classic", "6.1-new"])
            case "6.12": #expect(names == ["6.12-classic", "6.12-new", "6.12.117"])
            default: #expect(names?.count == 5)
            }
        }
        let human = try Rprocctl.run("validate", "--kernel=6.12", "be64.elf", in: directory.url)
        #expect(human.stdout.hasSuffix("Refused: 6.12 would refuse 'be64.elf'.\n"))
    }

    @Test func notELFIsRefused() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.notELF, to: "script.sh")
        let result = try Rprocctl.run("validate", "script.sh", in: directory.url)
        #expect(result.status == 1)
        #expect(result.stdout.contains("elf.bad-magic"))
    }

    @Test func quietKeepsTheExitCode() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.sample, to: "good.elf")
        try directory.write(Images.withoutResourceTable, to: "bad.elf")
        let good = try Rprocctl.run("validate", "-q", "good.elf", in: directory.url)
        let bad = try Rprocctl.run("validate", "--quiet", "bad.elf", in: directory.url)
        #expect(good.status == 0 && good.stdout == "")
        #expect(bad.status == 1 && bad.stdout == "")
    }
}

/// Every usage error exits 2 (LSB), never ArgumentParser's 64.
@Suite struct UsageTests {
    static let usageErrors: [([String], String)] = [
        (["validate", "--memory", "0xZZ:4K", "x.elf"], "device address '0xZZ' is not a decimal or 0x hexadecimal number"),
        (["validate", "--memory", "0x1000", "x.elf"], "'0x1000' is not of the form DA:LEN"),
        (["validate", "--memory", "0:4Q", "x.elf"], "length '4Q' is not a decimal or 0x hexadecimal number"),
        (["validate", "--memory", "0:0", "x.elf"], "length '0' in '0:0' is zero"),
        (["validate", "--kernel", "5.15", "x.elf"], "The value '5.15' is invalid for '--kernel"),
        (["validate"], "Missing expected argument '<file>'"),
        (["inspect"], "Missing expected argument '<file>'"),
        (["inspect", "a.elf", "b.elf"], "Unexpected argument 'b.elf'"),
        (["inspect", "--json=yaml", "x.elf"], "The value 'yaml' is invalid for '--json"),
        (["inspect", "--bogus", "x.elf"], "Unknown option '--bogus'"),
        (["frobnicate"], "Unexpected argument 'frobnicate'"),
    ]

    @Test(arguments: usageErrors)
    func exits2(_ arguments: [String], _ message: String) throws {
        let result = try Rprocctl.run(arguments)
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func unreadableFileForValidateExits2() throws {
        let result = try Rprocctl.run("validate", "/nonexistent/fw.elf")
        #expect(result.status == 2)
        #expect(result.stderr == "Failed to open '/nonexistent/fw.elf': No such file or directory (ENOENT)\n")
    }

    @Test func helpListsTheExitCodesAndExits0() throws {
        let result = try Rprocctl.run("--help")
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(result.stdout.contains("EXIT STATUS:\n  0  success"))
        #expect(result.stdout.contains("  2  invalid arguments or options, or a file that cannot be read"))
        #expect(result.stdout.contains("inspect"))
        #expect(result.stdout.contains("validate"))
        let verbHelp = try Rprocctl.run("help", "validate")
        #expect(verbHelp.status == 0)
        #expect(verbHelp.stdout.contains("--memory <windows>"))
    }

    @Test func versionAndJSONHelpExit0() throws {
        let version = try Rprocctl.run("--version")
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("rprocctl "))
        let modes = try Rprocctl.run("inspect", "--json=help", "x.elf")
        #expect(modes.status == 0)
        #expect(modes.stdout == "off\nshort\npretty\n")
    }
}
