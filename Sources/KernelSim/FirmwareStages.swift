// The firmware checks the remoteproc core runs on an image, stage by stage, as the model needs
// them. The checks themselves belong to RprocFirmware (its KernelLoader); `InterimElfStages`
// below stands in until that module lands on this branch.

import RprocFirmware

/// A stage failure: the errno the kernel returns and the line it logs against remoteprocN
/// (nil = the kernel logs nothing at this stage).
struct StageFailure: Error, Equatable {
    var errno: KernelErrno
    var message: String?
}

/// One `PT_LOAD` program header with a non-zero `p_memsz`, as `rproc_elf_load_segments` uses it.
struct ImageSegment: Equatable {
    /// `p_paddr`: the device address.
    var deviceAddress: UInt64
    var fileOffset: Int
    var fileSize: Int
    var memorySize: UInt64
}

/// The `.resource_table` section `rproc_elf_find_table` found and validated.
struct ImageResourceTable: Equatable {
    /// The section bytes (`sh_size` of them).
    var bytes: [UInt8]
    /// `sh_addr`, where the loaded copy lives in device memory.
    var address: UInt64
}

/// The kernel's per-stage view of a firmware image.
protocol FirmwareStages {
    /// `rproc_elf_sanity_check` (§6.2); nil when the image passes.
    func sanityCheck(_ image: [UInt8], line: KernelLine, flavour: KernelFlavour) -> StageFailure?
    /// `rproc_elf_get_boot_addr`: `e_entry`.
    func bootAddress(_ image: [UInt8]) -> UInt64
    /// `rproc_elf_find_table` + `rproc_elf_load_rsc_table` (§6.4). A missing section fails with
    /// EINVAL and no message.
    func resourceTable(_ image: [UInt8]) -> Result<ImageResourceTable, StageFailure>
    /// The header checks of `rproc_elf_load_segments` (§6.3) in program-header order, up to and
    /// including the first failure; the device-address check is the model's (it owns memory).
    func loadableSegments(_ image: [UInt8]) -> [Result<ImageSegment, StageFailure>]
}

/// A small little-endian ELF reader implementing the §6.2–6.4 checks, until RprocFirmware's
/// KernelLoader replaces it.
struct InterimElfStages: FirmwareStages {
    func sanityCheck(_ image: [UInt8], line: KernelLine, flavour: KernelFlavour) -> StageFailure? {
        func fail(_ m: String) -> StageFailure { StageFailure(errno: .EINVAL, message: m) }
        let size = UInt64(image.count)
        if image.count < 52 { return fail("Image is too small") }
        if Array(image[0..<4]) != [0x7f, 0x45, 0x4c, 0x46] { return fail("Image is corrupted (bad magic)") }
        let cls = image[4]
        if cls != 1 && cls != 2 { return fail("Unsupported class: \(cls)") }
        if cls == 2 && image.count < 64 { return fail("elf64 header is too small") }
        if image[5] != 1 { return fail("Unsupported firmware endianness") }
        let h = ElfHeader(image)
        let shdrSize: UInt64 = cls == 2 ? 64 : 40
        if flavour == .newPlus {
            if h.shoff > size { return fail("Section header table is out of bounds") }
            if h.shnum != 0 {
                if h.shoff &+ UInt64(h.shnum) &* shdrSize > size { return fail("Section headers are out of bounds") }
                if h.shoff &+ (UInt64(h.shstrndx) + 1) &* shdrSize > size { return fail("Image is too small") }
            }
        } else if size < h.shoff &+ shdrSize {
            return fail("Image is too small")
        }
        if h.phnum == 0 { return fail("No loadable segments") }
        if h.phoff > size { return fail("Firmware size is too small") }
        return nil
    }

    func bootAddress(_ image: [UInt8]) -> UInt64 { ElfHeader(image).entry }

    func resourceTable(_ image: [UInt8]) -> Result<ImageResourceTable, StageFailure> {
        let h = ElfHeader(image)
        let silent = StageFailure(errno: .EINVAL, message: nil)
        let shdrSize = h.is64 ? 64 : 40
        func section(_ i: Int) -> (name: UInt64, addr: UInt64, offset: UInt64, size: UInt64)? {
            let base = UInt64(i) &* UInt64(shdrSize) &+ h.shoff
            guard base <= UInt64(image.count), UInt64(image.count) - base >= UInt64(shdrSize) else { return nil }
            let b = Int(base)
            if h.is64 {
                return (le(image, b, 4), le(image, b + 16, 8), le(image, b + 24, 8), le(image, b + 32, 8))
            }
            return (le(image, b, 4), le(image, b + 12, 4), le(image, b + 16, 4), le(image, b + 20, 4))
        }
        guard let strtab = section(Int(h.shstrndx)) else { return .failure(silent) }
        let wanted = Array(".resource_table".utf8) + [0]
        for i in 0..<Int(h.shnum) {
            guard let s = section(i) else { continue }
            let nameAt = strtab.offset &+ s.name
            guard nameAt <= UInt64(image.count), UInt64(image.count) - nameAt >= UInt64(wanted.count),
                Array(image[Int(nameAt)..<Int(nameAt) + wanted.count]) == wanted
            else { continue }
            func fail(_ m: String) -> Result<ImageResourceTable, StageFailure> {
                .failure(StageFailure(errno: .EINVAL, message: m))
            }
            let (end, overflow) = s.offset.addingReportingOverflow(s.size)
            if overflow || end > UInt64(image.count) { return fail("resource table truncated") }
            if s.size < 16 { return fail("header-less resource table") }
            let t = Int(s.offset)
            let ver = le(image, t, 4)
            if ver != 1 { return fail("unsupported fw ver: \(ver)") }
            if le(image, t + 8, 4) != 0 || le(image, t + 12, 4) != 0 { return fail("non zero reserved bytes") }
            if 16 + 4 * le(image, t + 4, 4) > s.size { return fail("resource table incomplete") }
            return .success(ImageResourceTable(bytes: Array(image[t..<Int(end)]), address: s.addr))
        }
        return .failure(silent)
    }

    func loadableSegments(_ image: [UInt8]) -> [Result<ImageSegment, StageFailure>] {
        let h = ElfHeader(image)
        let phdrSize = h.is64 ? 56 : 32
        var out: [Result<ImageSegment, StageFailure>] = []
        for i in 0..<Int(h.phnum) {
            let base = UInt64(i) * UInt64(phdrSize) &+ h.phoff
            guard base <= UInt64(image.count), UInt64(image.count) - base >= UInt64(phdrSize) else { break }
            let b = Int(base)
            let type = le(image, b, 4)
            let (offset, paddr, filesz, memsz): (UInt64, UInt64, UInt64, UInt64) =
                h.is64
                ? (le(image, b + 8, 8), le(image, b + 24, 8), le(image, b + 32, 8), le(image, b + 40, 8))
                : (le(image, b + 4, 4), le(image, b + 12, 4), le(image, b + 16, 4), le(image, b + 20, 4))
            if type != 1 || memsz == 0 { continue }
            if filesz > memsz {
                out.append(.failure(StageFailure(errno: .EINVAL, message: "bad phdr filesz 0x\(hex(filesz)) memsz 0x\(hex(memsz))")))
                break
            }
            let (end, overflow) = offset.addingReportingOverflow(filesz)
            if overflow || end > UInt64(image.count) {
                out.append(.failure(StageFailure(errno: .EINVAL, message: "truncated fw: need 0x\(hex(offset &+ filesz)) avail 0x\(hex(UInt64(image.count)))")))
                break
            }
            out.append(.success(ImageSegment(deviceAddress: paddr, fileOffset: Int(offset), fileSize: Int(filesz), memorySize: memsz)))
        }
        return out
    }
}

private struct ElfHeader {
    var is64: Bool
    var entry: UInt64 = 0
    var phoff: UInt64 = 0
    var shoff: UInt64 = 0
    var phnum: UInt16 = 0
    var shnum: UInt16 = 0
    var shstrndx: UInt16 = 0
    init(_ image: [UInt8]) {
        is64 = image.count >= 64 && image[4] == 2
        guard image.count >= 52 else { return }
        if is64 {
            entry = le(image, 24, 8); phoff = le(image, 32, 8); shoff = le(image, 40, 8)
            phnum = UInt16(le(image, 56, 2)); shnum = UInt16(le(image, 60, 2)); shstrndx = UInt16(le(image, 62, 2))
        } else {
            entry = le(image, 24, 4); phoff = le(image, 28, 4); shoff = le(image, 32, 4)
            phnum = UInt16(le(image, 44, 2)); shnum = UInt16(le(image, 48, 2)); shstrndx = UInt16(le(image, 50, 2))
        }
    }
}

/// Little-endian unsigned read of `width` bytes at `offset` (caller checks bounds).
func le(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in (0..<width).reversed() { v = v << 8 | UInt64(bytes[offset + i]) }
    return v
}

/// Lowercase hexadecimal without prefix, as `%x` prints.
func hex<T: BinaryInteger>(_ v: T) -> String { String(v, radix: 16) }
