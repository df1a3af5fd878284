// ELF headers, program headers and section headers, read through `ByteReader`.
//
// The program and section header tables are read with the stride of the native structs
// (`sizeof(Elf32_Phdr)` …), as the kernel's `remoteproc_elf_helpers.h` does, whatever
// `e_phentsize`/`e_shentsize` say; a different entsize is a validation warning. Counts are capped
// by what fits in the buffer, so a hostile `e_phnum`/`e_shnum` never causes a large allocation.

/// The ELF file header (`Elf32_Ehdr` / `Elf64_Ehdr`), widened to 64 bits.
public struct ElfHeader: Hashable, Sendable {
    /// `EI_CLASS`.
    public var elfClass: ElfClass
    /// `EI_DATA`.
    public var byteOrder: ByteOrder
    /// `EI_VERSION` (1 for current).
    public var identVersion: UInt8
    /// `EI_OSABI`.
    public var osABI: UInt8
    /// `EI_ABIVERSION`.
    public var abiVersion: UInt8
    /// `e_type`.
    public var type: ElfType
    /// `e_machine`.
    public var machine: ElfMachine
    /// `e_version`.
    public var version: UInt32
    /// `e_entry`: the boot address the kernel hands to the driver (`rproc_elf_get_boot_addr`).
    public var entry: UInt64
    /// `e_phoff`.
    public var programHeaderOffset: UInt64
    /// `e_shoff`.
    public var sectionHeaderOffset: UInt64
    /// `e_flags`.
    public var flags: UInt32
    /// `e_ehsize`.
    public var headerSize: UInt16
    /// `e_phentsize` (the kernel ignores it and uses the native size).
    public var programHeaderEntrySize: UInt16
    /// `e_phnum`.
    public var programHeaderCount: UInt16
    /// `e_shentsize` (the kernel ignores it and uses the native size).
    public var sectionHeaderEntrySize: UInt16
    /// `e_shnum`.
    public var sectionHeaderCount: UInt16
    /// `e_shstrndx`.
    public var sectionNameTableIndex: UInt16
}

/// One program header (`Elf32_Phdr` / `Elf64_Phdr`), widened to 64 bits.
public struct ProgramHeader: Hashable, Sendable {
    /// Position in the program header table.
    public var index: Int
    /// File offset of this header itself.
    public var headerOffset: UInt64
    /// `p_type`.
    public var type: SegmentType
    /// `p_flags` (`PF_X` 1, `PF_W` 2, `PF_R` 4).
    public var flags: UInt32
    /// `p_offset`.
    public var offset: UInt64
    /// `p_vaddr`.
    public var virtualAddress: UInt64
    /// `p_paddr`: the device address the kernel loads the segment at.
    public var physicalAddress: UInt64
    /// `p_filesz`.
    public var fileSize: UInt64
    /// `p_memsz`.
    public var memorySize: UInt64
    /// `p_align`.
    public var alignment: UInt64

    /// True for what `rproc_elf_load_segments` loads: `PT_LOAD` with `p_memsz` ≠ 0.
    public var isLoaded: Bool { type == .load && memorySize != 0 }
}

/// One section header (`Elf32_Shdr` / `Elf64_Shdr`), widened to 64 bits, with its name.
public struct SectionHeader: Hashable, Sendable {
    /// Position in the section header table.
    public var index: Int
    /// File offset of this header itself.
    public var headerOffset: UInt64
    /// `sh_name`: offset of the name in the section-name string table.
    public var nameOffset: UInt32
    /// The bytes of the NUL-terminated name (without the NUL) read, bounds-checked, from the
    /// section-name string table; nil when that table or the terminating NUL is not inside the file
    /// (or the name is longer than 4 KiB).
    public var nameBytes: ArraySlice<UInt8>?
    /// The name as text (invalid UTF-8 repaired), decoded from `nameBytes` on each access.
    public var name: String? { nameBytes.map { String(decoding: $0, as: UTF8.self) } }
    /// True when the name is exactly `name`, compared without decoding.
    public func hasName(_ name: String) -> Bool { nameBytes.map { $0.elementsEqual(name.utf8) } ?? false }
    /// `sh_type`.
    public var type: SectionType
    /// `sh_flags`.
    public var flags: UInt64
    /// `sh_addr`: where the kernel looks for the loaded table (`rproc_elf_find_loaded_rsc_table`).
    public var address: UInt64
    /// `sh_offset`.
    public var offset: UInt64
    /// `sh_size`.
    public var size: UInt64
    /// `sh_link`.
    public var link: UInt32
    /// `sh_info`.
    public var info: UInt32
    /// `sh_addralign`.
    public var alignment: UInt64
    /// `sh_entsize`.
    public var entrySize: UInt64
}

/// The section name the kernel looks for (`find_table`, elf_loader.c): `.resource_table`.
public let resourceTableSectionName = ".resource_table"

/// A parsed firmware image: ELF header, every program and section header that fits in the buffer,
/// and the first `.resource_table` section decoded.
///
/// Parsing reads only the headers and the table, never the segment contents, so its cost does not
/// grow with the file size (an mmapped 64 MiB image costs what a 4 KiB one does). The value does
/// not keep the buffer.
public struct FirmwareImage: Hashable, Sendable {
    /// Size of the parsed buffer in bytes (`fw->size`).
    public var size: Int
    /// The ELF header.
    public var header: ElfHeader
    /// Program headers `0 ..< e_phnum` that lie inside the buffer (fewer than `e_phnum` when the
    /// table runs past the end; see `programHeadersComplete`).
    public var programHeaders: [ProgramHeader]
    /// Section headers `0 ..< e_shnum` that lie inside the buffer.
    public var sectionHeaders: [SectionHeader]
    /// The first section named `.resource_table` (as the kernel picks it), decoded; nil when the image
    /// has no such section.
    public var resourceTable: ResourceTable?

    /// Parses an image from a byte buffer (e.g. an mmapped file). Reads only headers and the table.
    /// - Parameter buffer: the whole image.
    /// - Throws: `FirmwareError` when the buffer is not ELF, its class or byte order byte is unusable,
    ///   or its ELF header is cut short. Nothing else throws.
    public init(parsing buffer: UnsafeRawBufferPointer) throws(FirmwareError) {
        let size = buffer.count
        let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]
        guard size >= 4, buffer[0] == magic[0], buffer[1] == magic[1], buffer[2] == magic[2],
              buffer[3] == magic[3]
        else { throw .notELF(size: size, leadingBytes: Array(buffer.prefix(4))) }
        guard size >= 6 else {
            throw .truncated(what: "ELF identification", offset: 0, needed: 16, present: UInt64(size))
        }
        guard let elfClass = ElfClass(rawValue: buffer[4]) else {
            throw .badIdentification(field: "EI_CLASS", offset: 4, value: buffer[4])
        }
        guard let order = ByteOrder(rawValue: buffer[5]) else {
            throw .badIdentification(field: "EI_DATA", offset: 5, value: buffer[5])
        }
        guard size >= elfClass.headerSize else {
            throw .truncated(what: "\(elfClass) header", offset: 0, needed: UInt64(elfClass.headerSize),
                             present: UInt64(size))
        }
        let r = ByteReader(buffer: buffer, order: order)
        let header = Self.readHeader(r, elfClass)
        self.size = size
        self.header = header
        self.programHeaders = Self.readProgramHeaders(r, header)
        self.sectionHeaders = Self.readSectionHeaders(r, header)
        if let section = sectionHeaders.first(where: { $0.hasName(resourceTableSectionName) }) {
            self.resourceTable = ResourceTable(section: section, image: r)
        } else {
            self.resourceTable = nil
        }
    }

    /// Parses an image held in an array; see `init(parsing:)` for the buffer form.
    /// - Throws: `FirmwareError`, as `init(parsing:)`.
    public init(parsing bytes: [UInt8]) throws(FirmwareError) {
        let result: Result<FirmwareImage, FirmwareError> = bytes.withUnsafeBytes { buffer in
            do throws(FirmwareError) { return .success(try FirmwareImage(parsing: buffer)) } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// True when every one of the `e_phnum` program headers lies inside the file.
    public var programHeadersComplete: Bool { programHeaders.count == Int(header.programHeaderCount) }
    /// True when every one of the `e_shnum` section headers lies inside the file.
    public var sectionHeadersComplete: Bool { sectionHeaders.count == Int(header.sectionHeaderCount) }
    /// The segments the kernel loads (`PT_LOAD` with `p_memsz` ≠ 0), in table order.
    public var loadedSegments: [ProgramHeader] { programHeaders.filter(\.isLoaded) }
    /// The section-name string table (`e_shstrndx`), when that index names a header inside the file.
    public var sectionNameTable: SectionHeader? {
        let i = Int(header.sectionNameTableIndex)
        return i < sectionHeaders.count ? sectionHeaders[i] : nil
    }

    // MARK: Reading

    private static func readHeader(_ r: ByteReader, _ c: ElfClass) -> ElfHeader {
        // Offsets of the fields after e_ident/e_type/e_machine/e_version (16…19 are shared).
        let wide = c == .elf64
        let w: UInt64 = wide ? 8 : 4
        let entry: UInt64 = 24, phoff = entry + w, shoff = phoff + w, flags = shoff + w
        // The caller checked the header size, so every read below succeeds; `?? 0` only keeps them total.
        return ElfHeader(
            elfClass: c, byteOrder: r.order, identVersion: r.u8(6) ?? 0, osABI: r.u8(7) ?? 0,
            abiVersion: r.u8(8) ?? 0, type: ElfType(rawValue: r.u16(16) ?? 0),
            machine: ElfMachine(rawValue: r.u16(18) ?? 0), version: r.u32(20) ?? 0,
            entry: r.address(entry, wide: wide) ?? 0, programHeaderOffset: r.address(phoff, wide: wide) ?? 0,
            sectionHeaderOffset: r.address(shoff, wide: wide) ?? 0, flags: r.u32(flags) ?? 0,
            headerSize: r.u16(flags + 4) ?? 0, programHeaderEntrySize: r.u16(flags + 6) ?? 0,
            programHeaderCount: r.u16(flags + 8) ?? 0, sectionHeaderEntrySize: r.u16(flags + 10) ?? 0,
            sectionHeaderCount: r.u16(flags + 12) ?? 0, sectionNameTableIndex: r.u16(flags + 14) ?? 0)
    }

    /// How many of `count` entries of `stride` bytes starting at `offset` fit in the buffer.
    static func fittingCount(_ r: ByteReader, offset: UInt64, stride: Int, count: Int) -> Int {
        Int(min(UInt64(count), r.available(from: offset) / UInt64(stride)))
    }

    private static func readProgramHeaders(_ r: ByteReader, _ h: ElfHeader) -> [ProgramHeader] {
        let stride = h.elfClass.programHeaderSize
        let n = fittingCount(r, offset: h.programHeaderOffset, stride: stride,
                             count: Int(h.programHeaderCount))
        var result: [ProgramHeader] = []
        result.reserveCapacity(n)
        for i in 0 ..< n {
            let o = h.programHeaderOffset + UInt64(i * stride)
            if let p = readProgramHeader(r, at: o, index: i, wide: h.elfClass == .elf64) { result.append(p) }
        }
        return result
    }

    static func readProgramHeader(_ r: ByteReader, at o: UInt64, index: Int, wide: Bool) -> ProgramHeader? {
        if wide {
            guard let type = r.u32(o), let flags = r.u32(o + 4), let off = r.u64(o + 8), let va = r.u64(o + 16),
                  let pa = r.u64(o + 24), let fs = r.u64(o + 32), let ms = r.u64(o + 40), let al = r.u64(o + 48)
            else { return nil }
            return ProgramHeader(index: index, headerOffset: o, type: SegmentType(rawValue: type), flags: flags,
                                 offset: off, virtualAddress: va, physicalAddress: pa, fileSize: fs,
                                 memorySize: ms, alignment: al)
        }
        guard let type = r.u32(o), let off = r.u32(o + 4), let va = r.u32(o + 8), let pa = r.u32(o + 12),
              let fs = r.u32(o + 16), let ms = r.u32(o + 20), let flags = r.u32(o + 24), let al = r.u32(o + 28)
        else { return nil }
        return ProgramHeader(index: index, headerOffset: o, type: SegmentType(rawValue: type), flags: flags,
                             offset: UInt64(off), virtualAddress: UInt64(va), physicalAddress: UInt64(pa),
                             fileSize: UInt64(fs), memorySize: UInt64(ms), alignment: UInt64(al))
    }

    private static func readSectionHeaders(_ r: ByteReader, _ h: ElfHeader) -> [SectionHeader] {
        let stride = h.elfClass.sectionHeaderSize
        let wide = h.elfClass == .elf64
        let n = fittingCount(r, offset: h.sectionHeaderOffset, stride: stride,
                             count: Int(h.sectionHeaderCount))
        // The name table is located through its header even when e_shstrndx ≥ e_shnum (as the kernel
        // reads it), provided that header lies in the file.
        let strtabHeader = UInt64(stride).multipliedReportingOverflow(by: UInt64(h.sectionNameTableIndex))
        var names: (offset: UInt64, end: UInt64)?
        if !strtabHeader.overflow,
           case let (at, overflow) = h.sectionHeaderOffset.addingReportingOverflow(strtabHeader.partialValue),
           !overflow, let s = readSectionHeader(r, at: at, index: 0, wide: wide) {
            let (end, o2) = s.offset.addingReportingOverflow(s.size)
            if r.contains(s.offset, 0) { names = (s.offset, o2 ? UInt64.max : end) }
        }
        var result: [SectionHeader] = []
        result.reserveCapacity(n)
        var nameRanges: [Range<Int>?] = []
        nameRanges.reserveCapacity(n)
        for i in 0 ..< n {
            let o = h.sectionHeaderOffset + UInt64(i * stride)
            guard let s = readSectionHeader(r, at: o, index: i, wide: wide) else { continue }
            result.append(s)
            var range: Range<Int>?
            if let names, case let (start, overflow) = names.offset.addingReportingOverflow(UInt64(s.nameOffset)),
               !overflow {
                range = r.cStringRange(at: start, limit: min(names.end, start &+ UInt64(maximumNameLength)))
            }
            nameRanges.append(range)
        }
        // One copy of the bytes all names span, shared by every header's `nameBytes` slice (no
        // allocation per name); a hostile spread-out table falls back to one copy per name.
        let present = nameRanges.compactMap { $0 }
        if let low = present.map(\.lowerBound).min(), let high = present.map(\.upperBound).max() {
            let shared = high - low <= 1 << 20 ? Array(r.buffer[low ..< high]) : nil
            for i in result.indices {
                guard let range = nameRanges[i] else { continue }
                if let shared {
                    result[i].nameBytes = shared[(range.lowerBound - low) ..< (range.upperBound - low)]
                } else {
                    result[i].nameBytes = Array(r.buffer[range])[...]
                }
            }
        }
        return result
    }

    /// Names longer than this are treated as unreadable (bounds the NUL search per section).
    static let maximumNameLength = 4096

    private static func readSectionHeader(_ r: ByteReader, at o: UInt64, index: Int, wide: Bool) -> SectionHeader? {
        let nameOffset: UInt32, type: UInt32, flags: UInt64, addr: UInt64, off: UInt64, size: UInt64
        let link: UInt32, info: UInt32, align: UInt64, entsize: UInt64
        if wide {
            guard let n = r.u32(o), let t = r.u32(o + 4), let f = r.u64(o + 8), let a = r.u64(o + 16),
                  let of = r.u64(o + 24), let s = r.u64(o + 32), let l = r.u32(o + 40), let inf = r.u32(o + 44),
                  let al = r.u64(o + 48), let es = r.u64(o + 56)
            else { return nil }
            (nameOffset, type, flags, addr, off, size, link, info, align, entsize) = (n, t, f, a, of, s, l, inf, al, es)
        } else {
            guard let n = r.u32(o), let t = r.u32(o + 4), let f = r.u32(o + 8), let a = r.u32(o + 12),
                  let of = r.u32(o + 16), let s = r.u32(o + 20), let l = r.u32(o + 24), let inf = r.u32(o + 28),
                  let al = r.u32(o + 32), let es = r.u32(o + 36)
            else { return nil }
            (nameOffset, type, flags, addr, off, size) = (n, t, UInt64(f), UInt64(a), UInt64(of), UInt64(s))
            (link, info, align, entsize) = (l, inf, UInt64(al), UInt64(es))
        }
        return SectionHeader(index: index, headerOffset: o, nameOffset: nameOffset, nameBytes: nil,
                             type: SectionType(rawValue: type), flags: flags, address: addr, offset: off,
                             size: size, link: link, info: info, alignment: align, entrySize: entsize)
    }
}
