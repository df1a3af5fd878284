// The one bounds-checked reader every parser in this module reads through.
//
// Every offset+length check of the module happens here, in UInt64 arithmetic with overflow
// detection, so a hostile 32- or 64-bit offset or size can never wrap around or read outside the
// buffer. Reads return nil when the bytes are not there; callers turn nil into a typed error or a
// finding.

/// The byte order of an ELF image (`EI_DATA`).
///
/// Mirrors `ELFDATA2LSB` (1) and `ELFDATA2MSB` (2) in `include/uapi/linux/elf.h`.
public enum ByteOrder: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// `ELFDATA2LSB`: least significant byte first.
    case little = 1
    /// `ELFDATA2MSB`: most significant byte first.
    case big = 2

    /// The byte order of the machine this code runs on (the kernel compares `EI_DATA` with it).
    public static var host: ByteOrder { 1.littleEndian == 1 ? .little : .big }

    /// `"little"` or `"big"`.
    public var description: String { self == .little ? "little" : "big" }
}

/// Reads fixed-width integers, byte runs and NUL-terminated strings from a byte buffer in one byte
/// order, refusing (nil) every read that would leave the buffer.
struct ByteReader {
    /// The whole buffer; never read outside it.
    let buffer: UnsafeRawBufferPointer
    /// The byte order of multi-byte values.
    let order: ByteOrder

    /// The buffer size.
    var count: Int { buffer.count }

    /// The range `offset ..< offset + length` as `Int`s if it lies inside the buffer, else nil.
    /// Overflow-safe for any 64-bit offset and length.
    @inline(__always)
    func range(_ offset: UInt64, _ length: UInt64) -> Range<Int>? {
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard !overflow, end <= UInt64(buffer.count) else { return nil }
        return Int(offset) ..< Int(end)
    }

    /// True if `length` bytes starting at `offset` lie inside the buffer.
    @inline(__always)
    func contains(_ offset: UInt64, _ length: UInt64) -> Bool { range(offset, length) != nil }

    /// How many bytes are available from `offset` to the end (0 when `offset` is past the end).
    func available(from offset: UInt64) -> UInt64 {
        offset >= UInt64(buffer.count) ? 0 : UInt64(buffer.count) - offset
    }

    @inline(__always)
    private func load<T: FixedWidthInteger>(_ offset: UInt64, as: T.Type) -> T? {
        guard let r = range(offset, UInt64(MemoryLayout<T>.size)) else { return nil }
        let raw = buffer.loadUnaligned(fromByteOffset: r.lowerBound, as: T.self)
        return order == .little ? T(littleEndian: raw) : T(bigEndian: raw)
    }

    /// The byte at `offset`, or nil.
    func u8(_ offset: UInt64) -> UInt8? {
        guard let r = range(offset, 1) else { return nil }
        return buffer[r.lowerBound]
    }

    /// The 16-bit value at `offset`, or nil.
    func u16(_ offset: UInt64) -> UInt16? { load(offset, as: UInt16.self) }
    /// The 32-bit value at `offset`, or nil.
    func u32(_ offset: UInt64) -> UInt32? { load(offset, as: UInt32.self) }
    /// The 64-bit value at `offset`, or nil.
    func u64(_ offset: UInt64) -> UInt64? { load(offset, as: UInt64.self) }

    /// An ELF "word of the class": 32 bits widened for ELF32, 64 bits for ELF64.
    func address(_ offset: UInt64, wide: Bool) -> UInt64? {
        wide ? u64(offset) : u32(offset).map(UInt64.init)
    }

    /// A copy of `length` bytes at `offset`, or nil.
    func bytes(_ offset: UInt64, _ length: UInt64) -> [UInt8]? {
        guard let r = range(offset, length) else { return nil }
        return Array(buffer[r])
    }

    /// The range of the text starting at `offset` up to (not including) the first NUL, searched no
    /// further than `limit` (exclusive, clamped to the buffer end). Nil if `offset` is outside or no
    /// NUL is found before the limit.
    func cStringRange(at offset: UInt64, limit: UInt64) -> Range<Int>? {
        let end = min(limit, UInt64(buffer.count))
        guard offset < end else { return nil }
        let start = Int(offset)
        var i = start
        let stop = Int(end)
        while i < stop {
            if buffer[i] == 0 { return start ..< i }
            i += 1
        }
        return nil
    }

    /// The text in a fixed-size field (`char name[32]`): up to the first NUL or the end of the
    /// field. Nil if the field is not inside the buffer.
    func fixedString(at offset: UInt64, size: UInt64) -> String? {
        guard let r = range(offset, size) else { return nil }
        var end = r.lowerBound
        while end < r.upperBound, buffer[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[r.lowerBound ..< end]), as: UTF8.self)
    }
}
