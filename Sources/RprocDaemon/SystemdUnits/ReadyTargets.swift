// systemd units can depend on a processor: rprocd starts `rproc-ready@<name>.target` when the
// processor becomes ready and stops it when it stops, crashes or fails; a service says
// `BindsTo=rproc-ready@m4.target` and `After=rproc-ready@m4.target`. `FailureAction=reboot` asks
// systemd to reboot the board the way systemd's own FailureAction=reboot does.
//
// Wiring (the manager, on the loop thread):
// - In: `readyChanged(name:ready:)` whenever a processor's `Ready` changes (the
//   `ReadinessTracker`'s `.ready`, and every state change that leaves it not up: stop, crash,
//   failed); `failureAction(_:)` when the restart policy gives up (`RestartDecision` with
//   `FailureAction=`).
// - Out: each returned `SystemdCall` goes to `SystemdManager.perform(_:completion:)`, which runs it
//   off the loop. Its `SystemdCallOutcome` is logged by the manager: `.skipped(reason:)` with a
//   reason once ("No systemd manager on the system bus (…); not starting rproc-ready@ targets."),
//   `.failed` as a warning ending in ", ignoring".

import RprocModel

/// One call to `org.freedesktop.systemd1.Manager` (on `/org/freedesktop/systemd1`).
enum SystemdCall: Equatable, Sendable {
    /// `StartUnit(s name, s mode)`.
    case startUnit(String, mode: String)
    /// `StopUnit(s name, s mode)`.
    case stopUnit(String, mode: String)

    var member: String {
        switch self {
        case .startUnit: "StartUnit"
        case .stopUnit: "StopUnit"
        }
    }

    var unit: String {
        switch self {
        case .startUnit(let unit, _), .stopUnit(let unit, _): unit
        }
    }

    var mode: String {
        switch self {
        case .startUnit(_, let mode), .stopUnit(_, let mode): mode
        }
    }
}

/// Which `rproc-ready@` targets rprocd started, and the calls that keep them in step.
struct ReadyTargets {
    private var started: Set<String> = []

    /// `rproc-ready@<name>.target`, the instance escaped as `systemd-escape` does.
    static func unit(for name: String) -> String { "rproc-ready@" + escapeInstance(name) + ".target" }

    /// A processor's `Ready` changed.
    ///
    /// - Returns: the call to make, or nil when the target is already as it should be.
    mutating func readyChanged(name: String, ready: Bool) -> SystemdCall? {
        let unit = Self.unit(for: name)
        if ready {
            guard started.insert(unit).inserted else { return nil }
            return .startUnit(unit, mode: "replace")
        }
        guard started.remove(unit) != nil else { return nil }
        return .stopUnit(unit, mode: "replace")
    }

    /// The call for a restart policy that gave up; nil for the actions rprocd carries out itself.
    /// `reboot` is what systemd's `emergency_action()` does for `FailureAction=reboot`: start
    /// `reboot.target` with mode `replace-irreversibly` (a clean reboot, services stopped).
    static func failureAction(_ action: FailureAction) -> SystemdCall? {
        switch action {
        case .reboot: .startUnit("reboot.target", mode: "replace-irreversibly")
        case .stop, .leave: nil
        }
    }

    /// `unit_name_escape()`: `[A-Za-z0-9:_.]` stay (a leading `.` does not), `/` becomes `-`,
    /// every other byte `\xNN`.
    static func escapeInstance(_ text: String) -> String {
        var out = ""
        for (index, byte) in text.utf8.enumerated() {
            let alnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if byte == UInt8(ascii: "/") {
                out += "-"
            } else if alnum || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_") || (byte == UInt8(ascii: ".") && index > 0) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789abcdef".unicodeScalars)
                out += "\\x"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}
