import Foundation
import RprocFirmware
import RprocJSON
import Testing

/// `rprocctl inspect`, run as a process.
@Suite struct InspectTests {
    @Test func humanOutputMatchesSnapshot() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.sample, to: "sample.elf")
        let result = try Rprocctl.run("inspect", "sample.elf", in: directory.url)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        try Snapshot.assertMatches(result.stdout, "inspect-sample.txt")
    }

    @Test func everyEntryKindMatchesSnapshot() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.everyEntryKind, to: "entries.elf")
        let result = try Rprocctl.run("inspect", "entries.elf", in: directory.url)
        #expect(result.status == 0)
        try Snapshot.assertMatches(result.stdout, "inspect-every-entry.txt")
    }

    @Test func noLegendDropsHeadersAndCounts() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.withoutResourceTable, to: "bare.elf")
        let result = try Rprocctl.run("inspect", "--no-legend", "bare.elf", in: directory.url)
        #expect(result.status == 0)
        try Snapshot.assertMatches(result.stdout, "inspect-no-legend.txt")
        #expect(!result.stdout.contains("listed."))
        #expect(!result.stdout.contains("IDX"))
    }

    @Test func jsonHasTheSchemaOfIssue2() throws {
        let directory = try TemporaryDirectory()
        let bytes = Images.everyEntryKind
        try directory.write(bytes, to: "entries.elf")
        let result = try Rprocctl.run("inspect", "--json", "entries.elf", in: directory.url)
        #expect(result.status == 0)
        // Not a terminal: a bare --json is one line.
        #expect(result.stdout.filter { $0 == "\n" }.count == 1)
        let json = try JSONValue(parsing: result.stdout)
        #expect(json.objectValue?.keys == ["path", "size", "elf", "segments", "sections", "resourceTable", "findings", "parseError"])
        #expect(json["path"] == "entries.elf")
        #expect(json["size"]?.int64Value == Int64(bytes.count))
        #expect(json["parseError"] == .null)

        let elf = try #require(json["elf"])
        #expect(elf["class"] == 32)
        #expect(elf["byteOrder"] == "little")
        #expect(elf["type"] == "EXEC")
        #expect(elf["machine"] == 40)
        #expect(elf["machineName"] == "ARM")
        #expect(elf["entry"] == 0x1000_0000)
        #expect(elf["flags"] == 0)
        #expect(elf["phnum"] == 2)
        #expect(elf["shnum"] == 4)

        let segments = try #require(json["segments"]?.arrayValue)
        #expect(segments.count == 2)
        #expect(segments[0] == [
            "index": 0, "type": "LOAD", "offset": segments[0]["offset"]!, "vaddr": 0x1000_0000, "paddr": 0x1000_0000,
            "filesz": 256, "memsz": 0x1000, "flags": "RX", "align": 4,
        ])
        #expect(segments[1]["type"] == "LOAD")
        #expect(segments[1]["vaddr"] == 0x1000_8000)
        #expect(segments[1]["flags"] == "RW")

        let sections = try #require(json["sections"]?.arrayValue)
        #expect(sections.map { $0["name"]?.stringValue } == ["", ".text", ".resource_table", ".shstrtab"])
        #expect(sections.map { $0["type"]?.stringValue } == ["NULL", "PROGBITS", "PROGBITS", "STRTAB"])
        #expect(sections.map { $0["flags"]?.stringValue } == ["", "AX", "WA", ""])
        #expect(sections[2]["addr"] == 0x1000_8000)
        #expect(sections[1]["offset"] == segments[0]["offset"])

        let table = try #require(json["resourceTable"])
        #expect(table["section"] == ".resource_table")
        #expect(table["offset"] == sections[2]["offset"])
        #expect(table["addr"] == 0x1000_8000)
        #expect(table["size"] == sections[2]["size"])
        #expect(table["version"] == 1)
        #expect(table["num"] == 6)
        let entries = try #require(table["entries"]?.arrayValue)
        #expect(entries.map { $0["type"]?.stringValue } == ["carveout", "devmem", "trace", "vdev", "vendor", "unknown"])
        #expect(entries.map { $0["index"]?.int64Value } == [0, 1, 2, 3, 4, 5])
        // The offset array starts after the 16-byte header and 6 offsets: 16 + 24 = 40.
        #expect(entries[0]["offset"] == 40)
        #expect(entries[0] == [
            "index": 0, "offset": 40, "type": "carveout", "da": 0x1000_0000, "pa": 0x1000_0000, "len": 0x10_0000,
            "flags": 0, "reserved": 0, "name": "fw-mem",
        ])
        #expect(entries[1] == [
            "index": 1, "offset": 96, "type": "devmem", "da": 0x4A00_0000, "pa": 0x4A00_0000, "len": 0x1000,
            "flags": 3, "reserved": 0, "name": "regs",
        ])
        #expect(entries[2] == [
            "index": 2, "offset": 152, "type": "trace", "da": 0x1000_9000, "len": 0x1000, "reserved": 0, "name": "trace0",
        ])
        #expect(entries[3] == [
            "index": 3, "offset": 200, "type": "vdev", "id": 7, "notifyid": 2, "dfeatures": 1, "gfeatures": 0,
            "configLen": 4, "status": 0, "numOfVrings": 1, "reserved": [0, 0],
            "vrings": [["da": 0x1004_0000, "align": 4096, "num": 16, "notifyid": 0, "pa": 0]],
        ])
        // vdev: 4 + 24 + 20 + 4 config bytes = 52.
        #expect(entries[4] == ["index": 4, "offset": 252, "type": "vendor", "rawType": 130, "size": 20])
        #expect(entries[5] == ["index": 5, "offset": 276, "type": "unknown", "rawType": 9, "size": 4])

        // Findings: the unknown type is skipped with a warning by every kernel.
        let findings = try #require(json["findings"]?.arrayValue)
        for finding in findings {
            #expect(finding.objectValue?.keys.prefix(7) == ["severity", "code", "message", "offset", "index", "errno", "kernels"])
        }
        let unknown = try #require(findings.first { $0["code"] == "rsc.unknown-type" })
        #expect(unknown["severity"] == "warning")
        #expect(unknown["kernels"] == [])
        #expect(unknown["errno"] == .null)
    }

    @Test func jsonAgreesWithTheLibraryFieldByField() throws {
        let directory = try TemporaryDirectory()
        for (name, bytes) in [("sample.elf", Images.sample), ("be64.elf", Images.bigEndian64), ("entries.elf", Images.everyEntryKind)] {
            try directory.write(bytes, to: name)
            let json = try JSONValue(parsing: try Rprocctl.run("inspect", "--json=short", name, in: directory.url).stdout)
            let image = try FirmwareImage(parsing: bytes)
            #expect(json["elf"]?["class"]?.int64Value == Int64(image.header.elfClass.bits))
            #expect(json["elf"]?["byteOrder"]?.stringValue == image.header.byteOrder.description)
            #expect(json["elf"]?["entry"]?.uint64Value == image.header.entry)
            let segments = json["segments"]?.arrayValue ?? []
            #expect(segments.count == image.programHeaders.count)
            for (segment, header) in zip(segments, image.programHeaders) {
                #expect(segment["offset"]?.uint64Value == header.offset)
                #expect(segment["vaddr"]?.uint64Value == header.virtualAddress)
                #expect(segment["paddr"]?.uint64Value == header.physicalAddress)
                #expect(segment["filesz"]?.uint64Value == header.fileSize)
                #expect(segment["memsz"]?.uint64Value == header.memorySize)
                #expect(segment["align"]?.uint64Value == header.alignment)
            }
            let sections = json["sections"]?.arrayValue ?? []
            #expect(sections.count == image.sectionHeaders.count)
            for (section, header) in zip(sections, image.sectionHeaders) {
                #expect(section["name"]?.stringValue == header.name)
                #expect(section["addr"]?.uint64Value == header.address)
                #expect(section["offset"]?.uint64Value == header.offset)
                #expect(section["size"]?.uint64Value == header.size)
            }
            let report = FirmwareCheck.check(bytes)
            #expect(json["findings"]?.arrayValue?.map { $0["code"]?.stringValue } == report.findings.map(\.code))
        }
    }

    @Test func bigEndianELF64IsParsedAndRefused() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.bigEndian64, to: "be64.elf")
        let json = try JSONValue(parsing: try Rprocctl.run("inspect", "--json", "be64.elf", in: directory.url).stdout)
        #expect(json["elf"]?["class"] == 64)
        #expect(json["elf"]?["byteOrder"] == "big")
        #expect(json["elf"]?["machine"] == 183)
        #expect(json["elf"]?["machineName"] == "AArch64")
        let byteOrder = try #require(json["findings"]?.arrayValue?.first { $0["code"] == "elf.byte-order" })
        #expect(byteOrder["severity"] == "error")
        #expect(byteOrder["errno"] == "EINVAL")
        #expect(byteOrder["kernels"] == ["6.1", "6.12"])
    }

    @Test func prettyJSONIsIndentedByTwoAndEqualToShort() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.sample, to: "sample.elf")
        let pretty = try Rprocctl.run("inspect", "--json=pretty", "sample.elf", in: directory.url).stdout
        let short = try Rprocctl.run("inspect", "--json=short", "sample.elf", in: directory.url).stdout
        #expect(pretty.hasPrefix("{\n  \"path\": \"sample.elf\",\n  \"size\": "))
        #expect(pretty.contains("\n    \"class\": 32,\n"))
        #expect(try JSONValue(parsing: pretty) == JSONValue(parsing: short))
        // The mode may follow as the next argument, as with systemctl.
        let spaced = try Rprocctl.run("inspect", "--json", "pretty", "sample.elf", in: directory.url)
        #expect(spaced.status == 0)
        #expect(spaced.stdout == pretty)
        // --json=off is the tables.
        let off = try Rprocctl.run("inspect", "--json=off", "sample.elf", in: directory.url).stdout
        #expect(off.hasPrefix("    File: sample.elf"))
    }

    @Test func optionsMayComeBeforeTheVerb() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.sample, to: "sample.elf")
        let result = try Rprocctl.run("--json=short", "inspect", "sample.elf", in: directory.url)
        #expect(result.status == 0)
        #expect(try JSONValue(parsing: result.stdout)["path"] == "sample.elf")
    }

    @Test func quietPrintsNothing() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.sample, to: "sample.elf")
        let result = try Rprocctl.run("inspect", "-q", "sample.elf", in: directory.url)
        #expect(result.status == 0)
        #expect(result.stdout == "")
        #expect(result.stderr == "")
    }

    @Test func notELFAndDamagedELFSayWhich() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.notELF, to: "script.sh")
        try directory.write(Images.damaged, to: "cut.elf")

        let notELF = try Rprocctl.run("inspect", "script.sh", in: directory.url)
        #expect(notELF.status == 1)
        #expect(notELF.stdout == "")
        #expect(notELF.stderr.hasPrefix("Failed to parse 'script.sh': not an ELF file: the first bytes are [23 21 2f 62]"))

        let damaged = try Rprocctl.run("inspect", "cut.elf", in: directory.url)
        #expect(damaged.status == 1)
        #expect(damaged.stdout == "")
        #expect(damaged.stderr == "Failed to parse 'cut.elf': damaged ELF file: ELF32 header needs 52 bytes at offset 0, only 30 present\n")

        // With --json, scripts still get a document that says which.
        let notELFJSON = try Rprocctl.run("inspect", "--json", "script.sh", in: directory.url)
        #expect(notELFJSON.status == 1)
        let notELFValue = try JSONValue(parsing: notELFJSON.stdout)
        #expect(notELFValue["parseError"]?["kind"] == "notELF")
        #expect(notELFValue["elf"] == .null)
        #expect(notELFValue["segments"] == [])
        #expect(notELFValue["findings"]?.arrayValue?.contains { $0["code"] == "elf.bad-magic" } == true)
        let damagedJSON = try JSONValue(parsing: try Rprocctl.run("inspect", "--json", "cut.elf", in: directory.url).stdout)
        #expect(damagedJSON["parseError"]?["kind"] == "damagedELF")
    }

    @Test func unreadableFilesExit2NamingPathAndErrno() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.url.appendingPathComponent("dir.elf"), withIntermediateDirectories: false)
        let missing = try Rprocctl.run("inspect", "missing.elf", in: directory.url)
        #expect(missing.status == 2)
        #expect(missing.stdout == "")
        #expect(missing.stderr == "Failed to open 'missing.elf': No such file or directory (ENOENT)\n")
        let isDirectory = try Rprocctl.run("inspect", "dir.elf", in: directory.url)
        #expect(isDirectory.status == 2)
        #expect(isDirectory.stderr == "Failed to read 'dir.elf': Is a directory (EISDIR)\n")
        let device = try Rprocctl.run("inspect", "/dev/null")
        #expect(device.status == 2)
        #expect(device.stderr == "Failed to read '/dev/null': not a regular file\n")
        // A FIFO is refused at once, not waited on for a writer.
        #expect(mkfifo(directory.url.appendingPathComponent("pipe.elf").path, 0o600) == 0)
        let fifo = try Rprocctl.run("inspect", "pipe.elf", in: directory.url)
        #expect(fifo.status == 2)
        #expect(fifo.stderr == "Failed to read 'pipe.elf': not a regular file\n")
        let tooLong = String(repeating: "x", count: 300) + ".elf"
        let nameTooLong = try Rprocctl.run("inspect", tooLong, in: directory.url)
        #expect(nameTooLong.status == 2)
        #expect(nameTooLong.stderr == "Failed to open '\(tooLong)': File name too long (ENAMETOOLONG)\n")
    }

    @Test func emptyFileIsNotELF() throws {
        let directory = try TemporaryDirectory()
        try directory.write([], to: "empty.elf")
        let result = try Rprocctl.run("inspect", "empty.elf", in: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Failed to parse 'empty.elf': not an ELF file"))
    }

    @Test func firmwareTextCannotReachTheTerminalRaw() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.escapeInSectionName, to: "evil.elf")
        let human = try Rprocctl.run("inspect", "evil.elf", in: directory.url)
        #expect(human.status == 0)
        #expect(!human.stdout.contains("\u{1B}"))
        #expect(human.stdout.contains("\\x1b[2J.evil"))
        let json = try JSONValue(parsing: try Rprocctl.run("inspect", "--json", "evil.elf", in: directory.url).stdout)
        #expect(json["sections"]?.arrayValue?.contains { $0["name"] == "\u{1B}[2J.evil" } == true)
    }

    @Test func colourAndPrettyJSONOnATerminal() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.bigEndian64, to: "be64.elf")
        let coloured = try Rprocctl.runOnTerminal(["inspect", "be64.elf"], in: directory.url, environment: ["TERM": "xterm"])
        #expect(coloured.status == 0)
        #expect(coloured.stdout.contains("\u{1B}[0;1;31merror\u{1B}[0m"))
        #expect(coloured.stdout.contains("\u{1B}[4mSEVERITY\u{1B}[0m"))
        let noColor = try Rprocctl.runOnTerminal(["inspect", "be64.elf"], in: directory.url, environment: ["TERM": "xterm", "NO_COLOR": "1"])
        #expect(!noColor.stdout.contains("\u{1B}["))
        #expect(noColor.stdout.contains("error"))
        let dumb = try Rprocctl.runOnTerminal(["inspect", "be64.elf"], in: directory.url, environment: ["TERM": "dumb"])
        #expect(!dumb.stdout.contains("\u{1B}["))
        // A bare --json is pretty on a terminal, and JSON is never coloured.
        let json = try Rprocctl.runOnTerminal(["inspect", "--json", "be64.elf"], in: directory.url, environment: ["TERM": "xterm"])
        #expect(json.stdout.hasPrefix("{\n  \"path\": \"be64.elf\",\n"))
        #expect(!json.stdout.contains("\u{1B}["))
        #expect(try JSONValue(parsing: json.stdout)["elf"]?["class"] == 64)
    }

    @Test func noColourWhenNotATerminal() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Images.bigEndian64, to: "be64.elf")
        let result = try Rprocctl.run("inspect", "be64.elf", in: directory.url)
        #expect(result.status == 0)
        #expect(result.stdout.contains("error"))
        #expect(!result.stdout.contains("\u{1B}["))
    }
}
