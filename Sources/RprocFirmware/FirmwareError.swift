// The few failures that make further reading of an image impossible.

/// Why an image could not be parsed at all.
///
/// Only what stops all further reading is an error: the file is not ELF, its identification bytes
/// are unusable, or its ELF header is cut short. Everything else the kernel checks (section headers
/// out of the file, a damaged resource table, …) is parsed as far as it goes and reported as a
/// `Finding` by `FirmwareCheck`.
public enum FirmwareError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The buffer does not start with `\x7fELF`: not an ELF file at all (a raw binary, a zip, a
    /// MediaTek `.img` container…). `leadingBytes` holds up to the first four bytes.
    case notELF(size: Int, leadingBytes: [UInt8])
    /// An ELF file (magic present) whose header is cut short: `needed` bytes from `offset` are
    /// required to read `what`, only `present` exist. Mirrors the kernel's "Image is too small" /
    /// "elf64 header is too small".
    case truncated(what: String, offset: UInt64, needed: UInt64, present: UInt64)
    /// A damaged ELF identification byte (`EI_CLASS` not 1 or 2, `EI_DATA` not 1 or 2) that makes
    /// every later field unreadable. `offset` is the byte's position in `e_ident`.
    case badIdentification(field: String, offset: UInt64, value: UInt8)

    /// True when the input is not ELF at all (as opposed to a damaged ELF file).
    public var isNotELF: Bool { if case .notELF = self { true } else { false } }

    /// One sentence saying what failed and where.
    public var description: String {
        switch self {
        case .notELF(let size, let bytes):
            let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            return "not an ELF file: the first bytes are [\(hex)] (of \(size)), not 7f 45 4c 46 ('\\x7fELF')"
        case .truncated(let what, let offset, let needed, let present):
            return "damaged ELF file: \(what) needs \(needed) bytes at offset \(offset), only \(present) present"
        case .badIdentification(let field, let offset, let value):
            return "damaged ELF file: \(field) (e_ident byte \(offset)) is \(value), expected 1 or 2"
        }
    }
}
