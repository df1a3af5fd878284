import Foundation
import RprocFirmware
import Testing

/// Real vendor images (Fixtures/, see Fixtures/LICENSES.md) against readelf and against the
/// catalogue's independent decoding of their resource tables.
@Suite struct VendorImageTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let names = ["bin_am335x-pm-firmware.elf", "mediatek_mt8183_scp.img", "result_am335x-pru0-fw",
                        "result_am335x-pru1-fw"]

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func catalogue() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("catalogue.json"))
        let list = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var byName: [String: [String: Any]] = [:]
        for e in list { byName[(e["file"] as? String ?? "").components(separatedBy: "/").last ?? ""] = e }
        return byName
    }

    static let readelfPath = ["/usr/bin/readelf", "/bin/readelf", "/usr/local/bin/readelf"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static func readelf(_ name: String) throws -> String? {
        guard let path = readelfPath else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["-h", "-l", "-S", "-W", fixtures.appendingPathComponent(name).path]
        p.environment = ["LC_ALL": "C"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: readelf

    @Test(arguments: names)
    func headersSegmentsAndSectionsMatchReadelf(_ name: String) throws {
        guard let text = try Self.readelf(name) else {
            print("skipping readelf comparison for \(name): readelf is not installed (apt install binutils)")
            return
        }
        let image = try FirmwareImage(parsing: try Self.bytes(name))
        let lines = text.components(separatedBy: "\n")
        func field(_ label: String) -> String? {
            lines.first { $0.hasPrefix("  \(label):") }.map {
                String($0.dropFirst(label.count + 3)).trimmingCharacters(in: .whitespaces)
            }
        }
        func number(_ label: String) -> UInt64? {
            guard let v = field(label)?.components(separatedBy: " ").first?.trimmingCharacters(in: [","]) else { return nil }
            return v.hasPrefix("0x") ? UInt64(v.dropFirst(2), radix: 16) : UInt64(v)
        }
        let h = image.header
        #expect(field("Class") == h.elfClass.description)
        #expect(field("Data")?.hasSuffix("\(h.byteOrder) endian") == true)
        #expect(field("Type")?.components(separatedBy: " ").first == h.type.name.map { String($0.dropFirst(3)) })
        #expect(field("Machine") == h.machine.displayName)
        #expect(number("Entry point address") == h.entry)
        #expect(number("Start of program headers") == h.programHeaderOffset)
        #expect(number("Start of section headers") == h.sectionHeaderOffset)
        #expect(number("Flags") == UInt64(h.flags))
        #expect(number("Size of this header") == UInt64(h.headerSize))
        #expect(number("Size of program headers") == UInt64(h.programHeaderEntrySize))
        #expect(number("Number of program headers") == UInt64(h.programHeaderCount))
        #expect(number("Size of section headers") == UInt64(h.sectionHeaderEntrySize))
        #expect(number("Number of section headers") == UInt64(h.sectionHeaderCount))
        #expect(number("Section header string table index") == UInt64(h.sectionNameTableIndex))

        // Program headers: "  LOAD 0x008000 0x00000000 0x00000000 0x02dc0 0x02dc0 R E 0x8000".
        let start = try #require(lines.firstIndex { $0.hasPrefix("  Type ") && $0.contains("PhysAddr") })
        var segments: [[String]] = []
        for line in lines[(start + 1)...] {
            let t = line.split(separator: " ").map(String.init)
            guard t.count >= 7, t[1].hasPrefix("0x") else { break }
            segments.append(t)
        }
        #expect(segments.count == image.programHeaders.count)
        for (t, p) in zip(segments, image.programHeaders) {
            let hexes = t[1 ... 5].map { UInt64($0.dropFirst(2), radix: 16) }
            #expect(hexes == [p.offset, p.virtualAddress, p.physicalAddress, p.fileSize, p.memorySize])
            let align = t.last!
            #expect((align.hasPrefix("0x") ? UInt64(align.dropFirst(2), radix: 16) : UInt64(align)) == p.alignment)
            let flags = t[6 ..< (t.count - 1)].joined()
            let bits = (flags.contains("R") ? 4 : 0) | (flags.contains("W") ? 2 : 0) | (flags.contains("E") ? 1 : 0)
            #expect(UInt32(bits) == p.flags & 7)
            // Processor-specific types (≥ PT_LOPROC) are named per machine; compare the generic ones.
            if p.type.rawValue < 0x7000_0000, let known = p.type.name { #expect(t[0] == known.dropFirst(3)) }
        }

        // Section headers: "  [ 1] .text PROGBITS 00000000 008000 002dc0 00  AX  0   0  4".
        var sections: [(String, [String])] = []
        for line in lines where line.hasPrefix("  [") && !line.hasPrefix("  [Nr]") {
            guard let close = line.firstIndex(of: "]") else { continue }
            let rest = line[line.index(after: close)...].dropFirst()
            let name = rest.hasPrefix(" ") ? "" : String(rest.prefix { $0 != " " })
            let tokens = rest.dropFirst(name.count).split(separator: " ").map(String.init)
            sections.append((name, tokens))
        }
        #expect(sections.count == image.sectionHeaders.count)
        for ((name, t), s) in zip(sections, image.sectionHeaders) {
            #expect(name == s.name)
            let hexes = t[1 ... 4].map { UInt64($0, radix: 16) }
            #expect(hexes == [s.address, s.offset, s.size, s.entrySize])
            let tail = t.suffix(3).map { UInt64($0) }
            #expect(tail == [UInt64(s.link), UInt64(s.info), s.alignment])
            if s.type.rawValue < 0x7000_0000, let known = s.type.name { #expect(t[0] == known.dropFirst(4)) }
        }
    }

    // MARK: Catalogue

    static func uint(_ v: Any?) -> UInt64? { (v as? NSNumber)?.uint64Value }
    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: names)
    func segmentsAndResourceTableMatchTheCatalogue(_ name: String) throws {
        let entry = try #require(try Self.catalogue()[name])
        let bytes = try Self.bytes(name)
        let image = try FirmwareImage(parsing: bytes)
        let elf = try #require(entry["elf"] as? [String: Any])
        #expect(image.header.machine.name == elf["machine"] as? String)
        #expect(image.header.entry == Self.uint(elf["entry"]))
        let segments = try #require(elf["segments"] as? [[String: Any]])
        let loads = image.programHeaders.filter { $0.type == .load }
        #expect(loads.count == segments.count)
        for (s, p) in zip(segments, loads) {
            #expect([s["offset"], s["vaddr"], s["paddr"], s["filesz"], s["memsz"], s["flags"]].map(Self.uint)
                    == [p.offset, p.virtualAddress, p.physicalAddress, p.fileSize, p.memorySize, UInt64(p.flags)])
        }

        let rsc = try #require(entry["rsc"] as? [String: Any])
        let report = FirmwareCheck.check(bytes)
        guard rsc["present"] as? Bool == true else {
            #expect(image.resourceTable == nil)
            // No table: with the default ELF ops every kernel refuses it, silently.
            #expect(report.errors.map(\.code) == ["rsc.missing"])
            #expect(report.errors.first?.kernelLog == [])
            return
        }
        let table = try #require(image.resourceTable)
        let section = try #require(table.section)
        #expect([section.offset, section.address, section.size] == [rsc["sh_offset"], rsc["sh_addr"], rsc["sh_size"]].map(Self.uint))
        #expect(Self.hex(table.bytes) == rsc["raw_hex"] as? String)
        let t = try #require(rsc["table"] as? [String: Any])
        #expect(table.version.map(UInt64.init) == Self.uint(t["ver"]))
        #expect(table.count.map(UInt64.init) == Self.uint(t["num"]))
        #expect(table.offsets.map(UInt64.init) == (t["offsets"] as? [Any])?.compactMap(Self.uint))
        let entries = try #require(t["entries"] as? [[String: Any]])
        #expect(entries.count == table.entries.count)
        for (e, decoded) in zip(entries, table.entries) {
            #expect(UInt64(decoded.offset) == Self.uint(e["offset"]))
            #expect(UInt64(decoded.resource?.type.rawValue ?? 999) == Self.uint(e["type"]))
            switch decoded.resource {
            case .trace(let tr)?:
                #expect([tr.da, tr.length, tr.reserved].map(UInt64.init) == [e["da"], e["len"], e["reserved"]].map(Self.uint))
                #expect(tr.name == e["name"] as? String)
            case .carveout(let m)?, .devmem(let m)?:
                #expect([m.da, m.pa, m.length, m.flags, m.reserved].map(UInt64.init)
                        == [e["da"], e["pa"], e["len"], e["flags"], e["reserved"]].map(Self.uint))
                #expect(m.name == e["name"] as? String)
            case .vdev(let v)?:
                #expect([v.id, v.notifyID, v.deviceFeatures, v.guestFeatures, v.configLength].map(UInt64.init)
                        == [e["id"], e["notifyid"], e["dfeatures"], e["gfeatures"], e["config_len"]].map(Self.uint))
                #expect([UInt64(v.status), UInt64(v.vringCount)] == [e["status"], e["num_of_vrings"]].map(Self.uint))
                #expect(v.reserved.map(UInt64.init) == (e["reserved"] as? [Any])?.compactMap(Self.uint))
                let rings = (e["vrings"] as? [[String: Any]]) ?? []
                #expect(rings.map { [$0["da"], $0["align"], $0["num"], $0["notifyid"], $0["pa"]].map(Self.uint) }
                        == v.vrings.map { [$0.da, $0.align, $0.count, $0.notifyID, $0.pa].map { UInt64($0) } })
                #expect(Self.hex(v.config) == e["config_hex"] as? String)
            case .unknown(_, let payload)?, .vendor(_, let payload)?:
                #expect(Self.hex(payload) == e["payload_hex"] as? String)
            default:
                Issue.record("entry \(decoded.index) did not decode: \(String(describing: decoded.resource))")
            }
        }
        // The catalogue's kernel verdict: the table is accepted; skipped entries are warnings.
        let verdict = try #require(entry["kernel_verdict"] as? [String: Any])
        #expect(verdict["find_table"] as? String == "ok")
        #expect(report.errors == [])
        let skipped = ((verdict["entries"] as? [String]) ?? []).filter { $0.contains("unsupported") }
        #expect(report.warnings.filter { $0.code == "rsc.unknown-type" || $0.code == "vendor.unsupported" }.count == skipped.count)
    }

    @Test func pruFirmwareFindingsNameTheOddities() throws {
        let report = FirmwareCheck.check(try Self.bytes("result_am335x-pru0-fw"))
        let codes = Set(report.findings.map(\.code))
        // Type-5 entry (old TI vendor kernel), vrings with equal notify ids.
        #expect(codes.isSuperset(of: ["rsc.unknown-type", "vring.duplicate-notifyid"]))
        #expect(report.findings.first { $0.code == "rsc.unknown-type" }?.kernelLog == ["unsupported resource 5"])
    }

    @Test func mediatekImageIsNotARemoteprocELF() throws {
        let report = FirmwareCheck.check(try Self.bytes("mediatek_mt8183_scp.img"))
        #expect(report.parseError == nil)
        #expect(report.errors.map(\.code) == ["rsc.missing"])
        #expect(report.errors.first?.errno == .EINVAL)
        #expect(report.errors.first?.kernels == ["6.1", "6.12"])
        let loader = KernelLoader(profile: .linux6_1New)
        let image = try loader.sanityCheck(try Self.bytes("mediatek_mt8183_scp.img")).get()
        #expect(throws: KernelFailure.self) { try loader.loadResourceTable(image).get() }
    }
}
