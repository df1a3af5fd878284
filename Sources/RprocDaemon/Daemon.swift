// The daemon's startup order, as timesyncd's `run()`: logging, configuration, event loop,
// discovery, the control socket, READY=1, the loop; then STOPPING=1. SIGTERM stops serving and
// starts or stops no processor; a processor whose recovery rprocd owns gets `recovery ← enabled`
// back. SIGHUP reloads the configuration.

import Glibc
import Logging
import RprocEventLoop
import RprocModel
import RprocSystem

/// rprocd's version, reported by `--version` and the Manager's `Version` property.
public enum DaemonVersion {
    public static let string = "0.1.0"
}

/// Runs rprocd.
public enum Daemon {
    /// Runs the daemon until SIGTERM or SIGINT, then exits the process with its status.
    public static func run(_ invocation: DaemonInvocation) -> Never {
        bootstrapLogging(level: invocation.logLevel)
        let logger = Logger(label: "rprocd")
        // Before any thread starts: signals reach the loop's signalfd only when every thread blocks them.
        EventLoop.blockSignals([SIGTERM, SIGINT, SIGHUP])
        signal(SIGPIPE, SIG_IGN)
        let loop: EventLoop
        do {
            loop = try EventLoop()
        } catch {
            logger.critical("Failed to create the event loop: \(error)")
            Glibc.exit(1)
        }
        let runtime: DaemonRuntime
        do {
            runtime = try DaemonRuntime(invocation: invocation, loop: loop, logger: logger)
        } catch {
            logger.critical("Failed to start: \(error)")
            Glibc.exit(1)
        }
        runtime.start()
        var code: Int32
        do {
            code = try loop.run()
        } catch {
            logger.critical("The event loop failed: \(error)")
            code = 1
        }
        runtime.shutdown()
        withExtendedLifetime(runtime) { Glibc.exit(code) }
    }

    /// Installs `JournalLogHandler` as swift-log's backend (once per process).
    public static func bootstrapLogging(level: Logger.Level) {
        let destination = LogDestination.detectFromProcess()
        LoggingSystem.bootstrap { _ in JournalLogHandler(destination: destination, level: level) }
    }
}

/// Everything the running daemon holds, on the loop thread.
final class DaemonRuntime: ManagerObserver {
    let invocation: DaemonInvocation
    let loop: EventLoop
    let logger: Logger
    let manager: Manager
    private var watcher: KernelLogWatcher?
    private var udev: UdevWatcher?
    private var signals: [SignalSource] = []
    private var lastStatus = ""
    private var ready = false
    /// The bus side (private socket and system bus), set up after discovery.
    var api: BusAPI?
    /// Readiness, ordering, rproc-ready@ targets, updates and metrics (issue #8).
    let coordinator: ReadinessCoordinator

    init(invocation: DaemonInvocation, loop: EventLoop, logger: Logger) throws {
        self.invocation = invocation
        self.loop = loop
        self.logger = logger
        let configuration = Self.loadConfiguration(invocation, logger: logger)
        let settings = DaemonSettings(configuration?.daemon ?? DaemonConfig()).applying(invocation.overrides)
        manager = try Manager(
            loop: loop, kernel: KernelFiles(root: invocation.root), store: CounterStore(stateDirectory: invocation.stateDirectory),
            settings: settings, logger: logger)
        manager.configuration = configuration
        var systemd: SystemdManager?
        if settings.systemBus {
            systemd = try SystemdManager(loop: loop)
        } else {
            logger.info("Not managing rproc-ready@ targets: SystemBus=no.")
        }
        coordinator = try ReadinessCoordinator(manager: manager, systemd: systemd, metricsFile: configuration?.daemon.metricsFile)
        manager.observer = self
        coordinator.onJobRemoved = { [weak self] id, processor, operation, result, error in
            self?.api?.jobRemoved(id: id, processor: processor, operation: operation, result: result, error: error)
        }
    }

    /// Reads and parses the configuration; every problem is logged as a warning. A configuration
    /// that cannot be used at all (an ordering cycle) leaves the previous one, or the defaults.
    static func loadConfiguration(_ invocation: DaemonInvocation, logger: Logger) -> Configuration? {
        let snapshot = ConfigLoader.load(directories: invocation.configDirectories)
        for problem in snapshot.problems { logger.warning("Failed to read \(problem), ignoring.") }
        do {
            let configuration = try Configuration.parse(
                files: snapshot.files, daemonDirectories: snapshot.directories,
                processorDirectories: snapshot.processorDirectories)
            for warning in configuration.warnings { logger.warning("\(warning)") }
            return configuration
        } catch {
            logger.error("Failed to load the configuration: \(error) Using the built-in defaults.")
            return nil
        }
    }

    func start() {
        for number in [SIGTERM, SIGINT] {
            if let source = try? loop.addSignal(number, { [weak self] signal in self?.terminate(signal) }) {
                signals.append(source)
            }
        }
        if let source = try? loop.addSignal(SIGHUP, { [weak self] _ in self?.reload() }) { signals.append(source) }
        do {
            if try loop.enableWatchdog() { logger.debug("Watchdog enabled.") }
        } catch {
            logger.warning("Failed to enable the watchdog: \(error), ignoring.")
        }
        do {
            let watcher = try KernelLogWatcher(manager: manager, logger: logger)
            self.watcher = watcher
            manager.beforePoll = { [weak watcher] in watcher?.drain() }
            watcher.onChannelLines = { [weak self] created in self?.coordinator.channelsAnnounced(created) ?? false }
        } catch {
            logger.warning("Failed to watch the kernel log '\(invocation.kernelPath("/dev/kmsg"))': \(error), ignoring; polling only.")
        }
        udev = UdevWatcher(manager: manager, logger: logger)
        manager.start { [weak self] in
            self?.discovered()
            self?.coordinator.autoStart()
        }
    }

    private func discovered() {
        do {
            api = try BusAPI(manager: manager, coordinator: coordinator, settings: manager.settings, logger: logger)
        } catch {
            logger.critical("Failed to listen on '\(manager.settings.socketPath)': \(error)")
            loop.exit(1)
            return
        }
        api?.onReload = { [weak self] in self?.reload() }
        ready = true
        lastStatus = manager.statusLine
        Systemd.ready(status: lastStatus)
        logger.notice("Managing \(lastStatus); listening on '\(manager.settings.socketPath)'.")
    }

    private func terminate(_ signal: Int32) {
        Systemd.stopping()
        logger.notice(
            "Received \(signal == SIGTERM ? "SIGTERM" : "SIGINT"); stopping, leaving every processor as it is (recovery handed back to the kernel).")
        loop.exit(0)
    }

    private func reload() {
        Systemd.reloading()
        let configuration = Self.loadConfiguration(invocation, logger: logger)
        let settings = DaemonSettings(configuration?.daemon ?? DaemonConfig()).applying(invocation.overrides)
        let previous = manager.settings
        if let configuration { manager.configuration = configuration }
        manager.reload(settings: settings)
        manager.reloadCrashWatch()
        if settings.socketPath != previous.socketPath {
            logger.warning("SocketPath= changed to '\(settings.socketPath)'; it takes effect at the next start, ignoring.")
        }
        api?.reload(settings: settings)
        logger.notice("Reloaded the configuration.")
        Systemd.ready(status: manager.statusLine)
    }

    func shutdown() {
        watcher?.cancel()
        udev?.cancel()
        api?.shutdown()
        coordinator.shutdown()
        manager.handBackRecovery()
        manager.shutdown()
        for source in signals { source.cancel() }
    }

    private func updateStatus() {
        guard ready else { return }
        let status = manager.statusLine
        if status != lastStatus {
            lastStatus = status
            Systemd.status(status)
        }
    }

    // MARK: ManagerObserver: the bus side plus STATUS=

    func processorAdded(_ processor: ManagedProcessor) {
        api?.processorAdded(processor)
        updateStatus()
    }

    func processorRemoved(_ processor: ManagedProcessor) {
        coordinator.processorRemoved(processor)
        api?.processorRemoved(processor)
        updateStatus()
    }

    func processorChanged(_ processor: ManagedProcessor) {
        coordinator.processorChanged(processor)
        api?.processorChanged(processor)
        updateStatus()
    }

    func stateChanged(_ processor: ManagedProcessor, old: String, new: String, reason: String) {
        api?.stateChanged(processor, old: old, new: new, reason: reason)
    }

    func crashed(_ processor: ManagedProcessor, type: String, count: UInt32) {
        api?.crashed(processor, type: type, count: count)
        coordinator.crashed(processor, type: type)
    }

    func recovered(_ processor: ManagedProcessor) {
        api?.recovered(processor)
    }

    func failed(_ processor: ManagedProcessor, reason: String) {
        api?.failed(processor, reason: reason)
    }

    func failureAction(_ action: FailureAction, processor: ManagedProcessor) {
        coordinator.failureAction(action, processor: processor)
    }

    func jobNew(id: UInt32, processor: ManagedProcessor, operation: Operation) {
        api?.jobNew(id: id, processor: processor, operation: operation)
    }

    func jobRemoved(id: UInt32, processor: ManagedProcessor, operation: Operation, result: ProcessorResult, error: DaemonError?) {
        // A start held for readiness is announced when its ReadyOn= channels are there (or not).
        if coordinator.holdJobRemoved(id: id, processor: processor, operation: operation, error: error) { return }
        api?.jobRemoved(id: id, processor: processor, operation: operation, result: result, error: error)
    }

    func logLines(_ processor: ManagedProcessor, lines: [String]) {
        api?.logLines(processor, lines: lines)
    }
}
