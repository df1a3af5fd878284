import RprocModel
import SystemPackage

/// The kernel log lines of remoteproc_core.c and remoteproc_sysfs.c that rprocd acts on
/// (kernel-contract.md §3.4). Names are the processor's `name`.
public enum RemoteprocLogEvent: Sendable, Hashable {
    /// "%s is available" (`rproc_add`): a processor was registered.
    case available(name: String)
    /// "powering up %s" (`rproc_boot`).
    case poweringUp(name: String)
    /// "Booting fw image %s, size %zd" (`rproc_fw_boot`).
    case bootingFirmware(image: String, size: Int)
    /// "remote processor %s is now up" (`rproc_start`).
    case up(name: String)
    /// "stopped remote processor %s" (`rproc_shutdown`).
    case stopped(name: String)
    /// "crash detected in %s: type %s" (`rproc_report_crash`): every crash report. The type as printed
    /// (`crashType` gives it as a `CrashType`).
    case crashDetected(name: String, type: String)
    /// "handling crash #%u in %s" (`rproc_crash_handler_work`): the transition to `crashed`; the count is the
    /// kernel's `crash_cnt`.
    case handlingCrash(count: UInt32, name: String)
    /// "recovering %s" (`rproc_trigger_recovery`).
    case recovering(name: String)
    /// "Boot failed: %d" (`state_store`): a `start` write failed with this errno.
    case bootFailed(Errno)
    /// "request_firmware failed: %d" (`rproc_boot`).
    case requestFirmwareFailed(Errno)
    /// "detached remote processor %s" (`rproc_detach`).
    case detached(name: String)
    /// "remote processor %s is now attached" (`rproc_attach`).
    case attached(name: String)
    /// Any other line about the processor, verbatim.
    case other(String)

    /// Classifies a message (the text after the `remoteproc remoteprocN: ` prefix).
    public init(message: String) {
        // Byte-wise comparisons: the kernel's format strings are ASCII, and String's Unicode-aware
        // hasPrefix/hasSuffix cost several times more.
        func after(_ prefix: String) -> String? {
            guard message.utf8.starts(with: prefix.utf8) else { return nil }
            return String(decoding: message.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
        }
        func before(_ suffix: String, in text: String) -> String? {
            let count = suffix.utf8.count
            guard text.utf8.count >= count, text.utf8.suffix(count).elementsEqual(suffix.utf8) else { return nil }
            return String(decoding: text.utf8.dropLast(count), as: UTF8.self)
        }
        func errno(_ text: String) -> Errno? {
            guard let value = Int32(text) else { return nil }
            return Errno(rawValue: value < 0 ? -value : value)
        }
        func split(_ text: String, atLast separator: String) -> (String, String)? {
            let bytes = Array(text.utf8), needle = Array(separator.utf8)
            guard bytes.count >= needle.count else { return nil }
            for start in stride(from: bytes.count - needle.count, through: 0, by: -1)
            where bytes[start..<(start + needle.count)].elementsEqual(needle) {
                return (
                    String(decoding: bytes[..<start], as: UTF8.self),
                    String(decoding: bytes[(start + needle.count)...], as: UTF8.self)
                )
            }
            return nil
        }

        if let name = before(" is available", in: message) {
            self = .available(name: name)
        } else if let name = after("powering up ") {
            self = .poweringUp(name: name)
        } else if let rest = after("Booting fw image "), let (image, sizeText) = split(rest, atLast: ", size "),
            let size = Int(sizeText)
        {
            self = .bootingFirmware(image: image, size: size)
        } else if let rest = after("remote processor "), let name = before(" is now up", in: rest) {
            self = .up(name: name)
        } else if let rest = after("remote processor "), let name = before(" is now attached", in: rest) {
            self = .attached(name: name)
        } else if let name = after("stopped remote processor ") {
            self = .stopped(name: name)
        } else if let name = after("detached remote processor ") {
            self = .detached(name: name)
        } else if let rest = after("crash detected in "), let (name, type) = split(rest, atLast: ": type ") {
            self = .crashDetected(name: name, type: type)
        } else if let rest = after("handling crash #"), let space = rest.firstIndex(of: " "),
            let count = UInt32(rest[..<space]), rest[space...].hasPrefix(" in ")
        {
            self = .handlingCrash(count: count, name: String(rest[space...].dropFirst(4)))
        } else if let name = after("recovering ") {
            self = .recovering(name: name)
        } else if let code = after("Boot failed: ").flatMap(errno) {
            self = .bootFailed(code)
        } else if let code = after("request_firmware failed: ").flatMap(errno) {
            self = .requestFirmwareFailed(code)
        } else {
            self = .other(message)
        }
    }
}

/// A kernel log record about one remote processor.
public struct RemoteprocLogLine: Sendable, Equatable {
    /// The class device, `remoteprocN`.
    public var device: String
    public var event: RemoteprocLogEvent
    public var record: KmsgRecord

    /// Recognises a record about a remote processor: text starting `remoteproc remoteprocN: ` (dev_printk of the
    /// class device), or a `DEVICE=+remoteproc:remoteprocN` field. With CONFIG_REMOTEPROC_CDEV the field is
    /// `DEVICE=c<major>:<minor>` instead: pass the processors' `dev` numbers in `characterDevices`
    /// (`"c250:0": "remoteproc0"`). Returns nil for other records.
    public init?(_ record: KmsgRecord, characterDevices: [String: String] = [:]) {
        var device: String?
        var message = record.text
        let text = record.text.utf8
        if text.starts(with: "remoteproc remoteproc".utf8) {
            let rest = text.dropFirst("remoteproc ".utf8.count)
            if let colon = rest.firstIndex(of: UInt8(ascii: ":")), rest[colon...].starts(with: ": ".utf8),
                Self.isDeviceName(rest[..<colon])
            {
                device = String(decoding: rest[..<colon], as: UTF8.self)
                message = String(decoding: rest[colon...].dropFirst(2), as: UTF8.self)
            }
        }
        if device == nil, let field = record[property: "DEVICE"] {
            let name = field.utf8.dropFirst("+remoteproc:".utf8.count)
            if field.utf8.starts(with: "+remoteproc:".utf8), Self.isDeviceName(name) {
                device = String(decoding: name, as: UTF8.self)
            } else if let mapped = characterDevices[field], record[property: "SUBSYSTEM"] == "remoteproc" {
                device = mapped
            }
        }
        guard let device else { return nil }
        self.device = device
        self.event = RemoteprocLogEvent(message: message)
        self.record = record
    }

    /// `remoteproc` followed by one or more ASCII digits.
    static func isDeviceName(_ text: Substring.UTF8View) -> Bool {
        let digits = text.dropFirst("remoteproc".utf8.count)
        return text.starts(with: "remoteproc".utf8) && !digits.isEmpty
            && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

extension RemoteprocLogEvent {
    /// The crash type of a `crashDetected` line, nil for other lines and for a type string rprocd does not know.
    public var crashType: CrashType? {
        if case .crashDetected(_, let type) = self { return CrashType(sysfs: type) }
        return nil
    }
}
