// The D-Bus API of docs/dbus-api.md on the private control socket: the Manager object and one
// Processor object per processor, described once (RprocBus derives dispatch, introspection and
// org.freedesktop.DBus.Properties from the descriptions). Loop-thread only.

import Glibc
import Logging
import RprocBus
import RprocEventLoop
import RprocModel

/// The bus side of the daemon.
final class BusAPI {
    static let busName = "org.daybreak.RemoteProc1"
    static let managerPath = "/org/daybreak/RemoteProc1"
    static let managerInterface = "org.daybreak.RemoteProc1.Manager"
    static let processorPrefix = "/org/daybreak/RemoteProc1/processor"
    static let processorInterface = "org.daybreak.RemoteProc1.Processor"
    /// Longest string argument accepted (a name, a firmware, a path); longer is InvalidArgs.
    static let maximumArgumentLength = 4096

    let manager: Manager
    /// Readiness-aware starts, ordered stops, updates (nil: plain manager jobs, as in unit tests).
    let coordinator: ReadinessCoordinator?
    let logger: Logger
    let registry: ObjectRegistry
    private var server: PrivateBusServer?
    /// The system bus connection, when the name is owned there.
    private(set) var systemBus: BusConnection?
    /// The property values last announced, per device, to send PropertiesChanged for what changed.
    private var announced: [String: [String: BusValue]] = [:]
    /// Called for `Reload()`.
    var onReload: (() -> Void)?

    init(manager: Manager, coordinator: ReadinessCoordinator? = nil, settings: DaemonSettings, logger: Logger) throws {
        self.manager = manager
        self.coordinator = coordinator
        self.logger = logger
        registry = ObjectRegistry(loop: manager.loop)
        applyAuthorization(settings)
        registry.addObject(Self.managerPath, interfaces: [managerDescription()])
        registry.addSubtree(
            Self.processorPrefix, interfaces: [processorDescription()],
            enumerate: { [unowned self] in self.manager.order },
            exists: { [unowned self] id in self.manager.processors[id] != nil })
        for processor in manager.sortedProcessors { announced[processor.device] = properties(of: processor) }
        server = try PrivateBusServer(
            loop: manager.loop, registry: registry, listen: Self.listener(settings: settings, logger: logger),
            options: .init(mode: settings.socketMode, group: Self.groupID(settings.socketGroup), busName: Self.busName))
        if Self.groupID(settings.socketGroup) == nil, !settings.socketGroup.isEmpty {
            logger.warning("Group '\(settings.socketGroup)' does not exist; the control socket keeps its group, ignoring SocketGroup=.")
        }
        if settings.systemBus { joinSystemBus() }
    }

    /// Owns `org.daybreak.RemoteProc1` on the system bus (`DBUS_SYSTEM_BUS_ADDRESS` or the default
    /// socket). Not reachable is normal (containers, early boot): the private socket serves anyway.
    private func joinSystemBus() {
        switch registry.joinBus(name: Self.busName) {
        case .connected(let connection):
            systemBus = connection
            connection.onClose = { [weak self] in
                self?.systemBus = nil
                self?.logger.warning("Lost the system bus; serving the private socket only.")
            }
            logger.info("Owning '\(Self.busName)' on the system bus.")
        case .notReachable(let reason):
            logger.info("The system bus is not reachable (\(reason)); serving the private socket only.")
        case .nameNotAcquired(let reason):
            logger.warning("Failed to own '\(Self.busName)' on the system bus: \(reason), ignoring; serving the private socket only.")
        }
    }

    /// The socket passed by rprocd.socket, else a socket bound at `SocketPath=`.
    static func listener(settings: DaemonSettings, logger: Logger) -> PrivateBusServer.Listener {
        for fd in Systemd.listenFDs() where Systemd.isListeningUnixSocket(fd) {
            logger.debug("Using the control socket passed by the service manager (fd \(fd)).")
            return .activated(fd: fd)
        }
        return .path(settings.socketPath)
    }

    func reload(settings: DaemonSettings) {
        applyAuthorization(settings)
    }

    private func applyAuthorization(_ settings: DaemonSettings) {
        let gid = Self.groupID(settings.adminGroup)
        if gid == nil, !settings.adminGroup.isEmpty {
            logger.warning("Group '\(settings.adminGroup)' does not exist; only root may call mutating methods, ignoring AdminGroup=.")
        }
        registry.authorize = Authorization.rootOrGroup(gid, groupName: settings.adminGroup)
    }

    func shutdown() {
        server?.close()
        server = nil
        systemBus?.close()
        systemBus = nil
    }

    /// The gid of `name`, nil when there is no such group.
    static func groupID(_ name: String) -> UInt32? {
        guard !name.isEmpty else { return nil }
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = getgrnam_r(name, &group, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return group.gr_gid
    }

    // MARK: Announcements from the manager

    func processorAdded(_ processor: ManagedProcessor) {
        announced[processor.device] = properties(of: processor)
        emit(Self.managerPath, Self.managerInterface, "ProcessorAdded", [.string(processor.device), .objectPath(processor.objectPath)])
    }

    func processorRemoved(_ processor: ManagedProcessor) {
        announced[processor.device] = nil
        emit(Self.managerPath, Self.managerInterface, "ProcessorRemoved", [.string(processor.device), .objectPath(processor.objectPath)])
    }

    func processorChanged(_ processor: ManagedProcessor) {
        let now = properties(of: processor)
        let before = announced[processor.device] ?? [:]
        announced[processor.device] = now
        let changed = Self.processorPropertyNames.filter { now[$0] != before[$0] }
        guard !changed.isEmpty else { return }
        do {
            try registry.emitPropertiesChanged(path: processor.objectPath, interface: Self.processorInterface, properties: changed)
        } catch {
            logger.warning("Failed to announce the properties of '\(processor.name)': \(error), ignoring.")
        }
    }

    func stateChanged(_ processor: ManagedProcessor, old: String, new: String, reason: String) {
        emit(processor.objectPath, Self.processorInterface, "StateChanged", [.string(old), .string(new), .string(reason)])
    }

    func crashed(_ processor: ManagedProcessor, type: String, count: UInt32) {
        emit(processor.objectPath, Self.processorInterface, "Crashed", [.string(type), .uint32(count)])
    }

    func recovered(_ processor: ManagedProcessor) {
        emit(processor.objectPath, Self.processorInterface, "Recovered", [.uint32(processor.restartCount)])
    }

    func logLines(_ processor: ManagedProcessor, lines: [String]) {
        emit(processor.objectPath, Self.processorInterface, "LogLines", [.strings(lines)])
    }

    func failed(_ processor: ManagedProcessor, reason: String) {
        emit(processor.objectPath, Self.processorInterface, "Failed", [.string(reason)])
    }

    func jobNew(id: UInt32, processor: ManagedProcessor, operation: Operation) {
        emit(Self.managerPath, Self.managerInterface, "JobNew", [.uint32(id), .string(processor.device), .string(operation.sysfsValue)])
    }

    func jobRemoved(id: UInt32, processor: ManagedProcessor, operation: Operation, result: ProcessorResult, error: DaemonError?) {
        emit(Self.managerPath, Self.managerInterface, "JobRemoved", [
            .uint32(id), .string(processor.device), .string(operation.sysfsValue), .string(result.sysfsValue),
            .string(error?.name.rawValue ?? ""), .string(error?.message ?? ""),
        ])
    }

    private func emit(_ path: String, _ interface: String, _ member: String, _ arguments: [BusValue]) {
        do {
            try registry.emitSignal(path: path, interface: interface, member: member, arguments: arguments)
        } catch {
            logger.warning("Failed to emit '\(member)': \(error), ignoring.")
        }
    }

    // MARK: Helpers for handlers

    static func busError(_ error: DaemonError) -> BusError {
        BusError(name: error.name.rawValue, message: error.message)
    }

    /// The string argument at `index`, refused when longer than `maximumArgumentLength`.
    static func argument(_ call: MethodCall, _ index: Int, _ what: String) throws(BusError) -> String {
        let value = call.string(index)
        if value.utf8.count > maximumArgumentLength {
            throw .invalidArgs("The \(what) is \(value.utf8.count) bytes long; the limit is \(maximumArgumentLength).")
        }
        return value
    }

    func processor(for object: BusObjectRef) throws(BusError) -> ManagedProcessor {
        guard let id = object.id, let processor = manager.processors[id] else {
            throw BusError(name: DaemonError.Name.noSuchProcessor.rawValue, message: "No remote processor at '\(object.path)'.")
        }
        return processor
    }

    func lookup(_ nameOrDevice: String) throws(BusError) -> ManagedProcessor {
        switch manager.lookup(nameOrDevice) {
        case .success(let processor): return processor
        case .failure(let error): throw Self.busError(error)
        }
    }

    /// Queues `operation` on the processor of `call` and replies when it is over.
    func run(_ operation: Operation, _ call: MethodCall, _ token: ReplyToken, argument: String = "") throws(BusError) {
        let processor = try processor(for: call.object)
        let accepted = enqueue(operation, on: processor, argument: argument) { result in
            switch result {
            case .success: token.reply()
            case .failure(let error): token.fail(Self.busError(error))
            }
        }
        if case .failure(let error) = accepted { throw Self.busError(error) }
    }

    /// Queues `operation` through the coordinator when there is one: a start completes when the
    /// processor is ready (`ReadyOn=`); a stop first stops the processors that `Requires=` it.
    /// Returns the acceptance: the job id, nil while a stop waits for its dependents to stop.
    func enqueue(
        _ operation: Operation, on processor: ManagedProcessor, argument: String,
        completion: @escaping (Result<Void, DaemonError>) -> Void
    ) -> Result<(id: UInt32, processor: ManagedProcessor)?, DaemonError> {
        switch (operation, coordinator) {
        case (.start, let coordinator?), (.restart, let coordinator?), (.attach, let coordinator?):
            return coordinator.start(processor, operation: operation, firmware: argument, completion: completion).map { $0 }
        case (.stop, let coordinator?):
            return coordinator.stop(processor, completion: completion)
        default:
            return manager.enqueue(operation, on: processor.device, argument: argument, completion: completion).map { $0 }
        }
    }

    /// `Update(s path)` and `Rollback()`: the reply when the update is over; a rollback is the
    /// error `RolledBack` (the previous image runs again), a failed rollback `Failed`.
    func update(_ call: MethodCall, _ token: ReplyToken, path: String?) throws(BusError) {
        let processor = try processor(for: call.object)
        guard let coordinator else { throw BusError(name: BusError.Name.notSupported, message: "Firmware updates need the daemon.") }
        let done: (Result<UpdateRunner.Outcome, DaemonError>) -> Void = { result in
            switch result {
            case .success(.kept): token.reply()
            case .success(.rolledBack(let to, let reason)):
                token.fail(BusError(
                    name: DaemonError.Name.rolledBack.rawValue,
                    message: "The update of '\(processor.name)' was rolled back to '\(to)': \(reason)."))
            case .success(.failed(let reason)):
                token.fail(BusError(name: DaemonError.Name.internalFailure.rawValue, message: reason))
            case .failure(let error): token.fail(Self.busError(error))
            }
        }
        if let path { coordinator.update(processor, path: path, completion: done) } else { coordinator.rollback(processor, completion: done) }
    }
}

extension BusAPI: ManagerObserver {}
