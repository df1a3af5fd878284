// The remoteproc core's firmware stages, in the kernel's order, for the virtual board's kernel model.
//
// Each stage mirrors one kernel function (named in its doc comment) and returns what the kernel
// returns plus the exact lines it logs, so a simulator can print them to its kmsg and return the
// errno from the `state` write. Order in `rproc_boot` → `rproc_fw_boot` → `rproc_start`:
// `sanityCheck` → `bootAddress` → `loadResourceTable` → `handleResources` → (carveout allocation,
// the simulator's) → `loadSegments` → `loadedResourceTableAddress` (copy the cached table there).

/// The level of a kernel log line (`dev_err`, `dev_warn`, `dev_info`).
public enum KernelLogLevel: Int, Hashable, Sendable {
    /// `KERN_ERR` (3).
    case error = 3
    /// `KERN_WARNING` (4).
    case warning = 4
    /// `KERN_INFO` (6).
    case info = 6
}

/// One line the kernel logs against `remoteprocN` (without the device prefix and newline).
public struct KernelLogLine: Hashable, Sendable, CustomStringConvertible {
    /// The printk level.
    public var level: KernelLogLevel
    /// The text, formatted exactly as the kernel's format string formats it.
    public var text: String
    /// Makes a line.
    public init(_ level: KernelLogLevel, _ text: String) {
        self.level = level
        self.text = text
    }
    /// The text.
    public var description: String { text }
}

/// A stage the kernel refused: its return value, the lines it logged and which check it was.
public struct KernelFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable finding code of the check (`"rsc.truncated"`); see `Finding.code`.
    public var code: String
    /// The kernel's return value: a negative errno (`-22`), or in one CLASSIC quirk `1` (see
    /// `vendor.ignored-last`).
    public var returnValue: Int32
    /// Every line the kernel logs for this failure, in order (may be empty: a missing resource table
    /// and devmem without IOMMU fail silently).
    public var log: [KernelLogLine]
    /// File offset (ELF and segment checks) or offset inside the table (`handleResources`, which sees only
    /// the table) of the offending bytes.
    public var offset: UInt64?
    /// The resource-table entry index or program-header index concerned.
    public var index: Int?
    /// What the check found and what to change in the image, one or two sentences.
    public var detail: String

    /// The errno for a negative return value; nil for the positive CLASSIC quirk.
    public var errno: KernelErrno? { returnValue < 0 ? KernelErrno(rawValue: -returnValue) : nil }

    /// `code: detail`.
    public var description: String { "\(code): \(detail)" }

    init(_ code: String, _ errno: KernelErrno = .EINVAL, log: [String], offset: UInt64? = nil, index: Int? = nil,
         _ detail: String) {
        self.code = code
        self.returnValue = -errno.rawValue
        self.log = log.map { KernelLogLine(.error, $0) }
        self.offset = offset
        self.index = index
        self.detail = detail
    }
}

/// A device-address range the processor can reach (a driver memory region or an allocated carveout).
public struct MemoryRegion: Hashable, Sendable {
    /// First device address.
    public var da: UInt64
    /// Length in bytes.
    public var length: UInt64
    /// Makes a region.
    public init(da: UInt64, length: UInt64) {
        self.da = da
        self.length = length
    }
    /// The kernel's containment test (`rproc_da_to_va` for carveouts): `da ≥ region.da` and
    /// `da - region.da + length ≤ region.length`, without overflow.
    public func contains(da: UInt64, length: UInt64) -> Bool {
        guard da >= self.da else { return false }
        let (end, o) = (da - self.da).addingReportingOverflow(length)
        return !o && end <= self.length
    }
}

/// A segment to copy into device memory (`rproc_elf_load_segments`): copy `fileRange` of the image
/// to `da`, then zero up to `memorySize`.
public struct SegmentLoad: Hashable, Sendable {
    /// Program-header index.
    public var index: Int
    /// Device address (`p_paddr`).
    public var da: UInt64
    /// The `p_filesz` bytes of the image to copy (`p_offset ..< p_offset + p_filesz`).
    public var fileRange: Range<Int>
    /// `p_memsz`: bytes to fill at `da` (the rest after the file bytes is zeroed).
    public var memorySize: UInt64
}

/// A carveout the core registers for allocation (`rproc_handle_carveout`).
public struct PlannedCarveout: Hashable, Sendable {
    /// Entry index in the table.
    public var entryIndex: Int
    /// Offset of the carveout struct (after the type word) in the table: where the host writes back
    /// `pa`, `da`, `len` (`rsc_offset`).
    public var tableOffset: Int
    /// The entry as found in the table.
    public var resource: MemoryResource
}

/// A devmem mapping the core asks the IOMMU for (`rproc_handle_devmem`).
public struct PlannedMapping: Hashable, Sendable {
    /// Entry index in the table.
    public var entryIndex: Int
    /// The entry.
    public var resource: MemoryResource
}

/// A trace buffer the core exposes as debugfs `trace<index>` (`rproc_handle_trace`).
public struct PlannedTrace: Hashable, Sendable {
    /// Entry index in the table.
    public var entryIndex: Int
    /// The running trace number k of `trace<k>`.
    public var index: Int
    /// The entry.
    public var resource: TraceResource
}

/// A virtio device the core registers as `rproc-virtio.<K>.auto` (`rproc_handle_vdev`).
public struct PlannedVdev: Hashable, Sendable {
    /// Entry index in the table.
    public var entryIndex: Int
    /// The running vdev number (`rvdev->index`, `nb_vdev++`): names carveouts `vdev<i>vring<j>`.
    public var index: Int
    /// Offset of the vdev struct (after the type word) in the table (`rsc_offset`).
    public var tableOffset: Int
    /// The entry.
    public var device: VirtioDevice
    /// When a vring has `num == 0` or `align == 0`: the line the virtio probe logs ("invalid qsz (%d)
    /// or alignment (%d)") and fails with `-EINVAL`. The boot continues without this virtio device
    /// (the kernel also logs "probe of rproc-virtio.K.auto failed with error -22", K being the
    /// platform-device id the simulator allocates). Nil when the probe succeeds.
    public var probeFailure: KernelLogLine?
}

/// What `rproc_handle_resources` set up from a table that it accepted.
public struct ResourcePlan: Hashable, Sendable {
    /// Carveouts to allocate, in table order.
    public var carveouts: [PlannedCarveout] = []
    /// Devmem entries mapped (only with an IOMMU).
    public var mappings: [PlannedMapping] = []
    /// Trace buffers.
    public var traces: [PlannedTrace] = []
    /// Virtio devices.
    public var vdevs: [PlannedVdev] = []
    /// Lines logged while handling (warnings for skipped types), in order.
    public var log: [KernelLogLine] = []
}

/// What a driver's `handle_rsc` op does with a vendor resource (128…512). Mirrors `enum rsc_handling_status`.
public enum VendorResourceResult: Hashable, Sendable {
    /// `RSC_HANDLED` (0).
    case handled
    /// `RSC_IGNORED` (1): the core warns "unsupported vendor resource %d".
    case ignored
    /// A negative errno: the core aborts with it.
    case failed(KernelErrno)
}

/// The remoteproc core's firmware stages for one kernel profile.
public struct KernelLoader: Sendable {
    /// The kernel whose checks apply.
    public var profile: KernelProfile
    /// The byte order of the board's kernel (`EI_DATA` must equal it). Little on every board rprocd targets.
    public var hostByteOrder: ByteOrder
    /// True on a 32-bit kernel (`size_t` is 32 bits: memsz above 4 GiB gives `-EOVERFLOW`).
    public var host32Bit: Bool

    /// Makes a loader.
    /// - Parameters:
    ///   - profile: the kernel modelled.
    ///   - hostByteOrder: the board kernel's byte order.
    ///   - host32Bit: whether the board kernel is 32-bit (arm32 STM32MP1, AM335x).
    public init(profile: KernelProfile, hostByteOrder: ByteOrder = .little, host32Bit: Bool = false) {
        self.profile = profile
        self.hostByteOrder = hostByteOrder
        self.host32Bit = host32Bit
    }

    // MARK: rproc_elf_sanity_check

    /// Mirrors `rproc_elf_sanity_check` (elf_loader.c:37): the ELF checks `rproc_boot` runs first.
    /// - Parameter buffer: the firmware file (`fw->data`, `fw->size`).
    /// - Returns: the parsed image, or the first failing check with its "Image is too small"-style line
    ///   (always `-EINVAL`).
    public func sanityCheck(_ buffer: UnsafeRawBufferPointer) -> Result<FirmwareImage, KernelFailure> {
        let parsed: Result<FirmwareImage, FirmwareError>
        do throws(FirmwareError) { parsed = .success(try FirmwareImage(parsing: buffer)) } catch {
            parsed = .failure(error)
        }
        if let first = sanityFailures(parsed, buffer: buffer).first { return .failure(first) }
        // Every parse failure maps to a sanity failure above, so this keeps only the success.
        return parsed.mapError { error in
            KernelFailure("elf.bad-magic", log: ["Image is corrupted (bad magic)"], offset: 0, error.description)
        }
    }

    /// `sanityCheck` on an array.
    public func sanityCheck(_ bytes: [UInt8]) -> Result<FirmwareImage, KernelFailure> {
        bytes.withUnsafeBytes { sanityCheck($0) }
    }

    /// Every sanity check that fails, in the kernel's order (the kernel stops at the first).
    func sanityFailures(_ parsed: Result<FirmwareImage, FirmwareError>, buffer: UnsafeRawBufferPointer?)
        -> [KernelFailure] {
        var out: [KernelFailure] = []
        let size: Int
        switch parsed {
        case .success(let image): size = image.size
        case .failure(let error):
            switch error {
            case .notELF(let s, _): size = s
            case .truncated(_, _, _, let present): size = Int(present)
            case .badIdentification: size = buffer?.count ?? 52
            }
        }
        if size < 52 {
            out.append(KernelFailure("elf.too-small", log: ["Image is too small"], offset: 0,
                                     "the file is \(size) bytes, shorter than an ELF32 header (52 bytes); "
                                     + "the firmware file is cut short or empty: rebuild or re-copy it"))
        }
        let image: FirmwareImage
        switch parsed {
        case .success(let i): image = i
        case .failure(let error):
            switch error {
            case .notELF:
                if size >= 4 || out.isEmpty {
                    out.append(KernelFailure("elf.bad-magic", log: ["Image is corrupted (bad magic)"], offset: 0,
                                             "\(error); install the ELF file the linker produced, not a "
                                             + "raw binary (.bin/.img) made by objcopy or a vendor tool"))
                }
            case .badIdentification(let field, _, let value) where field == "EI_CLASS":
                out.append(KernelFailure("elf.class", log: ["Unsupported class: \(value)"], offset: 4,
                                         "EI_CLASS (byte 4) is \(value); only ELFCLASS32 (1) and ELFCLASS64 (2) "
                                         + "load: the file is damaged"))
            case .badIdentification(_, _, let value):
                if let b = buffer, b.count > 4, b[4] == ElfClass.elf64.rawValue, size < 64, size >= 52 {
                    out.append(Self.elf64TooSmall(size))
                }
                out.append(KernelFailure("elf.byte-order", log: ["Unsupported firmware endianness"], offset: 5,
                                         "EI_DATA (byte 5) is \(value), neither little (1) nor big (2) endian: "
                                         + "the file is damaged"))
            case .truncated(let what, _, _, let present) where what.hasPrefix("ELF64") && present >= 52:
                out.append(Self.elf64TooSmall(size))
            case .truncated: break
            }
            return out
        }
        let h = image.header
        if h.byteOrder != hostByteOrder {
            out.append(KernelFailure("elf.byte-order", log: ["Unsupported firmware endianness"], offset: 5,
                                     "the image is \(h.byteOrder)-endian but the board's kernel is "
                                     + "\(hostByteOrder)-endian; build the firmware for \(hostByteOrder)-endian "
                                     + "(e.g. -mlittle-endian)"))
        }
        out += sectionHeaderFailures(image)
        if h.programHeaderCount == 0 {
            out.append(KernelFailure("elf.no-loadable-segments", log: ["No loadable segments"], offset: 0,
                                     "e_phnum is 0: the image has no program headers; link an executable "
                                     + "(not a relocatable object, -r) with PT_LOAD segments"))
        }
        if h.programHeaderOffset > UInt64(size) {
            out.append(KernelFailure("elf.phoff-out-of-bounds", log: ["Firmware size is too small"],
                                     offset: h.programHeaderOffset,
                                     "e_phoff 0x\(hex(h.programHeaderOffset)) lies past the end of the "
                                     + "\(size)-byte file: the file is truncated"))
        }
        return out
    }

    private static func elf64TooSmall(_ size: Int) -> KernelFailure {
        KernelFailure("elf.elf64-too-small", log: ["elf64 header is too small"], offset: 0,
                      "an ELF64 file needs a 64-byte header, the file has \(size) bytes: it is cut short")
    }

    private func sectionHeaderFailures(_ image: FirmwareImage) -> [KernelFailure] {
        let h = image.header
        let size = UInt64(image.size)
        let entry = UInt64(h.elfClass.sectionHeaderSize)
        let shoff = h.sectionHeaderOffset
        func end(_ count: UInt64) -> UInt64? {
            let (bytes, o1) = entry.multipliedReportingOverflow(by: count)
            let (sum, o2) = shoff.addingReportingOverflow(bytes)
            return o1 || o2 ? nil : sum
        }
        let fix = "the file is truncated, or e_shoff/e_shnum are wrong; re-copy the image as linked "
            + "(tools that strip section headers must also clear e_shoff)"
        guard profile.checksSectionHeaderTable else {
            if let e = end(1), e <= size { return [] }
            return [KernelFailure("elf.shdr-truncated", log: ["Image is too small"], offset: shoff,
                                  "the first section header (e_shoff 0x\(hex(shoff)) + \(entry) bytes) does not "
                                  + "fit in the \(size)-byte file; \(fix)")]
        }
        var out: [KernelFailure] = []
        if shoff > size {
            out.append(KernelFailure("elf.shdr-out-of-bounds", log: ["Section header table is out of bounds"],
                                     offset: shoff, "e_shoff 0x\(hex(shoff)) lies past the end of the "
                                     + "\(size)-byte file; \(fix)"))
        } else if h.sectionHeaderCount != 0, (end(UInt64(h.sectionHeaderCount)).map { $0 > size } ?? true) {
            out.append(KernelFailure("elf.shdr-out-of-bounds", log: ["Section headers are out of bounds"],
                                     offset: shoff, "\(h.sectionHeaderCount) section headers at e_shoff "
                                     + "0x\(hex(shoff)) run past the end of the \(size)-byte file; \(fix)"))
        }
        if end(UInt64(h.sectionNameTableIndex) + 1).map({ $0 > size }) ?? true {
            out.append(KernelFailure("elf.shstrndx-out-of-bounds", log: ["Image is too small"], offset: shoff,
                                     "the section-name table header (e_shstrndx \(h.sectionNameTableIndex)) "
                                     + "lies past the end of the \(size)-byte file; \(fix)"))
        }
        return out
    }

    // MARK: rproc_elf_get_boot_addr

    /// Mirrors `rproc_elf_get_boot_addr` (elf_loader.c:147): `e_entry`, not validated.
    public func bootAddress(of image: FirmwareImage) -> UInt64 { image.header.entry }

    // MARK: find_table / rproc_elf_load_rsc_table

    /// Mirrors `rproc_elf_load_rsc_table` (elf_loader.c:345) with `find_table` (elf_loader.c:267):
    /// the first `.resource_table` section, checked, duplicated as the cached table.
    /// - Returns: the cached table bytes (`sh_size` bytes), or `-EINVAL` with `find_table`'s line
    ///   (no line at all when the section is missing). Whether the driver treats the failure as fatal
    ///   is the driver's business (§6.4): `stm32`, `imx`, `pru`, `xlnx_r5`, `rcar` ignore it.
    public func loadResourceTable(_ image: FirmwareImage) -> Result<[UInt8], KernelFailure> {
        if let failure = tableFailure(image) { return .failure(failure) }
        return .success(image.resourceTable?.bytes ?? [])
    }

    /// The `find_table` check that fails, if any.
    func tableFailure(_ image: FirmwareImage) -> KernelFailure? {
        guard let table = image.resourceTable, let s = table.section else {
            return KernelFailure("rsc.missing", log: [], offset: nil,
                                 "the image has no '.resource_table' section: with the core's default ELF ops "
                                 + "the boot fails with EINVAL and no log line (drivers stm32, imx, imx_dsp, pru, "
                                 + "xlnx_r5 and rcar tolerate it); add a resource table in a section named "
                                 + "'.resource_table' (KEEP it in the linker script)")
        }
        let o = s.offset
        guard table.isInFile else {
            return KernelFailure("rsc.truncated", log: ["resource table truncated"], offset: o,
                                 "'.resource_table' (sh_offset 0x\(hex(o)), sh_size 0x\(hex(s.size))) runs past "
                                 + "the end of the \(image.size)-byte file; the file is truncated or the "
                                 + "section header is wrong")
        }
        guard let version = table.version, let count = table.count else {
            return KernelFailure("rsc.header-less", log: ["header-less resource table"], offset: o,
                                 "'.resource_table' is \(s.size) bytes, smaller than the 16-byte table header; "
                                 + "make sure the linker keeps the table (KEEP(*(.resource_table)))")
        }
        if version != 1 {
            return KernelFailure("rsc.version", log: ["unsupported fw ver: \(Int32(bitPattern: version))"],
                                 offset: o, "the table's ver is \(version); the kernel supports only 1")
        }
        if table.reserved.contains(where: { $0 != 0 }) {
            return KernelFailure("rsc.reserved-nonzero", log: ["non zero reserved bytes"], offset: o + 8,
                                 "reserved[0..1] at table offset 8 are \(table.reserved); they must be 0")
        }
        if !table.offsetsComplete {
            return KernelFailure("rsc.incomplete", log: ["resource table incomplete"], offset: o + 16,
                                 "num is \(count): the offset array needs \(16 + 4 * UInt64(count)) bytes but "
                                 + "the section has \(s.size); fix num or the section size")
        }
        return nil
    }

    // MARK: rproc_handle_resources

    /// Mirrors `rproc_handle_resources` (core.c:1058; CLASSIC loop 6.1.170 core.c:1018) with the
    /// handlers `rproc_handle_carveout`, `rproc_handle_devmem`, `rproc_handle_trace`,
    /// `rproc_handle_vdev` and, per vdev, `rproc_parse_vring`'s queue-size check.
    /// - Parameters:
    ///   - table: the cached table (`loadResourceTable`'s bytes).
    ///   - hasIOMMU: whether the processor has an IOMMU domain (`rproc->domain`); without one every
    ///     devmem entry fails with `-EINVAL` and no message.
    ///   - vendorHandler: the driver's `handle_rsc` op; nil = none (every vendor entry is ignored).
    /// - Returns: what to set up, or the failing entry with its line plus "Failed to process
    ///   resources: %d" (what `rproc_fw_boot` logs).
    public func handleResources(
        _ table: [UInt8], hasIOMMU: Bool,
        vendorHandler: ((ResourceType, ArraySlice<UInt8>) -> VendorResourceResult)? = nil
    ) -> Result<ResourcePlan, KernelFailure> {
        let decoded = ResourceTable(bytes: table, byteOrder: hostByteOrder)
        let walk = walkResources(decoded, hasIOMMU: hasIOMMU, stopAtFirst: true, vendorHandler: vendorHandler)
        if var failure = walk.failures.first {
            failure.log = walk.logBeforeFailure + failure.log
                + [KernelLogLine(.error, "Failed to process resources: \(failure.returnValue)")]
            return .failure(failure)
        }
        return .success(walk.plan)
    }

    struct ResourceWalk {
        var plan = ResourcePlan()
        var failures: [KernelFailure] = []
        /// Warnings logged before the first failure.
        var logBeforeFailure: [KernelLogLine] = []
        /// Entries the kernel warns about and skips: (entry index, type, line).
        var skipped: [(Int, ResourceType, KernelLogLine)] = []
    }

    /// Walks every entry; with `stopAtFirst` stops where the kernel stops, else collects every failure.
    func walkResources(_ table: ResourceTable, hasIOMMU: Bool, stopAtFirst: Bool,
                       vendorHandler: ((ResourceType, ArraySlice<UInt8>) -> VendorResourceResult)?)
        -> ResourceWalk {
        var w = ResourceWalk()
        let size = table.size
        var lastCall: (index: Int, ignoredVendor: Bool)?
        func fail(_ f: KernelFailure) {
            if w.failures.isEmpty { w.logBeforeFailure = w.plan.log }
            w.failures.append(f)
        }
        for entry in table.entries {
            if stopAtFirst, !w.failures.isEmpty { break }
            let o = UInt64(entry.offset)
            let inRange = !profile.checksEntryOffsetRange || (o >= 16 && o < size)
            // CLASSIC computes `avail` in int: offsets ≥ 2^31 would wrap; rejected here (contract §6.6).
            guard inRange, let resource = entry.resource, entry.offset < 0x8000_0000 else {
                let why = entry.resource == nil || entry.offset >= 0x8000_0000
                    ? "leaves no room for its 4-byte type word in the \(size)-byte table"
                    : "is below 16 (inside the table header); NEW kernels refuse it, CLASSIC ones read the header as an entry"
                fail(KernelFailure("rsc.entry-outside",
                                   log: ["rsc table is truncated"], offset: o, index: entry.index,
                                   "entry \(entry.index): offset[\(entry.index)] = \(entry.offset) \(why); "
                                   + "fix the offset array (offsetof each entry from the table start)"))
                continue
            }
            let payload = Int(o) + 4
            switch resource {
            case .truncated(let type, let needed, let available):
                if type == .devmem && !hasIOMMU { fail(devmemNoIOMMU(entry)); lastCall = (entry.index, false); continue }
                let name = ["carveout", "devmem", "trace", "vdev"][Int(type.rawValue)]
                fail(KernelFailure("\(name).truncated", log: ["\(name) rsc is truncated"], offset: o, index: entry.index,
                                   "entry \(entry.index) (\(name)) needs \(needed) bytes after its type word, the "
                                   + "table has \(available) left; enlarge the section or fix the entry's "
                                   + "offset\(type == .vdev ? ", num_of_vrings or config_len" : "")"))
            case .carveout(let m):
                if m.reserved != 0 {
                    fail(reservedFailure("carveout", entry, offset: o + 4 + 16, value: m.reserved))
                } else {
                    w.plan.carveouts.append(PlannedCarveout(entryIndex: entry.index, tableOffset: payload, resource: m))
                }
            case .devmem(let m):
                if !hasIOMMU {
                    fail(devmemNoIOMMU(entry))
                } else if m.reserved != 0 {
                    fail(reservedFailure("devmem", entry, offset: o + 4 + 16, value: m.reserved))
                } else {
                    w.plan.mappings.append(PlannedMapping(entryIndex: entry.index, resource: m))
                }
            case .trace(let t):
                if t.reserved != 0 {
                    fail(reservedFailure("trace", entry, offset: o + 4 + 8, value: t.reserved))
                } else {
                    w.plan.traces.append(PlannedTrace(entryIndex: entry.index, index: w.plan.traces.count, resource: t))
                }
            case .vdev(let v):
                if v.reserved.contains(where: { $0 != 0 }) {
                    fail(KernelFailure("vdev.reserved-nonzero", log: ["vdev rsc has non zero reserved bytes"],
                                       offset: o + 4 + 22, index: entry.index,
                                       "entry \(entry.index) (vdev): reserved[0..1] are \(v.reserved); they must be 0"))
                } else if v.vringCount > 2 {
                    fail(KernelFailure("vdev.too-many-vrings", log: ["too many vrings: \(v.vringCount)"],
                                       offset: o + 4 + 21, index: entry.index,
                                       "entry \(entry.index) (vdev) has num_of_vrings \(v.vringCount); the kernel "
                                       + "supports at most 2 (one rx, one tx)"))
                } else {
                    let bad = v.vrings.first { $0.count == 0 || $0.align == 0 }
                    let probe = bad.map {
                        KernelLogLine(.error, "invalid qsz (\(Int32(bitPattern: $0.count))) or alignment "
                                      + "(\(Int32(bitPattern: $0.align)))")
                    }
                    w.plan.vdevs.append(PlannedVdev(entryIndex: entry.index, index: w.plan.vdevs.count,
                                                    tableOffset: payload, device: v, probeFailure: probe))
                }
            case .vendor(let type, let bytes):
                let result = vendorHandler?(type, bytes) ?? .ignored
                switch result {
                case .handled: break
                case .failed(let e):
                    fail(KernelFailure("vendor.failed", e, log: [], offset: o, index: entry.index,
                                       "entry \(entry.index): the driver refused vendor resource \(type.rawValue) "
                                       + "with \(e.name)"))
                case .ignored:
                    let line = KernelLogLine(.warning, "unsupported vendor resource \(type.rawValue)")
                    w.plan.log.append(line)
                    w.skipped.append((entry.index, type, line))
                }
                lastCall = (entry.index, result == .ignored)
                continue
            case .unknown(let type, _):
                let line = KernelLogLine(.warning, "unsupported resource \(type.rawValue)")
                w.plan.log.append(line)
                w.skipped.append((entry.index, type, line))
                continue
            }
            lastCall = (entry.index, false)
        }
        // CLASSIC keeps `ret` from the last handler call: an ignored vendor entry (RSC_IGNORED = 1) with
        // no core handler after it makes the whole walk return 1.
        if profile.flavour == .classic, let last = lastCall, last.ignoredVendor, w.failures.isEmpty || !stopAtFirst {
            var f = KernelFailure("vendor.ignored-last", log: [], offset: UInt64(table.entries[last.index].offset),
                                  index: last.index,
                                  "entry \(last.index) is a vendor resource the driver ignores and no carveout, "
                                  + "devmem, trace or vdev entry follows it: CLASSIC kernels return 1 from "
                                  + "rproc_handle_resources and fail the boot (\"Failed to process resources: 1\"); "
                                  + "move the vendor entry before a core entry, or use a driver that handles it")
            f.returnValue = 1
            fail(f)
        }
        return w
    }

    private func reservedFailure(_ name: String, _ entry: ResourceEntry, offset: UInt64, value: UInt32) -> KernelFailure {
        KernelFailure("\(name).reserved-nonzero", log: ["\(name) rsc has non zero reserved bytes"], offset: offset,
                      index: entry.index, "entry \(entry.index) (\(name)): reserved is 0x\(hex(UInt64(value))); it must be 0")
    }

    private func devmemNoIOMMU(_ entry: ResourceEntry) -> KernelFailure {
        KernelFailure("devmem.needs-iommu", log: [], offset: UInt64(entry.offset), index: entry.index,
                      "entry \(entry.index) is a devmem resource: without an IOMMU domain (rproc->domain) the "
                      + "kernel fails the boot with EINVAL and no message; whether the processor has one depends "
                      + "on its driver and device tree (most Cortex-M/R and PRU drivers do not): remove the entry "
                      + "for such processors")
    }

    // MARK: rproc_elf_load_segments

    /// Mirrors `rproc_elf_load_segments` (elf_loader.c:179): every `PT_LOAD` with `p_memsz` ≠ 0, at
    /// device address `p_paddr`, checked in the kernel's order.
    /// - Parameters:
    ///   - image: the image (from `sanityCheck`).
    ///   - isMapped: `rproc_da_to_va`: whether `length` bytes at device address `da` lie in one driver
    ///     memory region or allocated carveout.
    /// - Returns: the copies to make, or the first failing segment with its line plus "Failed to load
    ///   program segments: %d" (what `rproc_start` logs).
    public func loadSegments(_ image: FirmwareImage, isMapped: (_ da: UInt64, _ length: UInt64) -> Bool)
        -> Result<[SegmentLoad], KernelFailure> {
        let (loads, failures) = segmentChecks(image, checkMapping: true, isMapped: isMapped, stopAtFirst: true)
        if var f = failures.first {
            f.log.append(KernelLogLine(.error, "Failed to load program segments: \(f.returnValue)"))
            return .failure(f)
        }
        return .success(loads)
    }

    /// `loadSegments` against a list of regions (driver memory regions plus allocated carveouts).
    public func loadSegments(_ image: FirmwareImage, regions: [MemoryRegion]) -> Result<[SegmentLoad], KernelFailure> {
        loadSegments(image) { da, len in regions.contains { $0.contains(da: da, length: len) } }
    }

    func segmentChecks(_ image: FirmwareImage, checkMapping: Bool, isMapped: (UInt64, UInt64) -> Bool,
                       stopAtFirst: Bool)
        -> ([SegmentLoad], [KernelFailure]) {
        var loads: [SegmentLoad] = []
        var failures: [KernelFailure] = []
        for p in image.programHeaders where p.isLoaded {
            if stopAtFirst, !failures.isEmpty { break }
            let (da, memsz, filesz, off) = (p.physicalAddress, p.memorySize, p.fileSize, p.offset)
            if filesz > memsz {
                failures.append(KernelFailure("segment.filesz-exceeds-memsz",
                                              log: ["bad phdr filesz 0x\(hex(filesz)) memsz 0x\(hex(memsz))"],
                                              offset: p.headerOffset, index: p.index,
                                              "program header \(p.index): p_filesz 0x\(hex(filesz)) exceeds p_memsz "
                                              + "0x\(hex(memsz)); the program header is damaged: relink"))
                continue
            }
            let (end, overflow) = off.addingReportingOverflow(filesz)
            if overflow || end > UInt64(image.size) {
                failures.append(KernelFailure("segment.truncated",
                                              log: ["truncated fw: need 0x\(hex(off &+ filesz)) avail 0x\(hex(UInt64(image.size)))"],
                                              offset: p.headerOffset, index: p.index,
                                              "program header \(p.index): its file bytes end at 0x\(hex(off &+ filesz)), "
                                              + "past the end of the \(image.size)-byte file; the file is truncated"))
                continue
            }
            if host32Bit, memsz > UInt64(UInt32.max) {
                failures.append(KernelFailure("segment.memsz-overflow", .EOVERFLOW,
                                              log: ["size (\(hex(memsz))) does not fit in size_t type"],
                                              offset: p.headerOffset, index: p.index,
                                              "program header \(p.index): p_memsz 0x\(hex(memsz)) does not fit a "
                                              + "32-bit kernel's size_t"))
                continue
            }
            if checkMapping, !isMapped(da, memsz) {
                failures.append(KernelFailure("segment.outside-memory",
                                              log: ["bad phdr da 0x\(hex(da)) mem 0x\(hex(memsz))"],
                                              offset: p.headerOffset, index: p.index,
                                              "program header \(p.index): p_paddr 0x\(hex(da)) + p_memsz 0x\(hex(memsz)) "
                                              + "is not inside one of the processor's memory regions or carveouts; "
                                              + "fix the MEMORY regions in the linker script (the kernel loads at the "
                                              + "LMA, p_paddr)"))
                continue
            }
            loads.append(SegmentLoad(index: p.index, da: da, fileRange: Int(off) ..< Int(end), memorySize: memsz))
        }
        return (loads, failures)
    }

    // MARK: rproc_elf_find_loaded_rsc_table

    /// Mirrors `rproc_elf_find_loaded_rsc_table` (elf_loader.c): the device address where the core
    /// copies the cached table after loading (`sh_addr` of `.resource_table`).
    /// - Parameter isMapped: `rproc_da_to_va`, as for `loadSegments`.
    /// - Returns: `sh_addr`, or nil when the table is absent or invalid, its size does not fit `size_t`,
    ///   or `sh_addr` is not mapped: then the kernel silently does not copy the table (§6.4).
    public func loadedResourceTableAddress(_ image: FirmwareImage,
                                           isMapped: (_ da: UInt64, _ length: UInt64) -> Bool) -> UInt64? {
        guard tableFailure(image) == nil, let s = image.resourceTable?.section else { return nil }
        if host32Bit, s.size > UInt64(UInt32.max) { return nil }
        return isMapped(s.address, s.size) ? s.address : nil
    }
}

/// Lower-case hex without prefix, as the kernel's `%llx`/`%x` print.
func hex(_ value: UInt64) -> String { String(value, radix: 16) }
