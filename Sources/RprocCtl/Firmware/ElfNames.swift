// How ELF values are spelled in rprocctl's output: the schema of issue #2.

import RprocFirmware

extension NamedConstant {
    /// The symbolic name without its prefix (`PT_LOAD` → `LOAD`, `SHT_PROGBITS` → `PROGBITS`),
    /// or the number in hex as a string (`0x6ffffff6`) when the value has no name.
    var shortName: String {
        guard let name, let underscore = name.firstIndex(of: "_") else { return description }
        return String(name[name.index(after: underscore)...])
    }
}

/// Segment flags as letters in readelf's order: `R`, `W`, `X` for `PF_R`, `PF_W`, `PF_X`
/// (`"RX"` for code, `""` for none). Other bits are not shown (readelf ignores them too).
func segmentFlagLetters(_ flags: UInt32) -> String {
    var letters = ""
    if flags & 4 != 0 { letters += "R" }
    if flags & 2 != 0 { letters += "W" }
    if flags & 1 != 0 { letters += "X" }
    return letters
}

/// Section flags as readelf's key letters (`"AX"`, `"WA"`), in readelf's order: W A X M S I L O G T
/// C for `SHF_WRITE` … `SHF_COMPRESSED`, `E` for `SHF_EXCLUDE`, `y` for `SHF_ARM_PURECODE` on ARM,
/// `o` for other OS-specific bits, `p` for other processor-specific bits, `x` for unknown bits.
func sectionFlagLetters(_ flags: UInt64, machine: ElfMachine) -> String {
    let known: [(UInt64, Character)] = [
        (0x1, "W"), (0x2, "A"), (0x4, "X"), (0x10, "M"), (0x20, "S"), (0x40, "I"), (0x80, "L"),
        (0x100, "O"), (0x200, "G"), (0x400, "T"), (0x800, "C"),
    ]
    var letters = ""
    var rest = flags
    for (bit, letter) in known where flags & bit != 0 {
        letters.append(letter)
        rest &= ~bit
    }
    let osMask: UInt64 = 0x0FF0_0000, processorMask: UInt64 = 0xF000_0000
    let exclude: UInt64 = 0x8000_0000, armPurecode: UInt64 = 0x2000_0000
    if rest & osMask != 0 { letters.append("o") }
    if rest & ~(osMask | processorMask) != 0 { letters.append("x") }
    if rest & exclude != 0 { letters.append("E") }
    var processor = rest & processorMask & ~exclude
    if machine == .arm, processor & armPurecode != 0 {
        letters.append("y")
        processor &= ~armPurecode
    }
    if processor != 0 { letters.append("p") }
    return letters
}

/// `0x` and lower-case hex digits, at least `width` of them.
func hex<T: BinaryInteger>(_ value: T, width: Int = 0) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, width - digits.count)) + digits
}
