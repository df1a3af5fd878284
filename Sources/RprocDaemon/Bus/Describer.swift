// `Describe()`: JSON of the daemon and its processors, keys lowerCamel and stable.

import RprocJSON
import RprocModel

enum Describer {
    static func processor(_ processor: ManagedProcessor, ready: Bool) -> JSONValue {
        .object(JSONObject([
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
            ("bootCount", .number(processor.counters.boots)),
            ("crashCount", .number(processor.counters.crashes)),
            ("restartCount", .number(processor.restartCount)),
            ("result", .string(processor.result.sysfsValue)),
            ("stateChangeUSec", .number(processor.stateChangeMicroseconds)),
            ("lastCrashUSec", .number(processor.counters.lastCrashMicroseconds)),
            ("lastCrashType", .string(processor.counters.lastCrashType)),
            ("lastError", .string(processor.counters.lastError)),
            ("ready", .bool(ready)),
            ("channels", .array(processor.channels.map { channel -> JSONValue in
                .object(JSONObject([
                    ("name", .string(channel.name)), ("deviceNode", .string(channel.deviceNode)),
                    ("source", .number(channel.source)), ("destination", .number(channel.destination)),
                ]))
            })),
            ("jobInFlight", processor.inFlight.map { job -> JSONValue in
                .object(JSONObject([("id", .number(job.id)), ("operation", .string(job.operation.sysfsValue))]))
            } ?? .null),
        ]))
    }

    static func manager(_ manager: Manager, ready: (ManagedProcessor) -> Bool) -> JSONValue {
        .object(JSONObject([
            ("version", .string(DaemonVersion.string)),
            ("root", .string(manager.kernel.root)),
            ("socketPath", .string(manager.settings.socketPath)),
            ("pollIntervalUSec", .number(manager.settings.pollIntervalMicroseconds)),
            ("processors", .array(manager.sortedProcessors.map { processor($0, ready: ready($0)) })),
        ]))
    }
}
