// `Describe()`: JSON of the daemon and its processors, keys lowerCamel and stable.
// TEMPORARY writer: switches to RprocJSON's JSONValue/JSONWriter once the `cli` branch lands it.

import RprocModel

/// A JSON value with keys in insertion order.
indirect enum DescribeJSON {
    case string(String)
    case number(UInt64)
    case bool(Bool)
    case object([(String, DescribeJSON)])
    case array([DescribeJSON])

    /// Two-space indented, one member per line.
    var pretty: String { render(indent: "") }

    private func render(indent: String) -> String {
        switch self {
        case .string(let text): return Self.quote(text)
        case .number(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .array(let items):
            if items.isEmpty { return "[]" }
            let inner = indent + "  "
            return "[\n" + items.map { inner + $0.render(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            let inner = indent + "  "
            return "{\n" + members.map { inner + Self.quote($0.0) + ": " + $0.1.render(indent: inner) }.joined(separator: ",\n")
                + "\n\(indent)}"
        }
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

enum Describer {
    static func processor(_ processor: ManagedProcessor) -> DescribeJSON {
        .object([
            ("device", .string(processor.device)),
            ("name", .string(processor.name)),
            ("objectPath", .string(processor.objectPath)),
            ("devicePath", .string(processor.devicePath)),
            ("state", .string(processor.state.sysfsValue)),
            ("job", .string(processor.job.sysfsValue)),
            ("firmware", .string(processor.firmware)),
            ("recovery", .string(processor.recovery)),
            ("coredump", .string(processor.coredump)),
            ("readOnly", .bool(processor.isReadOnly)),
            ("condition", .string(processor.condition?.sysfsValue ?? "")),
            ("bootCount", .number(UInt64(processor.counters.boots))),
            ("crashCount", .number(UInt64(processor.counters.crashes))),
            ("restartCount", .number(UInt64(processor.restartCount))),
            ("result", .string(processor.result.sysfsValue)),
            ("stateChangeUSec", .number(processor.stateChangeMicroseconds)),
            ("lastCrashUSec", .number(processor.counters.lastCrashMicroseconds)),
            ("lastCrashType", .string(processor.counters.lastCrashType)),
            ("lastError", .string(processor.counters.lastError)),
            ("jobInFlight", processor.inFlight.map { .object([("id", .number(UInt64($0.id))), ("operation", .string($0.operation.sysfsValue))]) } ?? .object([])),
        ])
    }

    static func manager(_ manager: Manager) -> DescribeJSON {
        .object([
            ("version", .string(DaemonVersion.string)),
            ("root", .string(manager.kernel.root)),
            ("socketPath", .string(manager.settings.socketPath)),
            ("pollIntervalUSec", .number(manager.settings.pollIntervalMicroseconds)),
            ("processors", .array(manager.sortedProcessors.map(processor))),
        ])
    }
}
