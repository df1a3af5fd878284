// A test-side ELF writer: firmware images with any mix of segments, sections and resource-table
// entries, valid or with any defect, in either class and byte order.
//
//     let image = ElfBuilder.minimalRemoteproc().build()          // a valid rpmsg firmware
//     var b = ElfBuilder.minimalRemoteproc()
//     b.resourceTable?.entries.append(.devmem(da: 0x4a000000, pa: 0x4a000000, length: 0x1000))
//     b.header.programHeaderCount = 0                            // any header field can be forced
//     b.patches.append(.init(offset: 5, bytes: [2]))             // and any byte
//     let broken = b.build()

import RprocFirmware

/// Builds ELF firmware images for tests.
public struct ElfBuilder: Sendable {
    /// One program header with its file bytes.
    public struct Segment: Sendable {
        /// `p_type` (PT_LOAD = 1).
        public var type: UInt32
        /// `p_flags` (PF_X 1, PF_W 2, PF_R 4).
        public var flags: UInt32
        /// `p_vaddr`.
        public var virtualAddress: UInt64
        /// `p_paddr` (the kernel loads here).
        public var physicalAddress: UInt64
        /// The file bytes (`p_filesz` = count unless `fileSizeOverride`).
        public var data: [UInt8]
        /// `p_memsz`; nil = `data.count`.
        public var memorySize: UInt64?
        /// `p_align`.
        public var alignment: UInt64
        /// Forces `p_offset`.
        public var offsetOverride: UInt64?
        /// Forces `p_filesz`.
        public var fileSizeOverride: UInt64?
        /// Makes a segment loaded at `address` (both p_vaddr and p_paddr).
        public init(type: UInt32 = 1, flags: UInt32 = 5, address: UInt64, physicalAddress: UInt64? = nil,
                    data: [UInt8], memorySize: UInt64? = nil, alignment: UInt64 = 4) {
            self.type = type
            self.flags = flags
            self.virtualAddress = address
            self.physicalAddress = physicalAddress ?? address
            self.data = data
            self.memorySize = memorySize
            self.alignment = alignment
        }
    }

    /// Where a section's bytes are.
    public enum SectionContents: Sendable {
        /// Bytes of its own, placed after the segments.
        case bytes([UInt8])
        /// A range of a segment's bytes (`sh_offset` = segment offset + `offset`); `size` nil = rest.
        case inSegment(Int, offset: Int, size: Int?)
        /// No file bytes (`SHT_NOBITS`-like) but this `sh_size`.
        case empty(size: UInt64)
    }

    /// One section header.
    public struct Section: Sendable {
        /// The name written to `.shstrtab`.
        public var name: String
        /// `sh_type` (PROGBITS 1, NOBITS 8).
        public var type: UInt32
        /// `sh_flags` (SHF_WRITE 1, SHF_ALLOC 2, SHF_EXECINSTR 4).
        public var flags: UInt64
        /// `sh_addr`; nil = the segment's p_vaddr + offset for `inSegment`, else 0.
        public var address: UInt64?
        /// Where its bytes are.
        public var contents: SectionContents
        /// Forces `sh_offset`.
        public var offsetOverride: UInt64?
        /// Forces `sh_size`.
        public var sizeOverride: UInt64?
        /// Forces `sh_name`.
        public var nameOffsetOverride: UInt32?
        /// Makes a section.
        public init(name: String, type: UInt32 = 1, flags: UInt64 = 2, address: UInt64? = nil,
                    contents: SectionContents) {
            self.name = name
            self.type = type
            self.flags = flags
            self.address = address
            self.contents = contents
        }
    }

    /// ELF header fields; nil fields are computed from the layout.
    public struct Header: Sendable {
        /// `EI_CLASS` override (any byte).
        public var identClass: UInt8?
        /// `EI_DATA` override (any byte).
        public var identData: UInt8?
        /// `e_type`.
        public var type: UInt16 = 2
        /// `e_machine`.
        public var machine: UInt16 = ElfMachine.arm.rawValue
        /// `e_entry`.
        public var entry: UInt64 = 0
        /// `e_flags`.
        public var flags: UInt32 = 0
        /// `e_phoff` override.
        public var programHeaderOffset: UInt64?
        /// `e_shoff` override.
        public var sectionHeaderOffset: UInt64?
        /// `e_phentsize` override.
        public var programHeaderEntrySize: UInt16?
        /// `e_phnum` override.
        public var programHeaderCount: UInt16?
        /// `e_shentsize` override.
        public var sectionHeaderEntrySize: UInt16?
        /// `e_shnum` override.
        public var sectionHeaderCount: UInt16?
        /// `e_shstrndx` override.
        public var sectionNameTableIndex: UInt16?
        /// Makes default header fields (ET_EXEC, EM_ARM, entry 0).
        public init() {}
    }

    /// Bytes written over the finished image (may extend it).
    public struct Patch: Sendable {
        /// File offset.
        public var offset: Int
        /// The bytes.
        public var bytes: [UInt8]
        /// Makes a patch.
        public init(offset: Int, bytes: [UInt8]) {
            self.offset = offset
            self.bytes = bytes
        }
    }

    /// ELF32 or ELF64.
    public var elfClass: ElfClass
    /// Byte order of every multi-byte field.
    public var byteOrder: ByteOrder
    /// Header fields and overrides.
    public var header = Header()
    /// Program headers, in order.
    public var segments: [Segment] = []
    /// Sections after the null section; `.shstrtab` is appended last automatically.
    public var sections: [Section] = []
    /// A resource table to place; see `resourceTablePlacement`.
    public var resourceTable: ResourceTableBuilder?
    /// Where the resource table goes: in a new PT_LOAD segment at this address (default), or, when
    /// nil, in a section of its own that no segment loads.
    public var resourceTableAddress: UInt64? = 0x1000_8000
    /// Raw bytes written last.
    public var patches: [Patch] = []
    /// Bytes appended at the very end (e.g. to make a large image).
    public var trailingBytes = 0

    /// Makes an empty builder.
    public init(elfClass: ElfClass = .elf32, byteOrder: ByteOrder = .little) {
        self.elfClass = elfClass
        self.byteOrder = byteOrder
    }

    /// A valid remoteproc firmware: code loaded at `loadAddress` (0x10000000), and a resource table
    /// with a carveout covering the image, a trace buffer and an rpmsg vdev (2 vrings of 16, align 16,
    /// dfeatures 1), in its own loaded segment at `loadAddress + 0x8000`.
    public static func minimalRemoteproc(elfClass: ElfClass = .elf32, byteOrder: ByteOrder = .little,
                                         machine: ElfMachine = .arm, loadAddress: UInt64 = 0x1000_0000) -> ElfBuilder {
        var b = ElfBuilder(elfClass: elfClass, byteOrder: byteOrder)
        b.header.machine = machine.rawValue
        b.header.entry = loadAddress
        let code = (0 ..< 256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        b.segments.append(Segment(flags: 5, address: loadAddress, data: code, memorySize: 0x1000))
        b.sections.append(Section(name: ".text", flags: 6, contents: .inSegment(0, offset: 0, size: nil)))
        b.resourceTableAddress = loadAddress + 0x8000
        let da = UInt32(truncatingIfNeeded: loadAddress)
        b.resourceTable = ResourceTableBuilder(entries: [
            .carveout(da: da, pa: da, length: 0x10_0000, name: "fw-mem"),
            .trace(da: da &+ 0x9000, length: 0x1000, name: "trace0"),
            .vdev(id: 7, dfeatures: 1, vrings: [
                .init(da: resourceAddressAny, align: 16, count: 16, notifyID: 0),
                .init(da: resourceAddressAny, align: 16, count: 16, notifyID: 1),
            ]),
        ])
        return b
    }

    // MARK: Writing

    /// Lays the image out and writes it: ELF header, program headers, segment bytes, section bytes,
    /// `.shstrtab`, section headers; then the patches.
    public func build() -> [UInt8] {
        var w = ByteWriter(order: byteOrder)
        let wide = elfClass == .elf64
        let ehsize = elfClass.headerSize, phsize = elfClass.programHeaderSize, shsize = elfClass.sectionHeaderSize
        var segments = self.segments
        var sections = self.sections
        if let table = resourceTable {
            let bytes = table.bytes(order: byteOrder)
            if let address = resourceTableAddress {
                segments.append(Segment(flags: 6, address: address, data: bytes))
                sections.append(Section(name: ".resource_table", flags: 3,
                                        contents: .inSegment(segments.count - 1, offset: 0, size: nil)))
            } else {
                sections.append(Section(name: ".resource_table", flags: 0, address: 0, contents: .bytes(bytes)))
            }
        }
        // Layout.
        var cursor = ehsize + phsize * segments.count
        var segmentOffsets: [Int] = []
        for s in segments {
            cursor = align(cursor, 16)
            segmentOffsets.append(cursor)
            cursor += s.data.count
        }
        var strtab: [UInt8] = [0]
        var nameOffsets: [UInt32] = []
        for s in sections + [Section(name: ".shstrtab", type: 3, flags: 0, contents: .bytes([]))] {
            nameOffsets.append(UInt32(strtab.count))
            strtab += Array(s.name.utf8) + [0]
        }
        sections.append(Section(name: ".shstrtab", type: 3, flags: 0, address: 0, contents: .bytes(strtab)))
        var sectionPlaces: [(offset: UInt64, size: UInt64, address: UInt64)] = []
        for s in sections {
            switch s.contents {
            case .bytes(let bytes):
                cursor = align(cursor, 4)
                sectionPlaces.append((UInt64(cursor), UInt64(bytes.count), s.address ?? 0))
                cursor += bytes.count
            case .inSegment(let i, let offset, let size):
                let seg = segments[i]
                sectionPlaces.append((UInt64(segmentOffsets[i] + offset), UInt64(size ?? (seg.data.count - offset)),
                                      s.address ?? seg.virtualAddress + UInt64(offset)))
            case .empty(let size):
                sectionPlaces.append((UInt64(cursor), size, s.address ?? 0))
            }
        }
        cursor = align(cursor, 8)
        let shoff = cursor
        let shnum = sections.count + 1
        let total = shoff + shnum * shsize

        w.bytes = [UInt8](repeating: 0, count: total)
        // ELF header.
        w.put(at: 0, [0x7f, 0x45, 0x4c, 0x46, header.identClass ?? elfClass.rawValue, header.identData ?? byteOrder.rawValue, 1])
        w.u16(at: 16, header.type)
        w.u16(at: 18, header.machine)
        w.u32(at: 20, 1)
        var o = 24
        w.word(at: o, header.entry, wide); o += wide ? 8 : 4
        w.word(at: o, header.programHeaderOffset ?? (segments.isEmpty ? 0 : UInt64(ehsize)), wide); o += wide ? 8 : 4
        w.word(at: o, header.sectionHeaderOffset ?? UInt64(shoff), wide); o += wide ? 8 : 4
        w.u32(at: o, header.flags)
        w.u16(at: o + 4, UInt16(ehsize))
        w.u16(at: o + 6, header.programHeaderEntrySize ?? UInt16(phsize))
        w.u16(at: o + 8, header.programHeaderCount ?? UInt16(segments.count))
        w.u16(at: o + 10, header.sectionHeaderEntrySize ?? UInt16(shsize))
        w.u16(at: o + 12, header.sectionHeaderCount ?? UInt16(shnum))
        w.u16(at: o + 14, header.sectionNameTableIndex ?? UInt16(shnum - 1))
        // Program headers and segment bytes.
        for (i, s) in segments.enumerated() {
            let p = ehsize + i * phsize
            let off = s.offsetOverride ?? UInt64(segmentOffsets[i])
            let filesz = s.fileSizeOverride ?? UInt64(s.data.count)
            let memsz = s.memorySize ?? UInt64(s.data.count)
            w.u32(at: p, s.type)
            if wide {
                w.u32(at: p + 4, s.flags)
                for (k, v) in [off, s.virtualAddress, s.physicalAddress, filesz, memsz, s.alignment].enumerated() {
                    w.u64(at: p + 8 + 8 * k, v)
                }
            } else {
                for (k, v) in [off, s.virtualAddress, s.physicalAddress, filesz, memsz].enumerated() {
                    w.u32(at: p + 4 + 4 * k, UInt32(truncatingIfNeeded: v))
                }
                w.u32(at: p + 24, s.flags)
                w.u32(at: p + 28, UInt32(truncatingIfNeeded: s.alignment))
            }
            w.put(at: segmentOffsets[i], s.data)
        }
        // Section bytes and headers (index 0 stays the null section).
        for (i, s) in sections.enumerated() {
            let place = sectionPlaces[i]
            if case .bytes(let bytes) = s.contents { w.put(at: Int(place.offset), bytes) }
            let h = shoff + (i + 1) * shsize
            let fields: [UInt64] = [UInt64(s.nameOffsetOverride ?? nameOffsets[i]), UInt64(s.type), s.flags, place.address,
                                    s.offsetOverride ?? place.offset, s.sizeOverride ?? place.size, 0, 0, 4, 0]
            var at = h
            for (k, v) in fields.enumerated() {
                // sh_name, sh_type, sh_link, sh_info are 32-bit in both classes.
                let narrow = !wide || k == 0 || k == 1 || k == 6 || k == 7
                if narrow { w.u32(at: at, UInt32(truncatingIfNeeded: v)); at += 4 } else { w.u64(at: at, v); at += 8 }
            }
        }
        w.bytes += [UInt8](repeating: 0, count: trailingBytes)
        for p in patches { w.put(at: p.offset, p.bytes) }
        return w.bytes
    }

    private func align(_ v: Int, _ a: Int) -> Int { (v + a - 1) / a * a }
}

/// A resource table to write, with any entry and any defect.
public struct ResourceTableBuilder: Sendable {
    /// One vring.
    public struct VringSpec: Sendable {
        /// `da`.
        public var da: UInt32
        /// `align`.
        public var align: UInt32
        /// `num`.
        public var count: UInt32
        /// `notifyid`.
        public var notifyID: UInt32
        /// `pa`.
        public var pa: UInt32
        /// Makes a vring.
        public init(da: UInt32 = resourceAddressAny, align: UInt32 = 16, count: UInt32 = 16, notifyID: UInt32 = 0,
                    pa: UInt32 = 0) {
            self.da = da
            self.align = align
            self.count = count
            self.notifyID = notifyID
            self.pa = pa
        }
    }

    /// One entry.
    public enum Entry: Sendable {
        /// `RSC_CARVEOUT`.
        case carveout(da: UInt32, pa: UInt32 = 0, length: UInt32, flags: UInt32 = 0, reserved: UInt32 = 0, name: String)
        /// `RSC_DEVMEM`.
        case devmem(da: UInt32, pa: UInt32, length: UInt32, flags: UInt32 = 0, reserved: UInt32 = 0, name: String = "devmem")
        /// `RSC_TRACE`.
        case trace(da: UInt32, length: UInt32, reserved: UInt32 = 0, name: String)
        /// `RSC_VDEV`; `vringCount` forces `num_of_vrings`, `configLength` forces `config_len`.
        case vdev(id: UInt32 = 7, notifyID: UInt32 = 0, dfeatures: UInt32 = 1, gfeatures: UInt32 = 0,
                  config: [UInt8] = [], status: UInt8 = 0, vrings: [VringSpec], reserved: [UInt8] = [0, 0],
                  vringCount: UInt8? = nil, configLength: UInt32? = nil)
        /// Any type word followed by any bytes (vendor, unknown, or a deliberately short known type).
        case raw(type: UInt32, payload: [UInt8])
    }

    /// `ver`.
    public var version: UInt32 = 1
    /// `reserved[2]`.
    public var reserved: [UInt32] = [0, 0]
    /// The entries, laid out after the offset array in order.
    public var entries: [Entry]
    /// Forces `num`.
    public var countOverride: UInt32?
    /// Forces the offset array (its length is still `entries.count` unless longer).
    public var offsetsOverride: [UInt32]?
    /// Cuts the table to this many bytes (after layout).
    public var truncateTo: Int?
    /// Zero bytes appended after the last entry.
    public var padding = 0

    /// Makes a table.
    public init(entries: [Entry] = []) { self.entries = entries }

    /// The table's bytes in `order`.
    public func bytes(order: ByteOrder = .little) -> [UInt8] {
        var w = ByteWriter(order: order)
        var body: [[UInt8]] = []
        for e in entries {
            var b = ByteWriter(order: order)
            switch e {
            case .carveout(let da, let pa, let len, let flags, let res, let name):
                b.append32(0); b.append32(da); b.append32(pa); b.append32(len); b.append32(flags); b.append32(res)
                b.appendName(name)
            case .devmem(let da, let pa, let len, let flags, let res, let name):
                b.append32(1); b.append32(da); b.append32(pa); b.append32(len); b.append32(flags); b.append32(res)
                b.appendName(name)
            case .trace(let da, let len, let res, let name):
                b.append32(2); b.append32(da); b.append32(len); b.append32(res); b.appendName(name)
            case .vdev(let id, let nid, let df, let gf, let config, let status, let vrings, let res, let count, let cl):
                b.append32(3); b.append32(id); b.append32(nid); b.append32(df); b.append32(gf)
                b.append32(cl ?? UInt32(config.count))
                b.bytes += [status, count ?? UInt8(truncatingIfNeeded: vrings.count)] + res
                for v in vrings {
                    b.append32(v.da); b.append32(v.align); b.append32(v.count); b.append32(v.notifyID); b.append32(v.pa)
                }
                b.bytes += config
            case .raw(let type, let payload):
                b.append32(type); b.bytes += payload
            }
            body.append(b.bytes)
        }
        w.append32(version)
        w.append32(countOverride ?? UInt32(entries.count))
        for r in reserved { w.append32(r) }
        var offsets: [UInt32] = []
        var at = 16 + 4 * max(entries.count, offsetsOverride?.count ?? 0)
        for b in body {
            offsets.append(UInt32(at))
            at += b.count
        }
        let written = offsetsOverride ?? offsets
        for o in written { w.append32(o) }
        for _ in written.count ..< max(written.count, entries.count) { w.append32(0) }
        for b in body { w.bytes += b }
        w.bytes += [UInt8](repeating: 0, count: padding)
        if let n = truncateTo { w.bytes = Array(w.bytes.prefix(n)) }
        return w.bytes
    }
}

/// Writes integers in one byte order into a growable byte array.
struct ByteWriter {
    var order: ByteOrder
    var bytes: [UInt8] = []

    init(order: ByteOrder) { self.order = order }

    private func encode<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        let x = order == .little ? v.littleEndian : v.bigEndian
        return withUnsafeBytes(of: x) { Array($0) }
    }

    mutating func put(at offset: Int, _ data: [UInt8]) {
        if bytes.count < offset + data.count { bytes += [UInt8](repeating: 0, count: offset + data.count - bytes.count) }
        bytes.replaceSubrange(offset ..< offset + data.count, with: data)
    }

    mutating func u16(at o: Int, _ v: UInt16) { put(at: o, encode(v)) }
    mutating func u32(at o: Int, _ v: UInt32) { put(at: o, encode(v)) }
    mutating func u64(at o: Int, _ v: UInt64) { put(at: o, encode(v)) }
    mutating func word(at o: Int, _ v: UInt64, _ wide: Bool) {
        if wide { u64(at: o, v) } else { u32(at: o, UInt32(truncatingIfNeeded: v)) }
    }
    mutating func append32(_ v: UInt32) { bytes += encode(v) }
    mutating func appendName(_ name: String) {
        var n = Array(name.utf8.prefix(32))
        n += [UInt8](repeating: 0, count: 32 - n.count)
        bytes += n
    }
}

extension ElfBuilder {
    /// Writes `value` as a 32-bit field at `offset` in the builder's byte order (a patch).
    public mutating func patch32(at offset: Int, _ value: UInt32) {
        var w = ByteWriter(order: byteOrder)
        w.append32(value)
        patches.append(Patch(offset: offset, bytes: w.bytes))
    }
}
