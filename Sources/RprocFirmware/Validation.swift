// Validation: the kernel's checks for every selected kernel profile, plus the problems the kernel
// does not check but that break boards, as named findings with stable codes.

/// How serious a finding is.
public enum Severity: String, Hashable, Sendable, Comparable {
    /// At least one selected kernel refuses the image (the boot fails).
    case error
    /// The kernels accept the image, but something will not work as intended (or the kernel logs a
    /// warning and skips an entry).
    case warning

    /// Errors sort first.
    public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
}

/// One problem found in an image.
///
/// Codes are stable strings, grouped by what they concern: `elf.*` (ELF header and tables),
/// `segment.*` (program headers), `rsc.*` (the table itself), `carveout.*`, `devmem.*`, `trace.*`,
/// `vdev.*`, `vring.*`, `vendor.*` (entries), `resource.*` (entries against memory).
public struct Finding: Hashable, Sendable, CustomStringConvertible {
    /// Stable identifier of the check (`"rsc.entry-outside"`).
    public var code: String
    /// Error (a selected kernel refuses the image) or warning.
    public var severity: Severity
    /// What the check found, where, and what to change in the image or linker script.
    public var message: String
    /// File offset of the offending bytes, when one applies (for entries: the table's `sh_offset` plus
    /// the offset inside the table).
    public var offset: UInt64?
    /// Resource-table entry index or program-header index, when one applies.
    public var index: Int?
    /// The errno the refusing kernels return (nil for warnings and for the CLASSIC return-1 quirk).
    public var errno: KernelErrno?
    /// The lines the kernel logs for it (empty when it fails silently or does not check it).
    public var kernelLog: [String]
    /// The selected kernel profiles that refuse the image for this reason (empty for warnings),
    /// oldest first. A kernel that stops at an earlier check is listed too: it refuses for this
    /// reason once the earlier problem is fixed.
    public var refusedBy: [KernelProfile]

    /// `refusedBy` as stable names, collapsed per version line: `["6.1", "6.12"]`, `["6.12.117"]`,
    /// `["6.1-new", "6.12-new", "6.12.117"]` (see `KernelProfile.names(of:)`).
    public var kernels: [String] { KernelProfile.names(of: refusedBy) }

    /// `error rsc.missing: …`.
    public var description: String { "\(severity) \(code): \(message)" }

    /// Every code `FirmwareCheck` and `KernelLoader` can emit, with its severity and a one-line summary (kernel line
    /// in quotes where there is one), in check order: the list for documentation and `--help`.
    public static let checks: [(code: String, severity: Severity, summary: String)] = [
        ("elf.too-small", .error, "file shorter than 52 bytes: \"Image is too small\""),
        ("elf.bad-magic", .error, "not \\x7fELF: \"Image is corrupted (bad magic)\""),
        ("elf.class", .error, "EI_CLASS not 1/2: \"Unsupported class: %d\""),
        ("elf.elf64-too-small", .error, "ELF64 shorter than 64 bytes: \"elf64 header is too small\""),
        ("elf.byte-order", .error, "EI_DATA differs from the board kernel's: \"Unsupported firmware endianness\""),
        ("elf.shdr-truncated", .error, "first section header past the end (6.1, 6.12 ≤ .111): \"Image is too small\""),
        ("elf.shdr-out-of-bounds", .error, "e_shoff or e_shnum headers past the end (6.12.117): \"Section header table is out of bounds\" / \"Section headers are out of bounds\""),
        ("elf.shstrndx-out-of-bounds", .error, "e_shstrndx header past the end (6.12.117): \"Image is too small\""),
        ("elf.no-loadable-segments", .error, "e_phnum 0: \"No loadable segments\""),
        ("elf.phoff-out-of-bounds", .error, "e_phoff past the end: \"Firmware size is too small\""),
        ("segment.filesz-exceeds-memsz", .error, "\"bad phdr filesz 0x%llx memsz 0x%llx\""),
        ("segment.truncated", .error, "segment bytes past the end: \"truncated fw: need 0x%llx avail 0x%zx\""),
        ("segment.memsz-overflow", .error, "p_memsz over 4 GiB on a 32-bit kernel: \"size (%llx) does not fit in size_t type\""),
        ("segment.outside-memory", .error, "segment outside the memory windows and carveouts: \"bad phdr da 0x%llx mem 0x%llx\""),
        ("rsc.missing", .error, "no .resource_table section (default ELF ops; some drivers tolerate it): silent EINVAL"),
        ("rsc.truncated", .error, "table section past the end: \"resource table truncated\""),
        ("rsc.header-less", .error, "table smaller than 16 bytes: \"header-less resource table\""),
        ("rsc.version", .error, "ver not 1: \"unsupported fw ver: %d\""),
        ("rsc.reserved-nonzero", .error, "\"non zero reserved bytes\""),
        ("rsc.incomplete", .error, "offset array past the table: \"resource table incomplete\""),
        ("rsc.entry-outside", .error, "entry offset without room for a type word (NEW: also < 16): \"rsc table is truncated\""),
        ("carveout.truncated", .error, "\"carveout rsc is truncated\""),
        ("carveout.reserved-nonzero", .error, "\"carveout rsc has non zero reserved bytes\""),
        ("devmem.needs-iommu", .error, "devmem entry on a processor without IOMMU: silent EINVAL"),
        ("devmem.truncated", .error, "\"devmem rsc is truncated\""),
        ("devmem.reserved-nonzero", .error, "\"devmem rsc has non zero reserved bytes\""),
        ("trace.truncated", .error, "\"trace rsc is truncated\""),
        ("trace.reserved-nonzero", .error, "\"trace rsc has non zero reserved bytes\""),
        ("vdev.truncated", .error, "\"vdev rsc is truncated\""),
        ("vdev.reserved-nonzero", .error, "\"vdev rsc has non zero reserved bytes\""),
        ("vdev.too-many-vrings", .error, "\"too many vrings: %d\""),
        ("vendor.failed", .error, "the driver's handle_rsc refused a vendor entry"),
        ("vendor.ignored-last", .error, "CLASSIC: an ignored vendor entry last makes the walk return 1: \"Failed to process resources: 1\""),
        ("vendor.unsupported", .warning, "vendor type skipped: \"unsupported vendor resource %d\""),
        ("rsc.unknown-type", .warning, "unknown type skipped: \"unsupported resource %d\""),
        ("elf.phentsize", .warning, "e_phentsize is not the native size (the kernel ignores it)"),
        ("elf.shentsize", .warning, "e_shentsize is not the native size (the kernel ignores it)"),
        ("elf.phdr-outside", .warning, "program headers past the end of the file"),
        ("elf.shdr-outside", .warning, "section headers past the end of the file"),
        ("segment.overlap", .warning, "loaded segments overlap by p_paddr"),
        ("elf.entry-outside", .warning, "entry point outside every loaded segment"),
        ("rsc.not-loaded", .warning, ".resource_table sh_addr not in a loaded segment or memory window: the table is never copied"),
        ("carveout.duplicate-name", .warning, "two carveouts with the same name"),
        ("carveout.name-format", .warning, "carveout name contains '%' (used as a format string)"),
        ("resource.outside-memory", .warning, "trace buffer or vring outside the memory windows"),
        ("vdev.rpmsg-no-ns", .warning, "rpmsg vdev without VIRTIO_RPMSG_F_NS: no channels appear"),
        ("vring.invalid-qsz", .warning, "vring num or align 0: \"invalid qsz (%d) or alignment (%d)\", no virtio device"),
        ("vring.num-not-power-of-two", .warning, "vring num not a power of two"),
        ("vring.duplicate-notifyid", .warning, "two vrings with the same notify id"),
    ]

    /// Makes a finding (for tests and tools that render findings).
    public init(code: String, severity: Severity, message: String, offset: UInt64? = nil, index: Int? = nil,
                errno: KernelErrno? = nil, kernelLog: [String] = [], refusedBy: [KernelProfile] = []) {
        self.code = code
        self.severity = severity
        self.message = message
        self.offset = offset
        self.index = index
        self.errno = errno
        self.kernelLog = kernelLog
        self.refusedBy = refusedBy
    }
}

/// What `FirmwareCheck` should assume about the processor.
public struct CheckOptions: Sendable {
    /// The kernels to check against (`KernelProfile.profiles(of:)` for `--kernel 6.1|6.12`); all by default.
    public var kernels: [KernelProfile]
    /// The processor's memory windows (device address, length), when known: segments must lie in one
    /// (or in a fixed-address carveout) or the kernel refuses them; resources outside are warned about.
    /// Nil = unknown, those checks are skipped.
    public var memory: [MemoryRegion]?
    /// Whether the processor has an IOMMU domain (devmem entries need one).
    public var hasIOMMU: Bool
    /// The board kernel's byte order.
    public var hostByteOrder: ByteOrder

    /// Makes options.
    /// - Parameters:
    ///   - kernels: profiles to check against (default: all).
    ///   - memory: memory windows, nil when unknown.
    ///   - hasIOMMU: whether devmem entries can be mapped (default false, as on most boards).
    ///   - hostByteOrder: the board kernel's byte order (default little).
    public init(kernels: [KernelProfile] = KernelProfile.all, memory: [MemoryRegion]? = nil,
                hasIOMMU: Bool = false, hostByteOrder: ByteOrder = .little) {
        self.kernels = kernels
        self.memory = memory
        self.hasIOMMU = hasIOMMU
        self.hostByteOrder = hostByteOrder
    }
}

/// The result of checking one image.
public struct FirmwareReport: Sendable {
    /// The parsed image; nil when the buffer could not be parsed at all.
    public var image: FirmwareImage?
    /// Why parsing stopped, when it did.
    public var parseError: FirmwareError?
    /// Every finding: errors first, then warnings, each group in check order.
    public var findings: [Finding]

    /// Makes a report (for tests and tools that render reports).
    public init(image: FirmwareImage?, parseError: FirmwareError?, findings: [Finding]) {
        self.image = image
        self.parseError = parseError
        self.findings = findings
    }

    /// The error findings.
    public var errors: [Finding] { findings.filter { $0.severity == .error } }
    /// The warning findings.
    public var warnings: [Finding] { findings.filter { $0.severity == .warning } }
    /// Whether `profile` would refuse to boot the image (given the options' IOMMU and memory).
    public func isRefused(by profile: KernelProfile) -> Bool {
        findings.contains { $0.refusedBy.contains(profile) }
    }
}

/// Checks firmware images as the selected kernels would, plus board-level sanity.
public enum FirmwareCheck {
    /// Parses and validates an image.
    /// - Parameters:
    ///   - buffer: the whole image (e.g. mmapped).
    ///   - options: kernels, memory windows, IOMMU.
    /// - Returns: the image (if parseable), the parse error (if not), and every finding.
    public static func check(_ buffer: UnsafeRawBufferPointer, options: CheckOptions = CheckOptions())
        -> FirmwareReport {
        let parsed: Result<FirmwareImage, FirmwareError>
        do throws(FirmwareError) { parsed = .success(try FirmwareImage(parsing: buffer)) } catch {
            parsed = .failure(error)
        }
        var findings = kernelFindings(parsed, buffer: buffer, options: options)
        var image: FirmwareImage?
        var parseError: FirmwareError?
        switch parsed {
        case .success(let i):
            image = i
            findings += boardWarnings(i, options: options, hasErrors: findings)
        case .failure(let e): parseError = e
        }
        findings.sort { $0.severity < $1.severity }
        return FirmwareReport(image: image, parseError: parseError, findings: findings)
    }

    /// `check` on an array.
    public static func check(_ bytes: [UInt8], options: CheckOptions = CheckOptions()) -> FirmwareReport {
        bytes.withUnsafeBytes { check($0, options: options) }
    }

    // MARK: Kernel checks, per profile, grouped

    private struct Key: Hashable {
        var code: String, offset: UInt64?, index: Int?, log: [KernelLogLine], detail: String, value: Int32
    }

    private static func kernelFindings(_ parsed: Result<FirmwareImage, FirmwareError>,
                                       buffer: UnsafeRawBufferPointer, options: CheckOptions) -> [Finding] {
        var order: [Key] = []
        var refused: [Key: [KernelProfile]] = [:]
        var skipped: [(Int, ResourceType, KernelLogLine)] = []
        // Profiles of one flavour check firmware identically (contract §8.1): evaluate each flavour once.
        var byFlavour: [(KernelProfile, [KernelProfile])] = []
        for p in options.kernels {
            if let i = byFlavour.firstIndex(where: { $0.0.flavour == p.flavour }) { byFlavour[i].1.append(p) } else {
                byFlavour.append((p, [p]))
            }
        }
        for (profile, members) in byFlavour {
            let loader = KernelLoader(profile: profile, hostByteOrder: options.hostByteOrder)
            var failures = loader.sanityFailures(parsed, buffer: buffer)
            // Later stages run whenever the image parsed, even where the kernel would have stopped at a
            // sanity check, so that one pass names every problem; `KernelLoader` keeps the kernel's order.
            if case .success(let image) = parsed {
                if let f = loader.tableFailure(image) {
                    failures.append(f)
                } else if let table = image.resourceTable {
                    let walk = loader.walkResources(table, hasIOMMU: options.hasIOMMU, stopAtFirst: false,
                                                    vendorHandler: nil)
                    let base = table.section?.offset ?? 0  // entry offsets are table-relative: make them file offsets
                    failures += walk.failures.map { f in
                        var f = f
                        f.offset = f.offset.map { base &+ $0 }
                        return f
                    }
                    if skipped.isEmpty { skipped = walk.skipped }
                }
                let carveouts = fixedCarveouts(image)
                let memory = options.memory
                failures += loader.segmentChecks(image, checkMapping: memory != nil, isMapped: { da, len in
                    (memory ?? []).contains { $0.contains(da: da, length: len) }
                        || carveouts.contains { $0.contains(da: da, length: len) }
                }, stopAtFirst: false).1
            }
            for f in failures {
                let key = Key(code: f.code, offset: f.offset, index: f.index, log: f.log, detail: f.detail,
                              value: f.returnValue)
                if refused[key] == nil { order.append(key) }
                refused[key, default: []].append(contentsOf: members)
            }
        }
        var findings = order.map { k in
            Finding(code: k.code, severity: .error, message: k.detail, offset: k.offset, index: k.index,
                    errno: k.value < 0 ? KernelErrno(rawValue: -k.value) : nil, kernelLog: k.log.map(\.text),
                    refusedBy: (refused[k] ?? []).sorted())
        }
        // Entries every kernel skips with a warning.
        for (index, type, line) in skipped {
            let vendor = type.isVendor
            findings.append(Finding(
                code: vendor ? "vendor.unsupported" : "rsc.unknown-type", severity: .warning,
                message: vendor
                    ? "entry \(index) has vendor type \(type.rawValue): the core hands it to the driver's "
                        + "handle_rsc op and, when the driver has none or ignores it, warns and skips it"
                    : "entry \(index) has type \(type.rawValue), which the kernel does not know: it warns and skips "
                        + "it (type 5 is an old TI vendor-kernel PRU resource; current kernels take interrupt "
                        + "maps from the device tree)",
                offset: nil, index: index, errno: nil, kernelLog: [line.text], refusedBy: []))
        }
        return findings
    }

    /// Carveouts with a fixed device address: memory the kernel allocates before loading segments.
    static func fixedCarveouts(_ image: FirmwareImage) -> [MemoryRegion] {
        image.resourceTable?.entries.compactMap {
            if case .carveout(let c)? = $0.resource, c.da != resourceAddressAny {
                MemoryRegion(da: UInt64(c.da), length: UInt64(c.length))
            } else { nil }
        } ?? []
    }

    // MARK: What the kernel does not check

    private static func warning(_ code: String, _ message: String, offset: UInt64? = nil, index: Int? = nil) -> Finding {
        Finding(code: code, severity: .warning, message: message, offset: offset, index: index, errno: nil,
                kernelLog: [], refusedBy: [])
    }

    private static func boardWarnings(_ image: FirmwareImage, options: CheckOptions, hasErrors: [Finding]) -> [Finding] {
        var out: [Finding] = []
        let h = image.header
        let c = h.elfClass
        if h.programHeaderCount != 0, Int(h.programHeaderEntrySize) != c.programHeaderSize {
            out.append(warning("elf.phentsize", "e_phentsize is \(h.programHeaderEntrySize), not \(c.programHeaderSize) "
                               + "(sizeof(\(c == .elf32 ? "Elf32" : "Elf64")_Phdr)): the kernel reads program headers "
                               + "with the native size and ignores it, other tools do not", offset: UInt64(c == .elf32 ? 42 : 54)))
        }
        if h.sectionHeaderCount != 0, Int(h.sectionHeaderEntrySize) != c.sectionHeaderSize {
            out.append(warning("elf.shentsize", "e_shentsize is \(h.sectionHeaderEntrySize), not \(c.sectionHeaderSize): "
                               + "the kernel ignores it and reads section headers with the native size",
                               offset: UInt64(c == .elf32 ? 46 : 58)))
        }
        if !image.programHeadersComplete {
            out.append(warning("elf.phdr-outside", "only \(image.programHeaders.count) of e_phnum \(h.programHeaderCount) "
                               + "program headers lie inside the file: the kernel reads the rest past the end of "
                               + "the image; the file is truncated", offset: h.programHeaderOffset))
        }
        if !image.sectionHeadersComplete, !hasErrors.contains(where: { $0.code.hasPrefix("elf.sh") }) {
            out.append(warning("elf.shdr-outside", "only \(image.sectionHeaders.count) of e_shnum \(h.sectionHeaderCount) "
                               + "section headers lie inside the file: 6.12.117 refuses this, older kernels read "
                               + "past the end of the image", offset: h.sectionHeaderOffset))
        }
        let loaded = image.loadedSegments
        out += overlaps(loaded, machine: h.machine)
        // Entry point.
        let inside = loaded.contains { s in
            [s.physicalAddress, s.virtualAddress].contains { MemoryRegion(da: $0, length: s.memorySize).contains(da: h.entry & ~1, length: 1) }
        }
        if !loaded.isEmpty, !inside {
            out.append(warning("elf.entry-outside", "the entry point 0x\(hex(h.entry)) is not inside any loaded "
                               + "segment: the processor will start in memory the image does not fill; check "
                               + "ENTRY() and the MEMORY regions in the linker script", offset: 24))
        }
        if let table = image.resourceTable, let s = table.section, table.version != nil {
            let inLoaded = loaded.contains { MemoryRegion(da: $0.physicalAddress, length: $0.memorySize).contains(da: s.address, length: s.size) }
            if !inLoaded {
                let byVaddr = loaded.contains { MemoryRegion(da: $0.virtualAddress, length: $0.memorySize).contains(da: s.address, length: s.size) }
                out.append(warning("rsc.not-loaded", "'.resource_table' sh_addr 0x\(hex(s.address)) (size 0x\(hex(s.size))) "
                                   + "is not inside any loaded segment's p_paddr range"
                                   + (byVaddr ? " (only inside a p_vaddr range: the segment's load address differs from its run address)" : "")
                                   + ": after loading, the kernel copies the table to sh_addr only if that address "
                                   + "is mapped, else silently not at all, so the firmware never sees the host's "
                                   + "vring and carveout addresses; place .resource_table in a segment whose "
                                   + "LMA equals its VMA", offset: s.headerOffset))
            } else if let memory = options.memory, !memory.contains(where: { $0.contains(da: s.address, length: s.size) }) {
                out.append(warning("rsc.not-loaded", "'.resource_table' sh_addr 0x\(hex(s.address)) is outside the "
                                   + "processor's memory windows: the kernel silently never copies the table there",
                                   offset: s.headerOffset))
            }
            out += entryWarnings(table, image: image, options: options)
        }
        return out
    }

    private static func overlaps(_ loaded: [ProgramHeader], machine: ElfMachine) -> [Finding] {
        var out: [Finding] = []
        // Sorted sweep by p_paddr: O(n log n); reports each segment that overlaps a previous one.
        let sorted = loaded.sorted { $0.physicalAddress < $1.physicalAddress }
        // Harvard machines (PRU) have separate instruction and data spaces at the same addresses.
        let harvard = machine == .tiPRU
        var groups: [Bool: (end: UInt64, index: Int)] = [:]
        for s in sorted {
            let key = harvard ? (s.flags & 1 != 0) : false
            let (end, o) = s.physicalAddress.addingReportingOverflow(s.memorySize)
            let segEnd = o ? UInt64.max : end
            if let prev = groups[key], s.physicalAddress < prev.end {
                out.append(warning("segment.overlap", "loaded segments \(prev.index) and \(s.index) overlap at device "
                                   + "address 0x\(hex(s.physicalAddress)) (by p_paddr): the later copy overwrites the "
                                   + "earlier one; fix the MEMORY/SECTIONS placement (AT>) in the linker script",
                                   index: s.index))
            }
            if groups[key].map({ segEnd > $0.end }) ?? true { groups[key] = (segEnd, s.index) }
        }
        return out
    }

    private static func entryWarnings(_ table: ResourceTable, image: FirmwareImage, options: CheckOptions) -> [Finding] {
        var out: [Finding] = []
        var notifyIDs: [UInt32: Int] = [:]
        var carveoutNames: [String: Int] = [:]
        let reach = (options.memory ?? []) + fixedCarveouts(image)
        let base = table.section?.offset ?? 0  // findings carry file offsets
        func outside(_ da: UInt32, _ len: UInt32) -> Bool {
            options.memory != nil && da != resourceAddressAny
                && !reach.contains { $0.contains(da: UInt64(da), length: UInt64(max(len, 1))) }
        }
        for e in table.entries {
            switch e.resource {
            case .carveout(let c)?:
                if let first = carveoutNames[c.name] {
                    out.append(warning("carveout.duplicate-name", "entries \(first) and \(e.index) are carveouts both "
                                       + "named '\(c.name)': the kernel matches pre-registered carveouts by name, so the "
                                       + "second gets \"Carveout already associated to resource table\" (ENOMEM) on "
                                       + "drivers that register it; give each carveout its own name",
                                       offset: base + UInt64(e.offset), index: e.index))
                } else { carveoutNames[c.name] = e.index }
                if c.name.contains("%") {
                    out.append(warning("carveout.name-format", "carveout entry \(e.index) name '\(c.name)' contains '%': the "
                                       + "kernel uses the name as a printf format string; remove the '%'",
                                       offset: base + UInt64(e.offset), index: e.index))
                }
            case .trace(let t)?:
                if outside(t.da, t.length) {
                    out.append(warning("resource.outside-memory", "trace entry \(e.index) buffer 0x\(hex(UInt64(t.da))) "
                                       + "(0x\(hex(UInt64(t.length))) bytes) is outside the processor's memory windows "
                                       + "and fixed carveouts: reading trace\(e.index) in debugfs will fail",
                                       offset: base + UInt64(e.offset), index: e.index))
                }
            case .vdev(let v)?:
                if v.id == VirtioDevice.rpmsgID, v.deviceFeatures & VirtioDevice.nameServiceFeature == 0 {
                    out.append(warning("vdev.rpmsg-no-ns", "vdev entry \(e.index) is rpmsg (id 7) without VIRTIO_RPMSG_F_NS "
                                       + "(dfeatures bit 0): the remote's channel announcements are ignored, so no "
                                       + "/dev/rpmsg* channels appear; set dfeatures to 1",
                                       offset: base + UInt64(e.offset) + 12, index: e.index))
                }
                for (j, ring) in v.vrings.enumerated() {
                    if ring.count == 0 || ring.align == 0 {
                        out.append(warning("vring.invalid-qsz", "vdev entry \(e.index) vring \(j) has num \(ring.count) and "
                                           + "align \(ring.align): the kernel logs \"invalid qsz (\(ring.count)) or alignment "
                                           + "(\(ring.align))\", the boot succeeds but no virtio/rpmsg device appears; set "
                                           + "both non-zero", offset: base + UInt64(e.offset) + 28 + UInt64(j * 20), index: e.index))
                    } else if ring.count & (ring.count - 1) != 0 {
                        out.append(warning("vring.num-not-power-of-two", "vdev entry \(e.index) vring \(j) has num "
                                           + "\(ring.count), not a power of two: virtio split rings require one, the "
                                           + "rpmsg transport will not work; use e.g. 16, 32, 256",
                                           offset: base + UInt64(e.offset) + 28 + UInt64(j * 20), index: e.index))
                    }
                    if outside(ring.da, 1) {
                        out.append(warning("resource.outside-memory", "vdev entry \(e.index) vring \(j) da "
                                           + "0x\(hex(UInt64(ring.da))) is outside the processor's memory windows and "
                                           + "fixed carveouts; use FW_RSC_ADDR_ANY (0xffffffff) or an address the "
                                           + "processor reaches", offset: base + UInt64(e.offset) + 28 + UInt64(j * 20), index: e.index))
                    }
                    if let first = notifyIDs[ring.notifyID] {
                        out.append(warning("vring.duplicate-notifyid", "vring notify id \(ring.notifyID) is used twice "
                                           + "(entry \(first) and entry \(e.index) vring \(j)): the host assigns its own "
                                           + "ids and writes them back, so firmware that kicks with the table's ids "
                                           + "before reading them back signals the wrong ring",
                                           offset: base + UInt64(e.offset) + 40 + UInt64(j * 20), index: e.index))
                    } else { notifyIDs[ring.notifyID] = e.index }
                }
            default: break
            }
        }
        return out
    }
}
