import RprocFirmware
import RprocTestSupport
import Testing

/// One test per kernel check (contract §6.2–§6.6): refused with the right code, errno, log line and
/// kernels when wrong; no such finding when right.
@Suite struct KernelCheckTests {
    typealias B = ElfBuilder
    static let all = ["6.1", "6.12"]
    static let newOnly = ["6.1-new", "6.12-new", "6.12.117"]

    func finding(_ bytes: [UInt8], _ code: String, options: CheckOptions = CheckOptions()) -> Finding? {
        FirmwareCheck.check(bytes, options: options).findings.first { $0.code == code }
    }

    /// Asserts `wrong` is refused for `code` by `kernels` with `log`, and `right` has no finding `code`.
    func expectCheck(_ code: String, wrong: [UInt8], right: [UInt8], kernels: [String] = all, log: [String],
                     errno: KernelErrno? = .EINVAL, options: CheckOptions = CheckOptions(),
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let f = finding(wrong, code, options: options)
        #expect(f != nil, "no \(code) in \(FirmwareCheck.check(wrong, options: options).findings)", sourceLocation: sourceLocation)
        guard let f else { return }
        #expect(f.severity == .error, sourceLocation: sourceLocation)
        #expect(Finding.checks.contains { $0.code == code && $0.severity == .error }, "\(code) not in Finding.checks",
                sourceLocation: sourceLocation)
        #expect(f.kernels == kernels, sourceLocation: sourceLocation)
        #expect(f.kernelLog == log, sourceLocation: sourceLocation)
        #expect(f.errno == errno, sourceLocation: sourceLocation)
        #expect(!f.message.isEmpty, sourceLocation: sourceLocation)
        let ok = FirmwareCheck.check(right, options: options)
        #expect(!ok.findings.contains { $0.code == code }, "\(ok.findings)", sourceLocation: sourceLocation)
    }

    static func built(_ edit: (inout B) -> Void = { _ in }) -> [UInt8] {
        var b = B.minimalRemoteproc()
        edit(&b)
        return b.build()
    }

    static let valid = built()

    // MARK: §6.2 rproc_elf_sanity_check

    @Test func tooSmall() {
        expectCheck("elf.too-small", wrong: Array(Self.valid.prefix(51)), right: Self.valid, log: ["Image is too small"])
        // Too small and not ELF: the size check comes first, then the magic.
        let report = FirmwareCheck.check([0, 1, 2, 3, 4])
        #expect(report.errors.map(\.code) == ["elf.too-small", "elf.bad-magic"])
        #expect(report.parseError?.isNotELF == true)
    }

    @Test func badMagic() {
        var bad = Self.valid
        bad[1] = 0x46
        expectCheck("elf.bad-magic", wrong: bad, right: Self.valid, log: ["Image is corrupted (bad magic)"])
    }

    @Test func elfClass() {
        let bad = Self.built { $0.header.identClass = 3 }
        expectCheck("elf.class", wrong: bad, right: Self.valid, log: ["Unsupported class: 3"])
    }

    @Test func elf64HeaderTooSmall() {
        let elf64 = B.minimalRemoteproc(elfClass: .elf64).build()
        expectCheck("elf.elf64-too-small", wrong: Array(elf64.prefix(60)), right: elf64, log: ["elf64 header is too small"])
    }

    @Test func byteOrder() {
        let big = B.minimalRemoteproc(byteOrder: .big).build()
        expectCheck("elf.byte-order", wrong: big, right: Self.valid, log: ["Unsupported firmware endianness"])
        // A big-endian board kernel takes it.
        #expect(finding(big, "elf.byte-order", options: CheckOptions(hostByteOrder: .big)) == nil)
        #expect(FirmwareCheck.check(big, options: CheckOptions(hostByteOrder: .big)).errors == [])
        let bad = Self.built { $0.header.identData = 7 }
        #expect(finding(bad, "elf.byte-order")?.kernelLog == ["Unsupported firmware endianness"])
    }

    @Test func sectionHeadersPastTheEndOnOldKernels() {
        // e_shoff 10 bytes before the end: the first header does not fit.
        let bad = Self.built { $0.header.sectionHeaderOffset = UInt64(Self.valid.count - 10) }
        expectCheck("elf.shdr-truncated", wrong: bad, right: Self.valid, kernels: ["6.1", "6.12-classic", "6.12-new"],
                    log: ["Image is too small"])
        // 6.12.117 refuses the same image with its own checks.
        let f = finding(bad, "elf.shdr-out-of-bounds")
        #expect(f?.kernels == ["6.12.117"])
        #expect(f?.kernelLog == ["Section headers are out of bounds"])
        #expect(finding(bad, "elf.shstrndx-out-of-bounds")?.kernels == ["6.12.117"])
    }

    @Test func sectionHeaderTableOutOfBounds117() {
        let bad = Self.built { $0.header.sectionHeaderOffset = UInt64(Self.valid.count + 100) }
        expectCheck("elf.shdr-out-of-bounds", wrong: bad, right: Self.valid, kernels: ["6.12.117"],
                    log: ["Section header table is out of bounds"])
        #expect(finding(bad, "elf.shdr-truncated")?.kernels == ["6.1", "6.12-classic", "6.12-new"])
    }

    @Test func sectionHeaderCountOutOfBounds117() {
        // The first headers fit (old kernels accept), e_shnum runs past the end (6.12.117 refuses).
        let bad = Self.built { $0.header.sectionHeaderCount = 40 }
        expectCheck("elf.shdr-out-of-bounds", wrong: bad, right: Self.valid, kernels: ["6.12.117"],
                    log: ["Section headers are out of bounds"])
        #expect(finding(bad, "elf.shdr-truncated") == nil)
        #expect(FirmwareCheck.check(bad, options: CheckOptions(kernels: KernelProfile.profiles(of: [.v6_1]))).errors == [])
    }

    @Test func sectionNameTableIndexOutOfBounds117() {
        let bad = Self.built { $0.header.sectionNameTableIndex = 500 }
        expectCheck("elf.shstrndx-out-of-bounds", wrong: bad, right: Self.valid, kernels: ["6.12.117"],
                    log: ["Image is too small"])
    }

    @Test func noLoadableSegments() {
        let bad = Self.built { $0.header.programHeaderCount = 0 }
        expectCheck("elf.no-loadable-segments", wrong: bad, right: Self.valid, log: ["No loadable segments"])
    }

    @Test func programHeaderOffsetOutOfBounds() {
        let bad = Self.built { $0.header.programHeaderOffset = UInt64(Self.valid.count + 1) }
        expectCheck("elf.phoff-out-of-bounds", wrong: bad, right: Self.valid, log: ["Firmware size is too small"])
        // e_phoff == size passes the kernel's check (it does not check that the headers fit).
        let edge = Self.built { $0.header.programHeaderOffset = UInt64(Self.valid.count) }
        #expect(finding(edge, "elf.phoff-out-of-bounds") == nil)
        #expect(FirmwareCheck.check(edge).warnings.contains { $0.code == "elf.phdr-outside" })
    }

    // MARK: §6.3 rproc_elf_load_segments

    @Test func fileSizeExceedsMemorySize() {
        let bad = Self.built { $0.segments[0].memorySize = 16 }
        expectCheck("segment.filesz-exceeds-memsz", wrong: bad, right: Self.valid, log: ["bad phdr filesz 0x100 memsz 0x10"])
        #expect(finding(bad, "segment.filesz-exceeds-memsz")?.index == 0)
    }

    @Test func segmentTruncated() {
        let bad = Self.built { $0.segments[0].fileSizeOverride = 0x10_0000; $0.segments[0].memorySize = 0x10_0000 }
        let f = finding(bad, "segment.truncated")
        let image = try? FirmwareImage(parsing: bad)
        let offset = image?.programHeaders[0].offset ?? 0
        expectCheck("segment.truncated", wrong: bad, right: Self.valid,
                    log: ["truncated fw: need 0x\(String(offset + 0x10_0000, radix: 16)) avail 0x\(String(bad.count, radix: 16))"])
        #expect(f?.index == 0)
    }

    @Test func segmentOutsideMemory() {
        // Without the carveout that covers it, a segment outside the windows is refused.
        let noCarveout = Self.built { $0.resourceTable?.entries.removeFirst() }
        let windows = CheckOptions(memory: [MemoryRegion(da: 0x2000_0000, length: 0x1_0000)])
        expectCheck("segment.outside-memory", wrong: noCarveout, right: Self.valid, log: ["bad phdr da 0x10000000 mem 0x1000"],
                    options: windows)
        // Inside a window: accepted.
        let fits = CheckOptions(memory: [MemoryRegion(da: 0x1000_0000, length: 0x1_0000)])
        #expect(FirmwareCheck.check(noCarveout, options: fits).errors == [])
    }

    // MARK: §6.4 find_table

    @Test func resourceTableMissing() {
        let bad = Self.built { $0.resourceTable = nil }
        expectCheck("rsc.missing", wrong: bad, right: Self.valid, log: [])
        #expect(finding(bad, "rsc.missing")?.message.contains("stm32") == true)
    }

    @Test func resourceTableTruncated() {
        var b = B.minimalRemoteproc()
        b.resourceTableAddress = nil
        let ok = b.build()
        let rsc = (b.sections.count + 1)  // index of .resource_table in the section header table
        let image = try? FirmwareImage(parsing: ok)
        let header = Int(image?.sectionHeaders[rsc].headerOffset ?? 0)
        b.patch32(at: header + 20, UInt32(ok.count))  // sh_size
        expectCheck("rsc.truncated", wrong: b.build(), right: ok, log: ["resource table truncated"])
    }

    @Test func resourceTableHeaderLess() {
        let bad = Self.built { $0.resourceTable?.truncateTo = 12 }
        expectCheck("rsc.header-less", wrong: bad, right: Self.valid, log: ["header-less resource table"])
    }

    @Test func resourceTableVersion() {
        let bad = Self.built { $0.resourceTable?.version = 2 }
        expectCheck("rsc.version", wrong: bad, right: Self.valid, log: ["unsupported fw ver: 2"])
    }

    @Test func resourceTableReserved() {
        let bad = Self.built { $0.resourceTable?.reserved = [0, 1] }
        expectCheck("rsc.reserved-nonzero", wrong: bad, right: Self.valid, log: ["non zero reserved bytes"])
    }

    @Test func resourceTableIncomplete() {
        let bad = Self.built { $0.resourceTable?.countOverride = 100 }
        expectCheck("rsc.incomplete", wrong: bad, right: Self.valid, log: ["resource table incomplete"])
    }

    // MARK: §6.6 rproc_handle_resources

    @Test func entryOffsetBelowHeaderIsRefusedOnlyByNewKernels() {
        // Offset 8 makes CLASSIC read reserved[0] (0) as a carveout type whose own reserved field is the
        // trace's len (0): CLASSIC accepts; NEW refuses any offset < 16.
        let bad = Self.built {
            $0.resourceTable?.entries = [.trace(da: 0x1000_9000, length: 0, name: "t")]
            $0.resourceTable?.offsetsOverride = [8]
        }
        let right = Self.built { $0.resourceTable?.entries = [.trace(da: 0x1000_9000, length: 0, name: "t")] }
        expectCheck("rsc.entry-outside", wrong: bad, right: right, kernels: Self.newOnly, log: ["rsc table is truncated"])
        let classic = FirmwareCheck.check(bad, options: CheckOptions(kernels: [.linux6_1Classic, .linux6_12Classic]))
        #expect(classic.errors == [])
    }

    @Test func entryOffsetPastTheTableIsRefusedByAll() {
        let bad = Self.built { $0.resourceTable?.offsetsOverride = [28, 84, 2000] }
        expectCheck("rsc.entry-outside", wrong: bad, right: Self.valid, log: ["rsc table is truncated"])
        #expect(finding(bad, "rsc.entry-outside")?.index == 2)
        // Findings carry file offsets: the table's sh_offset plus the offset inside the table.
        let table = try? FirmwareImage(parsing: bad).resourceTable?.section
        #expect(table != nil && finding(bad, "rsc.entry-outside")?.offset == table.map { $0.offset + 2000 })
        // A kernel that stops earlier (6.12.117 at the section headers) is still named.
        var both = ElfBuilder.minimalRemoteproc()
        both.resourceTable?.offsetsOverride = [28, 84, 2000]
        both.header.sectionHeaderCount = 40
        #expect(finding(both.build(), "rsc.entry-outside")?.kernels == Self.all)
    }

    @Test func carveoutTruncated() {
        let bad = Self.built { $0.resourceTable?.entries.append(.raw(type: 0, payload: [UInt8](repeating: 0, count: 51))) }
        expectCheck("carveout.truncated", wrong: bad, right: Self.valid, log: ["carveout rsc is truncated"])
    }

    @Test func carveoutReserved() {
        let bad = Self.built { $0.resourceTable?.entries[0] = .carveout(da: 0x1000_0000, length: 0x10_0000, reserved: 1, name: "m") }
        expectCheck("carveout.reserved-nonzero", wrong: bad, right: Self.valid, log: ["carveout rsc has non zero reserved bytes"])
    }

    @Test func devmemNeedsIOMMU() {
        let bad = Self.built { $0.resourceTable?.entries.append(.devmem(da: 0x4a00_0000, pa: 0x4a00_0000, length: 0x1000)) }
        expectCheck("devmem.needs-iommu", wrong: bad, right: Self.valid, log: [])
        #expect(FirmwareCheck.check(bad, options: CheckOptions(hasIOMMU: true)).errors == [])
    }

    @Test func devmemTruncatedAndReserved() {
        let iommu = CheckOptions(hasIOMMU: true)
        let short = Self.built { $0.resourceTable?.entries.append(.raw(type: 1, payload: [1, 2, 3])) }
        expectCheck("devmem.truncated", wrong: short, right: Self.valid, log: ["devmem rsc is truncated"], options: iommu)
        let reserved = Self.built { $0.resourceTable?.entries.append(.devmem(da: 1, pa: 1, length: 1, reserved: 9)) }
        expectCheck("devmem.reserved-nonzero", wrong: reserved, right: Self.valid,
                    log: ["devmem rsc has non zero reserved bytes"], options: iommu)
        // Without an IOMMU the missing domain is found first.
        #expect(finding(short, "devmem.needs-iommu") != nil)
    }

    @Test func traceTruncatedAndReserved() {
        let short = Self.built { $0.resourceTable?.entries.append(.raw(type: 2, payload: [UInt8](repeating: 0, count: 43))) }
        expectCheck("trace.truncated", wrong: short, right: Self.valid, log: ["trace rsc is truncated"])
        let reserved = Self.built { $0.resourceTable?.entries[1] = .trace(da: 0x1000_9000, length: 16, reserved: 3, name: "t") }
        expectCheck("trace.reserved-nonzero", wrong: reserved, right: Self.valid, log: ["trace rsc has non zero reserved bytes"])
    }

    @Test func vdevTruncated() {
        // config_len claims 4096 bytes that the table does not have.
        let bad = Self.built { $0.resourceTable?.entries[2] = .vdev(vrings: [.init(), .init(notifyID: 1)], configLength: 4096) }
        expectCheck("vdev.truncated", wrong: bad, right: Self.valid, log: ["vdev rsc is truncated"])
    }

    @Test func vdevReserved() {
        let bad = Self.built { $0.resourceTable?.entries[2] = .vdev(vrings: [.init(), .init(notifyID: 1)], reserved: [0, 1]) }
        expectCheck("vdev.reserved-nonzero", wrong: bad, right: Self.valid, log: ["vdev rsc has non zero reserved bytes"])
    }

    @Test func vdevTooManyVrings() {
        let three = Self.built { $0.resourceTable?.entries[2] = .vdev(vrings: [.init(), .init(notifyID: 1), .init(notifyID: 2)]) }
        expectCheck("vdev.too-many-vrings", wrong: three, right: Self.valid, log: ["too many vrings: 3"])
        // The truncation check runs first: 3 vrings claimed, 2 present.
        let claimed = Self.built { $0.resourceTable?.entries[2] = .vdev(vrings: [.init(), .init(notifyID: 1)], vringCount: 3) }
        #expect(finding(claimed, "vdev.truncated") != nil)
        #expect(finding(claimed, "vdev.too-many-vrings") == nil)
    }

    @Test func vendorAndUnknownTypesAreSkippedWithAWarning() {
        let b = Self.built {
            $0.resourceTable?.entries.insert(.raw(type: 200, payload: [0, 0, 0, 0]), at: 0)
            $0.resourceTable?.entries.insert(.raw(type: 5, payload: [1]), at: 0)
        }
        let report = FirmwareCheck.check(b)
        #expect(report.errors == [])
        let vendor = report.findings.first { $0.code == "vendor.unsupported" }
        #expect(vendor?.severity == .warning && vendor?.kernelLog == ["unsupported vendor resource 200"] && vendor?.index == 1)
        let unknown = report.findings.first { $0.code == "rsc.unknown-type" }
        #expect(unknown?.kernelLog == ["unsupported resource 5"] && unknown?.index == 0)
    }

    @Test func ignoredVendorEntryLastFailsClassicBoots() {
        // CLASSIC keeps RSC_IGNORED (1) as the walk's result when no core handler runs after it.
        let last = Self.built { $0.resourceTable?.entries.append(.raw(type: 300, payload: [0])) }
        let f = finding(last, "vendor.ignored-last")
        #expect(f?.kernels == ["6.1-classic", "6.12-classic"])
        #expect(f?.errno == nil)
        let first = Self.built { $0.resourceTable?.entries.insert(.raw(type: 300, payload: [0]), at: 0) }
        #expect(finding(first, "vendor.ignored-last") == nil)
        // An unknown type after it does not reset the result.
        let thenUnknown = Self.built {
            $0.resourceTable?.entries.append(.raw(type: 300, payload: [0]))
            $0.resourceTable?.entries.append(.raw(type: 9, payload: [0]))
        }
        #expect(finding(thenUnknown, "vendor.ignored-last") != nil)
    }
}
