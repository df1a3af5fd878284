// org.daybreak.RemoteProc1.Processor, described once: methods with named arguments, properties
// with their signature and change behaviour, signals (docs/dbus-api.md).

import RprocBus
import RprocModel

extension BusAPI {
    /// The property names in the order of docs/dbus-api.md.
    static let processorPropertyNames = [
        "Device", "Name", "State", "Job", "Firmware", "Recovery", "Coredump", "ReadOnly", "Condition", "BootCount",
        "CrashCount", "RestartCount", "Result", "StateChangeUSec", "LastCrashUSec", "LastCrashType", "NextRestartUSec",
        "LastError", "Channels", "Ready",
    ]

    /// Every property of `processor`, by name.
    func properties(of processor: ManagedProcessor) -> [String: BusValue] {
        let driver = manager.crashWatch?.driver(processor.device)
        return [
            "Device": .string(processor.device),
            "Name": .string(processor.name),
            "State": .string(processor.state.sysfsValue),
            "Job": .string(
                driver?.isFailed == true
                    ? Job.failed.sysfsValue
                    : processor.job == .idle && coordinator?.isAwaitingReadiness(processor.device) == true
                        ? Job.starting.sysfsValue : processor.job.sysfsValue),
            "Firmware": .string(processor.firmware),
            "Recovery": .string(processor.recovery),
            "Coredump": .string(processor.coredump),
            "ReadOnly": .bool(processor.isReadOnly),
            "Condition": .string(processor.condition?.sysfsValue ?? ""),
            "BootCount": .uint32(processor.counters.boots),
            "CrashCount": .uint32(processor.counters.crashes),
            "RestartCount": .uint32(processor.restartCount),
            "Result": .string(result(of: processor, driver: driver).sysfsValue),
            "StateChangeUSec": .uint64(processor.stateChangeMicroseconds),
            "LastCrashUSec": .uint64(processor.counters.lastCrashMicroseconds),
            "LastCrashType": .string(driver.map { $0.lastCrashTypeString }.flatMap { $0.isEmpty ? nil : $0 } ?? processor.counters.lastCrashType),
            "NextRestartUSec": .uint64(driver?.nextRestartUSec ?? 0),
            "LastError": .string(processor.counters.lastError),
            "Channels": .array(BusType("(ssuu)")!, processor.channels.map {
                .structure([.string($0.name), .string($0.deviceNode), .uint32($0.source), .uint32($0.destination)])
            }),
            "Ready": .bool(isReady(processor)),
        ]
    }

    /// D-Bus `Result`: the restart policy's (crash, start-limit-hit, fallback) unless the last
    /// start or update ended later in `timeout` or `rolled-back` (which follow a crash).
    func result(of processor: ManagedProcessor, driver: RestartDriver?) -> ProcessorResult {
        if processor.result == .timeout || processor.result == .rolledBack { return processor.result }
        if let driver, driver.result != .success { return driver.result }
        return processor.result
    }

    /// D-Bus `Ready`: up, every `ReadyOn=` channel announced, and no start waiting for them.
    func isReady(_ processor: ManagedProcessor) -> Bool { coordinator?.isReady(processor) ?? manager.isReady(processor) }

    private static let propertySignatures: [String: String] = [
        "ReadOnly": "b", "BootCount": "u", "CrashCount": "u", "RestartCount": "u", "StateChangeUSec": "t",
        "LastCrashUSec": "t", "NextRestartUSec": "t", "Channels": "a(ssuu)", "Ready": "b",
    ]

    func processorDescription() -> BusInterface {
        let properties = Self.processorPropertyNames.map { name in
            BusProperty(
                name, Self.propertySignatures[name] ?? "s", change: name == "Device" ? .constant : .emitsChange,
                get: { [unowned self] object in
                    guard let id = object.id, let processor = self.manager.processors[id] else {
                        return Self.emptyValue(Self.propertySignatures[name] ?? "s")
                    }
                    return self.properties(of: processor)[name]!
                })
        }
        let firmware = [BusArgument("firmware", "s")]
        let methods: [BusMethod] = [
            .deferred("Start", in: firmware, flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.run(.start, call, token, argument: try Self.argument(call, 0, "firmware name"))
            },
            .deferred("Stop", flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.run(.stop, call, token)
            },
            .deferred("Restart", in: firmware, flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.run(.restart, call, token, argument: try Self.argument(call, 0, "firmware name"))
            },
            .deferred("Detach", flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.run(.detach, call, token)
            },
            .deferred("Attach", flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.run(.attach, call, token)
            },
            .deferred("Recover", flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.run(.recover, call, token)
            },
            .deferred("SetFirmware", in: firmware, flags: .mutating) { [unowned self] call, token throws(BusError) in
                let name = try Self.argument(call, 0, "firmware name")
                if name.isEmpty { throw .invalidArgs("SetFirmware needs a firmware name.") }
                try self.run(.setFirmware, call, token, argument: name)
            },
            .deferred("ResetFailed", flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.run(.resetFailed, call, token)
            },
            .deferred("Update", in: [BusArgument("path", "s")], flags: .mutating) { [unowned self] call, token throws(BusError) in
                let path = try Self.argument(call, 0, "path")
                if path.isEmpty { throw .invalidArgs("Update needs the path of the new firmware image.") }
                try self.update(call, token, path: path)
            },
            .deferred("Rollback", flags: .mutating) { [unowned self] call, token throws(BusError) in
                try self.update(call, token, path: nil)
            },
            BusMethod("ListFirmwareImages", out: [BusArgument("images", "a(sstb)")]) { [unowned self] call throws(BusError) in
                let processor = try self.processor(for: call.object)
                return [StagedImage.busValue(self.coordinator?.firmwareImages(processor) ?? [])]
            },
            BusMethod("GetLog", in: [BusArgument("lines", "u")], out: [BusArgument("lines", "as")]) { [unowned self] call throws(BusError) in
                let processor = try self.processor(for: call.object)
                let count = Int(call.uint32(0))
                return [.strings(self.manager.crashWatch?.log(processor.device, last: count) ?? [])]
            },
            BusMethod("Describe", out: [BusArgument("json", "s")]) { [unowned self] call throws(BusError) in
                let processor = try self.processor(for: call.object)
                return [.string(Describer.processor(processor, ready: self.isReady(processor)).serialized(.pretty))]
            },
        ]
        let signals = [
            BusSignal("StateChanged", [BusArgument("old", "s"), BusArgument("new", "s"), BusArgument("reason", "s")]),
            BusSignal("Crashed", [BusArgument("type", "s"), BusArgument("count", "u")]),
            BusSignal("Recovered", [BusArgument("restarts", "u")]),
            BusSignal("Failed", [BusArgument("reason", "s")]),
            BusSignal("LogLines", [BusArgument("lines", "as")]),
        ]
        return BusInterface(Self.processorInterface, methods: methods, properties: properties, signals: signals)
    }

    static func emptyValue(_ signature: String) -> BusValue {
        switch signature {
        case "b": .bool(false)
        case "u": .uint32(0)
        case "t": .uint64(0)
        case "a(ssuu)": .array(BusType("(ssuu)")!, [])
        default: .string("")
        }
    }
}
