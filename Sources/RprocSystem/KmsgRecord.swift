/// One record of `/dev/kmsg` (Documentation/ABI/testing/dev-kmsg, `info_print_ext_header` and
/// `msg_print_ext_body` in kernel/printk/printk.c):
///
/// ```
/// 6,1234,5678901,-;remoteproc remoteproc0: powering up m4\n
///  SUBSYSTEM=remoteproc\n
///  DEVICE=+remoteproc:remoteproc0\n
/// ```
///
/// The header is `<prefix>,<seq>,<usec>,<flag>[,<more>…];` where prefix is `facility << 3 | level`. In the text
/// and the values, bytes below 0x20, 0x7f and above, and `\` itself, are escaped as `\xNN`.
public struct KmsgRecord: Sendable, Equatable {
    /// The log level, 0 (emerg) to 7 (debug).
    public var level: UInt8
    /// The syslog facility (0 = kernel).
    public var facility: UInt32
    /// The record's sequence number; consecutive records differ by one.
    public var sequence: UInt64
    /// Microseconds since boot (CLOCK_MONOTONIC-like, `local_clock`).
    public var timestampMicroseconds: UInt64
    /// The flag field: `-`, or `c` for a continuation fragment (older kernels).
    public var flag: Character
    /// Further comma-separated header fields (`caller=T123` with CONFIG_PRINTK_CALLER), verbatim.
    public var extraFields: [String]
    /// The message with the escapes decoded.
    public var text: String
    /// The continuation lines (` KEY=value`), in order, values decoded.
    public var properties: [(key: String, value: String)]

    /// The value of the first property called `key`.
    public subscript(property key: String) -> String? { properties.first { $0.key == key }?.value }

    public static func == (lhs: KmsgRecord, rhs: KmsgRecord) -> Bool {
        lhs.level == rhs.level && lhs.facility == rhs.facility && lhs.sequence == rhs.sequence
            && lhs.timestampMicroseconds == rhs.timestampMicroseconds && lhs.flag == rhs.flag
            && lhs.extraFields == rhs.extraFields && lhs.text == rhs.text
            && lhs.properties.elementsEqual(rhs.properties) { $0.key == $1.key && $0.value == $1.value }
    }
}

/// Why a `/dev/kmsg` record could not be parsed.
public struct KmsgParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var problem: String
    /// The record, escaped-as-read (at most 200 bytes of it).
    public var record: String

    public var description: String { "Malformed kernel log record (\(problem)): '\(record)'" }
}

extension KmsgRecord {
    /// Parses one record as read from `/dev/kmsg` (one `read(2)`).
    public init(parsing bytes: some Collection<UInt8>) throws {
        let bytes = Array(bytes)
        func fail(_ problem: String) -> KmsgParseError {
            KmsgParseError(problem: problem, record: String(decoding: bytes.prefix(200), as: UTF8.self))
        }
        guard let semicolon = bytes.firstIndex(of: UInt8(ascii: ";")) else { throw fail("no ';' after the header") }
        let fields = bytes[..<semicolon].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard fields.count >= 4 else { throw fail("fewer than 4 header fields") }
        guard let prefix = UInt32(fields[0]) else { throw fail("bad priority '\(fields[0])'") }
        guard let sequence = UInt64(fields[1]) else { throw fail("bad sequence number '\(fields[1])'") }
        guard let usec = UInt64(fields[2]) else { throw fail("bad timestamp '\(fields[2])'") }
        guard fields[3].count == 1, let flag = fields[3].first else { throw fail("bad flag '\(fields[3])'") }

        let body = bytes[(semicolon + 1)...]
        var lines = body.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw fail("no text") }
        var properties: [(key: String, value: String)] = []
        for line in lines.dropFirst() {
            guard line.first == UInt8(ascii: " ") else { throw fail("continuation line without a leading space") }
            let content = line.dropFirst()
            guard let equals = content.firstIndex(of: UInt8(ascii: "=")) else { throw fail("property without '='") }
            properties.append(
                (key: Self.unescape(content[..<equals]), value: Self.unescape(content[(equals + 1)...])))
        }
        self.init(
            level: UInt8(prefix & 7), facility: prefix >> 3, sequence: sequence, timestampMicroseconds: usec, flag: flag,
            extraFields: Array(fields[4...]), text: Self.unescape(first), properties: properties)
    }

    /// Decodes the `\xNN` escapes of kmsg text; anything else is kept as is.
    static func unescape(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count, bytes[index + 1] == UInt8(ascii: "x"),
                let high = hexValue(bytes[index + 2]), let low = hexValue(bytes[index + 3])
            {
                out.append(high << 4 | low)
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
