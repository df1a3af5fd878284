// Value parsers for command-line options that mirror configuration keys: the same parsers as the
// configuration files (SystemdIni), so `--poll-interval 1min 30s` means what `PollIntervalSec=` does.

import SystemdIni

enum ConfigValues {
    static func boolean(_ text: String) -> Bool? {
        try? Values.parseBoolean(text)
    }

    static func timeSpanMicroseconds(_ text: String) -> UInt64? {
        guard let span = try? Values.parseTimeSpan(text), !span.isInfinite else { return nil }
        return span.microseconds
    }
}
