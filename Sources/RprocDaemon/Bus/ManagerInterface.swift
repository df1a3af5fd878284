// org.daybreak.RemoteProc1.Manager, described once (docs/dbus-api.md).

import RprocBus
import RprocModel

extension BusAPI {
    func managerDescription() -> BusInterface {
        let target = BusArgument("nameOrDevice", "s")
        let methods: [BusMethod] = [
            BusMethod("ListProcessors", out: [BusArgument("processors", "a(ssso)")]) { [unowned self] _ throws(BusError) in
                let rows = self.manager.sortedProcessors.map { processor -> BusValue in
                    .structure([
                        .string(processor.device), .string(processor.name), .string(processor.state.sysfsValue),
                        .objectPath(processor.objectPath),
                    ])
                }
                return [.array(BusType("(ssso)")!, rows)]
            },
            BusMethod("GetProcessor", in: [target], out: [BusArgument("processor", "o")]) { [unowned self] call throws(BusError) in
                [.objectPath(try self.lookup(try Self.argument(call, 0, "processor name")).objectPath)]
            },
            BusMethod("Describe", out: [BusArgument("json", "s")]) { [unowned self] _ throws(BusError) in
                [.string(Describer.manager(self.manager, ready: self.isReady).serialized(.pretty))]
            },
            BusMethod(
                "EnqueueJob", in: [target, BusArgument("operation", "s"), BusArgument("argument", "s")],
                out: [BusArgument("id", "u"), BusArgument("processor", "o")], flags: .mutating
            ) { [unowned self] call throws(BusError) in
                let target = try Self.argument(call, 0, "processor name")
                let text = try Self.argument(call, 1, "operation")
                let argument = try Self.argument(call, 2, "argument")
                guard let operation = Operation(sysfs: text), operation.sysfsValue == text else {
                    let known = Operation.table.map { "'\($0.1)'" }.joined(separator: ", ")
                    throw .invalidArgs("Unknown operation '\(text)'; use one of \(known).")
                }
                let processor = try self.lookup(target)
                switch self.enqueue(operation, on: processor, argument: argument, completion: { _ in }) {
                case .success(let job?): return [.uint32(job.id), .objectPath(job.processor.objectPath)]
                case .success(nil): return [.uint32(0), .objectPath(processor.objectPath)]
                case .failure(let error): throw Self.busError(error)
                }
            },
            BusMethod("Reload", flags: .mutating) { [unowned self] _ throws(BusError) in
                self.onReload?()
                return []
            },
        ] + (manager.crashWatch?.busMethods(validate: { [unowned self] name throws(BusError) in _ = try self.lookup(name) }) ?? [])
        let properties = [
            BusProperty("Version", "s", change: .constant, get: { _ in .string(DaemonVersion.string) }),
            BusProperty("SystemBus", "b", change: .emitsChange, get: { [unowned self] _ in .bool(self.systemBus?.isOpen == true) }),
        ]
        let pair = [BusArgument("device", "s"), BusArgument("path", "o")]
        let signals = [
            BusSignal("ProcessorAdded", pair),
            BusSignal("ProcessorRemoved", pair),
            BusSignal("JobNew", [BusArgument("id", "u"), BusArgument("device", "s"), BusArgument("operation", "s")]),
            BusSignal("JobRemoved", [
                BusArgument("id", "u"), BusArgument("device", "s"), BusArgument("operation", "s"), BusArgument("result", "s"),
                BusArgument("errorName", "s"), BusArgument("errorMessage", "s"),
            ]),
        ]
        return BusInterface(Self.managerInterface, methods: methods, properties: properties, signals: signals)
    }
}
