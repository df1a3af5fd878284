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
        func after(_ prefix: String) -> String? {
            message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : nil
        }
        func before(_ suffix: String, in text: String) -> String? {
            text.hasSuffix(suffix) ? String(text.dropLast(suffix.count)) : nil
        }
        func errno(_ text: String) -> Errno? {
            guard let value = Int32(text) else { return nil }
            return Errno(rawValue: value < 0 ? -value : value)
        }
        func split(_ text: String, atLast separator: String) -> (String, String)? {
            guard let range = text.ranges(of: separator).last else { return nil }
            return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
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
        let prefix = "remoteproc "
        var device: String?
        var message = record.text
        if record.text.hasPrefix(prefix) {
            let rest = record.text.dropFirst(prefix.count)
            if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix(": "),
                Self.isDeviceName(rest[..<colon])
            {
                device = String(rest[..<colon])
                message = String(rest[colon...].dropFirst(2))
            }
        }
        if device == nil, let field = record[property: "DEVICE"] {
            if field.hasPrefix("+remoteproc:"), Self.isDeviceName(field.dropFirst("+remoteproc:".count)) {
                device = String(field.dropFirst("+remoteproc:".count))
            } else if let mapped = characterDevices[field], record[property: "SUBSYSTEM"] == "remoteproc" {
                device = mapped
            }
        }
        guard let device else { return nil }
        self.device = device
        self.event = RemoteprocLogEvent(message: message)
        self.record = record
    }

    static func isDeviceName(_ text: Substring) -> Bool {
        text.hasPrefix("remoteproc") && text.count > "remoteproc".count
            && text.dropFirst("remoteproc".count).allSatisfy(\.isASCII) && text.dropFirst("remoteproc".count).allSatisfy(\.isNumber)
    }
}

extension RemoteprocLogEvent {
    /// The crash type of a `crashDetected` line, nil for other lines and for a type string rprocd does not know.
    public var crashType: CrashType? {
        if case .crashDetected(_, let type) = self { return CrashType(sysfs: type) }
        return nil
    }
}
