// ANSI text attributes, applied only when colours are enabled.

/// A text attribute for terminal output.
///
/// Mirrors the subset of systemd's `ansi_*` helpers (`src/basic/terminal-util.h`) that rprocctl uses.
enum Style: String, Sendable {
    case bold = "\u{1B}[1m"
    case underline = "\u{1B}[4m"
    case red = "\u{1B}[0;1;31m"
    case yellow = "\u{1B}[0;1;38;5;185m"
    case green = "\u{1B}[0;1;32m"
    case grey = "\u{1B}[0;38;5;245m"

    static let reset = "\u{1B}[0m"
}

/// Applies styles when colours are on and leaves text alone otherwise.
struct Styler: Sendable {
    let enabled: Bool

    func apply(_ style: Style?, _ text: String) -> String {
        guard enabled, let style, !text.isEmpty else { return text }
        return style.rawValue + text + Style.reset
    }
}

/// Text from a firmware image (section and resource names) made safe for a terminal: control
/// characters and DEL become `\xNN`, so an image cannot send escape sequences to the user's
/// terminal. As systemd's `cescape`, but leaving printable non-ASCII alone.
func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }) else {
        return text
    }
    var result = ""
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
            let hex = String(scalar.value, radix: 16)
            result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
        } else if scalar == "\\" {
            result += "\\\\"
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}
