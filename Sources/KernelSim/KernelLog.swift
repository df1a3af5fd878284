// The kernel log ring behind /dev/kmsg.

/// A printk level (`KERN_ERR`, `KERN_WARNING`, `KERN_INFO`).
enum LogLevel: Int {
    case err = 3
    case warn = 4
    case info = 6
}

/// Who a message is logged against (`dev_printk`): the prefix and the structured fields.
struct LogDevice: Equatable {
    /// `"<dev_driver_string> <dev_name>"`, e.g. `"remoteproc remoteproc0"`.
    var prefix: String
    /// `SUBSYSTEM=` value.
    var subsystem: String
    /// `DEVICE=` value, e.g. `"+remoteproc:remoteproc0"`.
    var device: String

    /// remoteprocN; with a character device the device field is its dev_t (`set_dev_info`).
    static func rproc(_ index: Int, major: Int? = nil) -> LogDevice {
        LogDevice(
            prefix: "remoteproc remoteproc\(index)", subsystem: "remoteproc",
            device: major.map { "c\($0):\(index)" } ?? "+remoteproc:remoteproc\(index)")
    }
    static func platform(driver: String, name: String) -> LogDevice {
        LogDevice(prefix: "\(driver) \(name)", subsystem: "platform", device: "+platform:\(name)")
    }
    static func virtio(_ index: Int) -> LogDevice {
        LogDevice(prefix: "virtio_rpmsg_bus virtio\(index)", subsystem: "virtio", device: "+virtio:virtio\(index)")
    }
}

/// The printk ring: keeps the newest `capacity` records, formatted as /dev/kmsg shows them.
struct KernelLog {
    static let capacity = 16_384
    private var records: [SimKmsgRecord] = []
    private var head = 0  // index of the oldest record once the ring is full
    private(set) var nextSequence: UInt64 = 0

    /// Appends one record. `text` is the message without the trailing newline of the format.
    mutating func append(_ level: LogLevel, _ device: LogDevice?, _ text: String, at time: SimTime) {
        append(level, device, Array(text.utf8), at: time)
    }

    /// Appends one record whose text holds raw bytes (e.g. a user buffer printed with `%s`).
    mutating func append(_ level: LogLevel, _ device: LogDevice?, _ text: [UInt8], at time: SimTime) {
        append(priority: level.rawValue, device, text, at: time)
    }

    /// Appends one record with a raw syslog priority (facility * 8 + level).
    mutating func append(priority: Int, _ device: LogDevice?, _ text: [UInt8], at time: SimTime) {
        var body: [UInt8] = []
        if let device { body = Array((device.prefix + ": ").utf8) }
        body += text
        var bytes = Array("\(priority),\(nextSequence),\(time.microseconds),-;".utf8)
        for byte in body { appendEscaped(byte, to: &bytes) }
        bytes.append(0x0a)
        if let device {
            bytes += Array(" SUBSYSTEM=\(device.subsystem)\n DEVICE=\(device.device)\n".utf8)
        }
        let record = SimKmsgRecord(sequence: nextSequence, bytes: bytes)
        nextSequence += 1
        if records.count < Self.capacity {
            records.append(record)
        } else {
            records[head] = record
            head = (head + 1) % Self.capacity
        }
    }

    /// The oldest kept record with `sequence >= sequence`.
    func record(atOrAfter sequence: UInt64) -> SimKmsgRecord? {
        guard sequence < nextSequence, !records.isEmpty else { return nil }
        let oldest = nextSequence - UInt64(records.count)
        let wanted = max(sequence, oldest)
        let offset = Int(wanted - oldest)
        return records[(head + offset) % records.count]
    }

    /// The texts of all kept records (tests and diagnostics).
    var texts: [String] {
        (0..<records.count).map { i in
            let r = records[(head + i) % records.count]
            let semi = r.bytes.firstIndex(of: UInt8(ascii: ";"))!
            let end = r.bytes[semi...].firstIndex(of: 0x0a)!
            return String(decoding: r.bytes[(semi + 1)..<end], as: UTF8.self)
        }
    }
}

/// /dev/kmsg escapes control characters, bytes ≥ 127 and backslash as `\xNN`
/// (`msg_add_ext_text`).
private func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
    if byte < 0x20 || byte >= 0x7f || byte == UInt8(ascii: "\\") {
        let hex = Array("0123456789abcdef".utf8)
        out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
    } else {
        out.append(byte)
    }
}
