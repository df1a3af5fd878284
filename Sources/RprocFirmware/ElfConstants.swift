// ELF constants that carry a name: machine, file type, segment type, section type.
//
// Each type wraps the raw number (unknown values are kept, never mapped to a guess) and has one
// `static let table` from which both `name` and `init?(name:)` derive.

/// A raw ELF number with a symbolic name from one table (`EM_ARM`, `PT_LOAD`, …).
public protocol NamedConstant: RawRepresentable, Hashable, Sendable, CustomStringConvertible
where RawValue: FixedWidthInteger & Sendable {
    /// Every known value with its symbolic name (`"EM_ARM"`): the one source of both directions.
    static var table: [(Self, String)] { get }
}

extension NamedConstant {
    /// The symbolic name (`"EM_ARM"`), or nil for a value outside the table.
    public var name: String? {
        for (value, name) in Self.table where value == self { return name }
        return nil
    }

    /// The constant with this symbolic name, or nil.
    public init?(name: String) {
        guard let match = Self.table.first(where: { $0.1 == name }) else { return nil }
        self = match.0
    }

    /// The symbolic name, or the number in hex (`0x1234`) when unknown.
    public var description: String { name ?? "0x" + String(rawValue, radix: 16) }
}

/// The ELF file class (`EI_CLASS`). Mirrors `ELFCLASS32` (1) / `ELFCLASS64` (2).
public enum ElfClass: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// `ELFCLASS32`: 52-byte header, 32-byte program headers, 40-byte section headers.
    case elf32 = 1
    /// `ELFCLASS64`: 64-byte header, 56-byte program headers, 64-byte section headers.
    case elf64 = 2

    /// `sizeof(Elf32_Ehdr)` / `sizeof(Elf64_Ehdr)`: 52 or 64.
    public var headerSize: Int { self == .elf32 ? 52 : 64 }
    /// `sizeof(Elf32_Phdr)` / `sizeof(Elf64_Phdr)`: 32 or 56 (the kernel's stride, whatever `e_phentsize` says).
    public var programHeaderSize: Int { self == .elf32 ? 32 : 56 }
    /// `sizeof(Elf32_Shdr)` / `sizeof(Elf64_Shdr)`: 40 or 64 (the kernel's stride).
    public var sectionHeaderSize: Int { self == .elf32 ? 40 : 64 }
    /// The class as a bit width: 32 or 64.
    public var bits: Int { self == .elf32 ? 32 : 64 }
    /// `"ELF32"` or `"ELF64"`, as readelf prints it.
    public var description: String { self == .elf32 ? "ELF32" : "ELF64" }
}

/// The object file type (`e_type`). Mirrors `ET_*` in `include/uapi/linux/elf.h`.
public struct ElfType: NamedConstant {
    /// The raw `e_type`.
    public let rawValue: UInt16
    /// Wraps a raw `e_type`.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// `ET_NONE`.
    public static let none = ElfType(rawValue: 0)
    /// `ET_REL`: relocatable object.
    public static let relocatable = ElfType(rawValue: 1)
    /// `ET_EXEC`: executable (what remote-processor firmware normally is).
    public static let executable = ElfType(rawValue: 2)
    /// `ET_DYN`: shared object / position-independent executable.
    public static let shared = ElfType(rawValue: 3)
    /// `ET_CORE`: core dump (what remoteproc's coredump writes).
    public static let core = ElfType(rawValue: 4)
    /// The names `ET_NONE` … `ET_CORE`.
    public static let table: [(ElfType, String)] = [
        (.none, "ET_NONE"), (.relocatable, "ET_REL"), (.executable, "ET_EXEC"), (.shared, "ET_DYN"),
        (.core, "ET_CORE"),
    ]
}

/// The target machine (`e_machine`). Mirrors `EM_*` in `include/uapi/linux/elf-em.h`.
///
/// The kernel's ELF loader does not check it; it tells `rprocctl inspect` which core an image is for.
public struct ElfMachine: NamedConstant {
    /// The raw `e_machine`.
    public let rawValue: UInt16
    /// Wraps a raw `e_machine`.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// `EM_NONE` (0).
    public static let none = ElfMachine(rawValue: 0)
    /// `EM_386` (3).
    public static let i386 = ElfMachine(rawValue: 3)
    /// `EM_MIPS` (8).
    public static let mips = ElfMachine(rawValue: 8)
    /// `EM_PPC` (20).
    public static let powerPC = ElfMachine(rawValue: 20)
    /// `EM_ARM` (40): Cortex-M/R cores (STM32MP1 M4, i.MX M7, ZynqMP R5F, AM57x IPU, AM335x wkup_m3).
    public static let arm = ElfMachine(rawValue: 40)
    /// `EM_SH` (42).
    public static let superH = ElfMachine(rawValue: 42)
    /// `EM_ARC` (45).
    public static let arc = ElfMachine(rawValue: 45)
    /// `EM_X86_64` (62).
    public static let x86_64 = ElfMachine(rawValue: 62)
    /// `EM_XTENSA` (94): i.MX8 HiFi4 DSP, ESP32.
    public static let xtensa = ElfMachine(rawValue: 94)
    /// `EM_TI_C6000` (140): TI C66x/C71x DSPs (keystone, K3).
    public static let tiC6000 = ElfMachine(rawValue: 140)
    /// `EM_TI_C2000` (141).
    public static let tiC2000 = ElfMachine(rawValue: 141)
    /// `EM_TI_C5500` (142).
    public static let tiC5500 = ElfMachine(rawValue: 142)
    /// `EM_TI_PRU` (144): TI Programmable Real-time Unit (AM335x, AM57x, K3 PRU-ICSS).
    public static let tiPRU = ElfMachine(rawValue: 144)
    /// `EM_QDSP6` (164): Qualcomm Hexagon.
    public static let hexagon = ElfMachine(rawValue: 164)
    /// `EM_AARCH64` (183).
    public static let aarch64 = ElfMachine(rawValue: 183)
    /// `EM_MICROBLAZE` (189).
    public static let microBlaze = ElfMachine(rawValue: 189)
    /// `EM_ARC_COMPACT2` (195): ARCv2 (HS, EM).
    public static let arcCompact2 = ElfMachine(rawValue: 195)
    /// `EM_RISCV` (243).
    public static let riscV = ElfMachine(rawValue: 243)
    /// `EM_BPF` (247).
    public static let bpf = ElfMachine(rawValue: 247)
    /// `EM_LOONGARCH` (258).
    public static let loongArch = ElfMachine(rawValue: 258)

    /// The `EM_*` names.
    public static let table: [(ElfMachine, String)] = [
        (.none, "EM_NONE"), (.i386, "EM_386"), (.mips, "EM_MIPS"), (.powerPC, "EM_PPC"), (.arm, "EM_ARM"),
        (.superH, "EM_SH"), (.arc, "EM_ARC"), (.x86_64, "EM_X86_64"), (.xtensa, "EM_XTENSA"),
        (.tiC6000, "EM_TI_C6000"), (.tiC2000, "EM_TI_C2000"), (.tiC5500, "EM_TI_C5500"), (.tiPRU, "EM_TI_PRU"),
        (.hexagon, "EM_QDSP6"), (.aarch64, "EM_AARCH64"), (.microBlaze, "EM_MICROBLAZE"),
        (.arcCompact2, "EM_ARC_COMPACT2"), (.riscV, "EM_RISCV"), (.bpf, "EM_BPF"), (.loongArch, "EM_LOONGARCH"),
    ]

    /// A human name for the machine (`"ARM"`, `"TI PRU I/O processor"`), as binutils' readelf prints
    /// it for the cores remoteproc drives; nil for machines outside the table.
    public var displayName: String? {
        switch self {
        case .none: "None"
        case .i386: "Intel 80386"
        case .mips: "MIPS R3000"
        case .powerPC: "PowerPC"
        case .arm: "ARM"
        case .superH: "Renesas / SuperH SH"
        case .arc: "ARC"
        case .x86_64: "Advanced Micro Devices X86-64"
        case .xtensa: "Tensilica Xtensa Processor"
        case .tiC6000: "Texas Instruments TMS320C6000 DSP family"
        case .tiC2000: "Texas Instruments TMS320C2000 DSP family"
        case .tiC5500: "Texas Instruments TMS320C55x DSP family"
        case .tiPRU: "TI PRU I/O processor"
        case .hexagon: "QUALCOMM DSP6 Processor"
        case .aarch64: "AArch64"
        case .microBlaze: "Xilinx MicroBlaze"
        case .arcCompact2: "ARCv2"
        case .riscV: "RISC-V"
        case .bpf: "Linux BPF"
        case .loongArch: "LoongArch"
        default: nil
        }
    }
}

/// A program-header type (`p_type`). Mirrors `PT_*` in `include/uapi/linux/elf.h`.
public struct SegmentType: NamedConstant {
    /// The raw `p_type`.
    public let rawValue: UInt32
    /// Wraps a raw `p_type`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `PT_NULL`.
    public static let null = SegmentType(rawValue: 0)
    /// `PT_LOAD`: the only type the kernel loads (when `p_memsz` ≠ 0).
    public static let load = SegmentType(rawValue: 1)
    /// `PT_DYNAMIC`.
    public static let dynamic = SegmentType(rawValue: 2)
    /// `PT_INTERP`.
    public static let interp = SegmentType(rawValue: 3)
    /// `PT_NOTE`.
    public static let note = SegmentType(rawValue: 4)
    /// `PT_SHLIB`.
    public static let shlib = SegmentType(rawValue: 5)
    /// `PT_PHDR`.
    public static let phdr = SegmentType(rawValue: 6)
    /// `PT_TLS`.
    public static let tls = SegmentType(rawValue: 7)
    /// `PT_GNU_EH_FRAME`.
    public static let gnuEHFrame = SegmentType(rawValue: 0x6474_e550)
    /// `PT_GNU_STACK`.
    public static let gnuStack = SegmentType(rawValue: 0x6474_e551)
    /// `PT_GNU_RELRO`.
    public static let gnuRelro = SegmentType(rawValue: 0x6474_e552)
    /// `PT_GNU_PROPERTY`.
    public static let gnuProperty = SegmentType(rawValue: 0x6474_e553)
    /// `PT_ARM_EXIDX` (processor-specific, ARM unwind table).
    public static let armExidx = SegmentType(rawValue: 0x7000_0001)
    /// The `PT_*` names.
    public static let table: [(SegmentType, String)] = [
        (.null, "PT_NULL"), (.load, "PT_LOAD"), (.dynamic, "PT_DYNAMIC"), (.interp, "PT_INTERP"),
        (.note, "PT_NOTE"), (.shlib, "PT_SHLIB"), (.phdr, "PT_PHDR"), (.tls, "PT_TLS"),
        (.gnuEHFrame, "PT_GNU_EH_FRAME"), (.gnuStack, "PT_GNU_STACK"), (.gnuRelro, "PT_GNU_RELRO"),
        (.gnuProperty, "PT_GNU_PROPERTY"), (.armExidx, "PT_ARM_EXIDX"),
    ]
}

/// A section-header type (`sh_type`). Mirrors `SHT_*` in `include/uapi/linux/elf.h`.
public struct SectionType: NamedConstant {
    /// The raw `sh_type`.
    public let rawValue: UInt32
    /// Wraps a raw `sh_type`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `SHT_NULL`.
    public static let null = SectionType(rawValue: 0)
    /// `SHT_PROGBITS`: what `.resource_table` normally is.
    public static let progbits = SectionType(rawValue: 1)
    /// `SHT_SYMTAB`.
    public static let symtab = SectionType(rawValue: 2)
    /// `SHT_STRTAB`.
    public static let strtab = SectionType(rawValue: 3)
    /// `SHT_RELA`.
    public static let rela = SectionType(rawValue: 4)
    /// `SHT_HASH`.
    public static let hash = SectionType(rawValue: 5)
    /// `SHT_DYNAMIC`.
    public static let dynamic = SectionType(rawValue: 6)
    /// `SHT_NOTE`.
    public static let note = SectionType(rawValue: 7)
    /// `SHT_NOBITS`: occupies no bytes in the file (`.bss`).
    public static let nobits = SectionType(rawValue: 8)
    /// `SHT_REL`.
    public static let rel = SectionType(rawValue: 9)
    /// `SHT_SHLIB`.
    public static let shlib = SectionType(rawValue: 10)
    /// `SHT_DYNSYM`.
    public static let dynsym = SectionType(rawValue: 11)
    /// `SHT_INIT_ARRAY`.
    public static let initArray = SectionType(rawValue: 14)
    /// `SHT_FINI_ARRAY`.
    public static let finiArray = SectionType(rawValue: 15)
    /// `SHT_PREINIT_ARRAY`.
    public static let preinitArray = SectionType(rawValue: 16)
    /// `SHT_GROUP`.
    public static let group = SectionType(rawValue: 17)
    /// `SHT_SYMTAB_SHNDX`.
    public static let symtabShndx = SectionType(rawValue: 18)
    /// `SHT_ARM_EXIDX`.
    public static let armExidx = SectionType(rawValue: 0x7000_0001)
    /// `SHT_ARM_ATTRIBUTES`.
    public static let armAttributes = SectionType(rawValue: 0x7000_0003)
    /// The `SHT_*` names.
    public static let table: [(SectionType, String)] = [
        (.null, "SHT_NULL"), (.progbits, "SHT_PROGBITS"), (.symtab, "SHT_SYMTAB"), (.strtab, "SHT_STRTAB"),
        (.rela, "SHT_RELA"), (.hash, "SHT_HASH"), (.dynamic, "SHT_DYNAMIC"), (.note, "SHT_NOTE"),
        (.nobits, "SHT_NOBITS"), (.rel, "SHT_REL"), (.shlib, "SHT_SHLIB"), (.dynsym, "SHT_DYNSYM"),
        (.initArray, "SHT_INIT_ARRAY"), (.finiArray, "SHT_FINI_ARRAY"), (.preinitArray, "SHT_PREINIT_ARRAY"),
        (.group, "SHT_GROUP"), (.symtabShndx, "SHT_SYMTAB_SHNDX"), (.armExidx, "SHT_ARM_EXIDX"),
        (.armAttributes, "SHT_ARM_ATTRIBUTES"),
    ]
}
