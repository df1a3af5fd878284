import RprocFirmware
import RprocTestSupport
import Testing

@Suite struct ParserTests {
    static let layouts: [(ElfClass, ByteOrder)] = [(.elf32, .little), (.elf32, .big), (.elf64, .little), (.elf64, .big)]

    @Test(arguments: 0 ..< 4)
    func minimalImageParsesInEveryClassAndByteOrder(_ layout: Int) throws {
        let (c, order) = Self.layouts[layout]
        let bytes = ElfBuilder.minimalRemoteproc(elfClass: c, byteOrder: order, machine: .riscV).build()
        let image = try FirmwareImage(parsing: bytes)
        #expect(image.header.elfClass == c)
        #expect(image.header.byteOrder == order)
        #expect(image.header.machine == .riscV)
        #expect(image.header.entry == 0x1000_0000)
        #expect(image.size == bytes.count)
        #expect(image.programHeaders.count == 2)
        #expect(image.loadedSegments.map(\.physicalAddress) == [0x1000_0000, 0x1000_8000])
        #expect(image.programHeaders[0].memorySize == 0x1000)
        #expect(image.programHeaders[0].fileSize == 256)
        #expect(image.sectionHeaders.map(\.name) == ["", ".text", ".resource_table", ".shstrtab"])
        let table = try #require(image.resourceTable)
        #expect(table.version == 1)
        #expect(table.count == 3)
        #expect(table.section?.address == 0x1000_8000)
        #expect(table.entries.map { $0.resource?.type } == [.carveout, .trace, .vdev])
        guard case .carveout(let carveout)? = table.entries[0].resource,
              case .trace(let trace)? = table.entries[1].resource,
              case .vdev(let vdev)? = table.entries[2].resource
        else { Issue.record("entries decoded as \(table.entries)"); return }
        #expect(carveout == MemoryResource(da: 0x1000_0000, pa: 0x1000_0000, length: 0x10_0000, flags: 0, reserved: 0,
                                           name: "fw-mem"))
        #expect(trace == TraceResource(da: 0x1000_9000, length: 0x1000, reserved: 0, name: "trace0"))
        #expect(vdev.id == 7 && vdev.deviceFeatures == 1 && vdev.vringCount == 2)
        #expect(vdev.vrings == [Vring(da: resourceAddressAny, align: 16, count: 16, notifyID: 0, pa: 0),
                                Vring(da: resourceAddressAny, align: 16, count: 16, notifyID: 1, pa: 0)])
        // Big-endian parses, but the little-endian board kernel refuses it.
        let report = FirmwareCheck.check(bytes)
        #expect(report.errors.map(\.code) == (order == .little ? [] : ["elf.byte-order"]))
    }

    @Test func validMinimalImageHasNoFindings() {
        let report = FirmwareCheck.check(ElfBuilder.minimalRemoteproc().build())
        #expect(report.findings == [])
        #expect(report.parseError == nil)
    }

    @Test func notELFIsToldApartFromDamagedELF() {
        #expect(throws: FirmwareError.notELF(size: 3, leadingBytes: [1, 2, 3])) { try FirmwareImage(parsing: [1, 2, 3]) }
        var header = Array(ElfBuilder.minimalRemoteproc().build().prefix(40))
        do {
            _ = try FirmwareImage(parsing: header)
            Issue.record("a 40-byte header parsed")
        } catch {
            #expect(!error.isNotELF)
            #expect(error == .truncated(what: "ELF32 header", offset: 0, needed: 52, present: 40))
        }
        header[4] = 9
        #expect(throws: FirmwareError.badIdentification(field: "EI_CLASS", offset: 4, value: 9)) {
            try FirmwareImage(parsing: header)
        }
    }

    @Test func vendorAndUnknownEntriesKeepTheirBytes() throws {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable = ResourceTableBuilder(entries: [
            .raw(type: 128, payload: [1, 2, 3, 4]), .raw(type: 512, payload: [5]), .raw(type: 513, payload: [6, 7]),
            .raw(type: 5, payload: [8]),
        ])
        let table = try #require(try FirmwareImage(parsing: b.build()).resourceTable)
        let decoded = table.entries.map(\.resource)
        #expect(decoded.count == 4)
        #expect(decoded[0] == .vendor(type: .vendorStart, payload: [1, 2, 3, 4][...]))
        if case .vendor(let t, let p)? = decoded[1] { #expect(t == .vendorEnd && Array(p) == [5]) } else { Issue.record("\(decoded[1]!)") }
        if case .unknown(let t, let p)? = decoded[2] { #expect(t.rawValue == 513 && Array(p) == [6, 7]) } else { Issue.record("\(decoded[2]!)") }
        if case .unknown(let t, let p)? = decoded[3] { #expect(t.rawValue == 5 && Array(p) == [8]) } else { Issue.record("\(decoded[3]!)") }
    }

    @Test func hostileCountsAreCappedByTheFile() throws {
        var b = ElfBuilder.minimalRemoteproc()
        b.header.programHeaderCount = 0xFFFF
        b.header.sectionHeaderCount = 0xFFFF
        b.resourceTable?.countOverride = 0xFFFF_FFFF
        let bytes = b.build()
        let image = try FirmwareImage(parsing: bytes)
        #expect(image.programHeaders.count < 0xFFFF && !image.programHeadersComplete)
        #expect(image.sectionHeaders.count == 4 && !image.sectionHeadersComplete)
        let table = try #require(image.resourceTable)
        #expect(table.offsets.count == (Int(table.size) - 16) / 4)
        #expect(!table.offsetsComplete)
    }

    @Test(arguments: [ElfClass.elf32, .elf64])
    func offsetsNearTheTopOfTheAddressSpaceNeverWrap(_ c: ElfClass) throws {
        let top: UInt64 = c == .elf64 ? .max : UInt64(UInt32.max)
        var b = ElfBuilder.minimalRemoteproc(elfClass: c)
        b.segments[0].offsetOverride = top - 3
        b.segments[0].fileSizeOverride = 16
        b.segments[0].memorySize = 16
        b.resourceTableAddress = nil
        b.sections[0].offsetOverride = top
        b.sections[0].sizeOverride = top
        let wrapped = b.build()
        let report = FirmwareCheck.check(wrapped)
        #expect(report.errors.contains { $0.code == "segment.truncated" && $0.index == 0 })
        // Header offsets at the top: every table is "outside", nothing traps.
        var h = ElfBuilder.minimalRemoteproc(elfClass: c)
        h.header.programHeaderOffset = top - 1
        h.header.sectionHeaderOffset = top - 1
        let image = try FirmwareImage(parsing: h.build())
        #expect(image.programHeaders.isEmpty && image.sectionHeaders.isEmpty && image.resourceTable == nil)
        let codes = FirmwareCheck.check(h.build()).errors.map(\.code)
        #expect(codes.contains("elf.phoff-out-of-bounds") && codes.contains("elf.shdr-out-of-bounds"))
        // A resource table section whose offset + size wraps is "truncated", as find_table says.
        var t = ElfBuilder.minimalRemoteproc(elfClass: c)
        t.resourceTableAddress = nil
        t.sections.append(.init(name: ".resource_table", contents: .bytes([1, 0, 0, 0])))
        t.sections[1].offsetOverride = top - 1
        t.sections[1].sizeOverride = 2
        t.resourceTable = nil
        #expect(FirmwareCheck.check(t.build()).errors.map(\.code) == ["rsc.truncated"])
    }

    @Test func sectionNamesAreReadInsideTheNameTableOnly() throws {
        var b = ElfBuilder.minimalRemoteproc()
        b.sections[0].nameOffsetOverride = 10_000  // .text's name far outside .shstrtab
        b.sections.append(.init(name: String(repeating: "x", count: 5000), contents: .bytes([])))
        let image = try FirmwareImage(parsing: b.build())
        #expect(image.sectionHeaders[1].name == nil && image.sectionHeaders[1].nameOffset == 10_000)
        #expect(image.sectionHeaders[2].name == nil)  // longer than the 4 KiB limit
        #expect(image.sectionHeaders[3].name == ".resource_table" && image.sectionHeaders[3].hasName(".resource_table"))
        #expect(image.resourceTable != nil)
    }

    @Test func namedConstantTablesRoundTrip() {
        func roundTrip<T: NamedConstant>(_: T.Type) {
            for (value, name) in T.table {
                #expect(value.name == name)
                #expect(T(name: name) == value)
            }
            #expect(Set(T.table.map(\.1)).count == T.table.count)
        }
        roundTrip(ElfMachine.self)
        roundTrip(ElfType.self)
        roundTrip(SegmentType.self)
        roundTrip(SectionType.self)
        roundTrip(ResourceType.self)
        #expect(ElfMachine(rawValue: 9999).name == nil)
        #expect(ElfMachine(rawValue: 0x1234).description == "0x1234")
        for machine in [ElfMachine.arm, .aarch64, .riscV, .xtensa, .tiC6000, .arc, .arcCompact2, .hexagon, .x86_64, .tiPRU] {
            #expect(machine.name != nil && machine.displayName != nil)
        }
    }

    @Test func kernelProfileNamesRoundTripAndCollapsePerLine() {
        for (profile, name) in KernelProfile.table {
            #expect(profile.name == name)
            #expect(KernelProfile(name: name) == profile)
        }
        #expect(KernelProfile.names(of: KernelProfile.all) == ["6.1", "6.12"])
        #expect(KernelProfile.names(of: [.linux6_12_117]) == ["6.12.117"])
        #expect(KernelProfile.names(of: [.linux6_1New, .linux6_12New, .linux6_12_117]) == ["6.1-new", "6.12-new", "6.12.117"])
        #expect(KernelProfile.names(of: KernelProfile.profiles(of: [.v6_12])) == ["6.12"])
        #expect(KernelProfile.profiles(of: [.v6_1]) == [.linux6_1Classic, .linux6_1New])
    }

    @Test func kernelErrnoNamesRoundTrip() {
        for name in ["EPERM", "ENOENT", "EINVAL", "ENOMEM", "EOVERFLOW", "EBUSY"] {
            #expect(KernelErrno(name: name)?.name == name)
        }
        #expect(KernelErrno(rawValue: 4095).name == "E4095")
    }
}

@Suite struct CheckCatalogueTests {
    @Test func codesAreUniqueAndNamespaced() {
        let codes = Finding.checks.map(\.code)
        #expect(Set(codes).count == codes.count)
        let prefixes = ["elf.", "segment.", "rsc.", "carveout.", "devmem.", "trace.", "vdev.", "vring.", "vendor.", "resource."]
        for code in codes { #expect(prefixes.contains { code.hasPrefix($0) }, "\(code)") }
    }
}
