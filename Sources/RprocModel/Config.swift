// The configuration model: `rprocd.conf` (+ `rprocd.conf.d/*.conf`) and per-processor `*.rproc`
// files (+ `<name>.rproc.d/*.conf`), parsed from text the caller read. Every key is one row of a
// static table `Section.Key → parser`, the Swift form of systemd's gperf tables.

/// One row of a key table.
public struct ConfigKey<Target>: Sendable {
    /// The section, without brackets.
    public let section: String
    /// The key.
    public let key: String
    /// Parses the value into the target; an empty value resets lists (and optionals) to unset.
    let apply: @Sendable (inout Target, String) throws(ValueError) -> Void

    init(_ section: String, _ key: String, _ apply: @escaping @Sendable (inout Target, String) throws(ValueError) -> Void) {
        self.section = section
        self.key = key
        self.apply = apply
    }

    /// `Section.Key`.
    public var name: String { "\(section).\(key)" }
}

/// Applies `document` to `target` through `table`; every problem is a warning ending in
/// ", ignoring", with the assignment's `file:line`.
func apply<Target>(_ document: Document, table: [ConfigKey<Target>], to target: inout Target) -> [Diagnostic] {
    let sections = Set(table.map(\.section))
    var warnings: [Diagnostic] = []
    for header in document.sections where !sections.contains(header.name) {
        warnings.append(Diagnostic(location: header.location, message: "Unknown section '\(header.name)', ignoring."))
    }
    for assignment in document.assignments where sections.contains(assignment.section) {
        guard let row = table.first(where: { $0.section == assignment.section && $0.key == assignment.key }) else {
            warnings.append(Diagnostic(
                location: assignment.location,
                message: "Unknown key '\(assignment.key)' in section [\(assignment.section)], ignoring."))
            continue
        }
        do {
            try row.apply(&target, assignment.value)
        } catch {
            warnings.append(Diagnostic(
                location: assignment.location,
                message: "Failed to parse \(assignment.key)= value '\(assignment.value)': \(error), ignoring."))
        }
    }
    return warnings
}

/// A list setting: an empty value resets it, otherwise the words are appended (systemd's rule).
func assignList(_ list: inout [String], _ value: String) {
    if value.isEmpty { list.removeAll() } else { list += Values.parseList(value) }
}

/// An optional setting: an empty value resets it to unset.
func assignOptional<T>(_ slot: inout T?, _ value: String, _ parse: (String) throws(ValueError) -> T) throws(ValueError) {
    slot = value.isEmpty ? nil : try parse(value)
}

// MARK: - rprocd.conf

/// `[Daemon]` of `rprocd.conf`.
public struct DaemonConfig: Hashable, Sendable {
    /// The private control socket.
    public var socketPath = "/run/rprocd/control"
    /// The socket's mode (`SocketMode=`, octal).
    public var socketMode: UInt16 = 0o660
    /// The socket's group; `nil`: the daemon's own.
    public var socketGroup: String?
    /// Members may make mutating calls (besides uid 0).
    public var adminGroup = "rproc"
    /// Own `org.daybreak.RemoteProc1` on the system bus when one is reachable.
    public var systemBus = true
    /// How often `state` is polled (the safety net under the kernel log and udev).
    public var pollInterval: TimeSpan = .seconds(1)
    /// OpenMetrics text file for node_exporter's textfile collector; `nil`: none.
    public var metricsFile: String?

    public init() {}

    /// `[Daemon]` keys.
    public static let table: [ConfigKey<DaemonConfig>] = [
        ConfigKey("Daemon", "SocketPath") { c, v throws(ValueError) in
            guard v.hasPrefix("/") else { throw ValueError(type: "absolute path", value: v, reason: .invalid) }
            c.socketPath = v
        },
        ConfigKey("Daemon", "SocketMode") { c, v throws(ValueError) in c.socketMode = try Values.parseMode(v) },
        ConfigKey("Daemon", "SocketGroup") { c, v in c.socketGroup = v.isEmpty ? nil : v },
        ConfigKey("Daemon", "AdminGroup") { c, v in c.adminGroup = v.isEmpty ? "rproc" : v },
        ConfigKey("Daemon", "SystemBus") { c, v throws(ValueError) in c.systemBus = try Values.parseBoolean(v) },
        ConfigKey("Daemon", "PollIntervalSec") { c, v throws(ValueError) in
            c.pollInterval = try positiveTimeSpan(v)
        },
        ConfigKey("Daemon", "MetricsFile") { c, v throws(ValueError) in
            try assignOptional(&c.metricsFile, v) { (p: String) throws(ValueError) -> String in
                guard p.hasPrefix("/") else { throw ValueError(type: "absolute path", value: p, reason: .invalid) }
                return p
            }
        },
    ]
}

/// A time span that must be finite and non-zero (poll intervals).
func positiveTimeSpan(_ v: String) throws(ValueError) -> TimeSpan {
    let t = try Values.parseTimeSpan(v)
    guard t.microseconds > 0, !t.isInfinite else { throw ValueError(type: "time span", value: v, reason: .outOfRange) }
    return t
}

// MARK: - *.rproc

/// `[Match]`: which processors a file applies to. Patterns are globs; within a key any pattern may
/// match, and every key that is set must match.
public struct MatchSection: Hashable, Sendable {
    /// Patterns for the kernel's `name` (`m4`, `dsp*`).
    public var names: [String] = []
    /// Patterns for the device (`remoteproc0`).
    public var devices: [String] = []

    public init(names: [String] = [], devices: [String] = []) {
        self.names = names
        self.devices = devices
    }

    /// Neither `Name=` nor `Device=` is set: the file is ignored.
    public var isEmpty: Bool { names.isEmpty && devices.isEmpty }

    /// Whether a processor with this kernel `name` and device name matches.
    public func matches(name: String, device: String) -> Bool {
        guard !isEmpty else { return false }
        return (names.isEmpty || Glob.matchesAny(names, name)) && (devices.isEmpty || Glob.matchesAny(devices, device))
    }
}

/// `[Firmware]`.
public struct FirmwareSection: Hashable, Sendable {
    /// The firmware to boot (a name in the kernel's firmware search path); `nil`: the kernel's.
    public var file: String?
    /// Booted once when the start limit is hit.
    public var fallbackFile: String?
    /// Staged images kept by updates.
    public var keep: UInt32 = 2

    public init() {}
}

/// `[Boot]`.
public struct BootSection: Hashable, Sendable {
    /// Boot an offline processor (attach a detached one) when rprocd starts.
    public var autoStart = false
    /// rpmsg channel names that must be announced before the processor counts as ready.
    public var readyOn: [String] = []
    /// How long to wait for `readyOn`; `nil`: wait forever.
    public var readyTimeout: TimeSpan?
    /// Processors (file stems) started before this one.
    public var after: [String] = []
    /// Processors this one needs: started before it, and it is stopped first when they stop.
    public var requires: [String] = []
    /// After an update, a crash within this time rolls back; `nil`: no probation.
    public var updateProbation: TimeSpan?

    public init() {}
}

/// `[Recovery]`.
public struct RecoverySection: Hashable, Sendable {
    /// `Owner=`.
    public var owner: RecoveryOwner = .rprocd
    /// `Restart=` … `FailureAction=`.
    public var restart = RestartSettings()
    /// Overrides `[Daemon] PollIntervalSec=` for this processor.
    public var pollInterval: TimeSpan?

    public init() {}
}

/// `[Coredump]`.
public struct CoredumpSection: Hashable, Sendable {
    /// `Mode=off|on|inline` as the kernel's `coredump` value; `nil`: leave the kernel's setting.
    public var mode: CoredumpMode?
    /// Retention as systemd-coredump's: `nil` means rprocd's default.
    public var maxFiles: UInt32?
    public var maxUse: UInt64?
    public var keepFree: UInt64?

    public init() {}

    /// `off`, `on`, `inline` → the kernel's `disabled`, `enabled`, `inline`.
    public static let modeTable: [(CoredumpMode, String)] = [(.disabled, "off"), (.enabled, "on"), (.inline, "inline")]
}

/// One processor file with its drop-ins applied.
public struct ProcessorConfig: Hashable, Sendable {
    /// The main file's path.
    public var file: String
    /// The file name without `.rproc` (`m4` for `m4.rproc`): what `After=`/`Requires=` name.
    public var id: String
    public var match = MatchSection()
    public var firmware = FirmwareSection()
    public var boot = BootSection()
    /// `[Memory] Window=` (repeatable; empty resets).
    public var memoryWindows: [MemoryWindow] = []
    public var recovery = RecoverySection()
    public var coredump = CoredumpSection()

    public init(file: String, id: String) {
        self.file = file
        self.id = id
    }

    /// The `*.rproc` keys.
    public static let table: [ConfigKey<ProcessorConfig>] = [
        ConfigKey("Match", "Name") { c, v in assignList(&c.match.names, v) },
        ConfigKey("Match", "Device") { c, v in assignList(&c.match.devices, v) },
        ConfigKey("Firmware", "File") { c, v throws(ValueError) in try assignOptional(&c.firmware.file, v, firmwareName) },
        ConfigKey("Firmware", "FallbackFirmware") { c, v throws(ValueError) in
            try assignOptional(&c.firmware.fallbackFile, v, firmwareName)
        },
        ConfigKey("Firmware", "KeepFirmware") { c, v throws(ValueError) in
            c.firmware.keep = try Values.parseInteger(v, as: UInt32.self)
        },
        ConfigKey("Boot", "AutoStart") { c, v throws(ValueError) in c.boot.autoStart = try Values.parseBoolean(v) },
        ConfigKey("Boot", "ReadyOn") { c, v in assignList(&c.boot.readyOn, v) },
        ConfigKey("Boot", "ReadyTimeoutSec") { c, v throws(ValueError) in
            try assignOptional(&c.boot.readyTimeout, v) { (s: String) throws(ValueError) in try Values.parseTimeSpan(s) }
        },
        ConfigKey("Boot", "After") { c, v in assignList(&c.boot.after, v) },
        ConfigKey("Boot", "Requires") { c, v in assignList(&c.boot.requires, v) },
        ConfigKey("Boot", "UpdateProbationSec") { c, v throws(ValueError) in
            try assignOptional(&c.boot.updateProbation, v) { (s: String) throws(ValueError) in try Values.parseTimeSpan(s) }
        },
        ConfigKey("Memory", "Window") { c, v throws(ValueError) in
            if v.isEmpty { c.memoryWindows.removeAll(); return }
            var parsed: [MemoryWindow] = []
            for word in Values.parseList(v) { parsed.append(try Values.parseMemoryWindow(word)) }
            c.memoryWindows += parsed
        },
        ConfigKey("Recovery", "Owner") { c, v throws(ValueError) in c.recovery.owner = try keyword(v, RecoveryOwner.self, "recovery owner") },
        ConfigKey("Recovery", "Restart") { c, v throws(ValueError) in
            c.recovery.restart.restart = try keyword(v, RestartMode.self, "restart mode")
        },
        ConfigKey("Recovery", "RestartSec") { c, v throws(ValueError) in
            c.recovery.restart.restartSec = try finiteTimeSpan(v)
        },
        ConfigKey("Recovery", "RestartSteps") { c, v throws(ValueError) in
            let steps = try Values.parseInteger(v, as: UInt32.self)
            // systemd caps RestartSteps= at 2000.
            guard steps <= 2000 else { throw ValueError(type: "integer", value: v, reason: .outOfRange) }
            c.recovery.restart.restartSteps = steps
        },
        ConfigKey("Recovery", "RestartMaxDelaySec") { c, v throws(ValueError) in
            c.recovery.restart.restartMaxDelaySec = v.isEmpty ? .infinity : try Values.parseTimeSpan(v)
        },
        ConfigKey("Recovery", "StartLimitIntervalSec") { c, v throws(ValueError) in
            c.recovery.restart.startLimitIntervalSec = try Values.parseTimeSpan(v)
        },
        ConfigKey("Recovery", "StartLimitBurst") { c, v throws(ValueError) in
            c.recovery.restart.startLimitBurst = try Values.parseInteger(v, as: UInt32.self)
        },
        ConfigKey("Recovery", "FailureAction") { c, v throws(ValueError) in
            c.recovery.restart.failureAction = try keyword(v, FailureAction.self, "failure action")
        },
        ConfigKey("Recovery", "PollIntervalSec") { c, v throws(ValueError) in
            try assignOptional(&c.recovery.pollInterval, v, positiveTimeSpan)
        },
        ConfigKey("Coredump", "Mode") { c, v throws(ValueError) in
            try assignOptional(&c.coredump.mode, v) { (s: String) throws(ValueError) -> CoredumpMode in
                guard let m = CoredumpSection.modeTable.first(where: { $0.1 == s })?.0 else {
                    throw ValueError(type: "coredump mode", value: s, reason: .invalid)
                }
                return m
            }
        },
        ConfigKey("Coredump", "MaxFiles") { c, v throws(ValueError) in
            try assignOptional(&c.coredump.maxFiles, v) { (s: String) throws(ValueError) in try Values.parseInteger(s, as: UInt32.self) }
        },
        ConfigKey("Coredump", "MaxUse") { c, v throws(ValueError) in try assignOptional(&c.coredump.maxUse, v, Values.parseSize) },
        ConfigKey("Coredump", "KeepFree") { c, v throws(ValueError) in try assignOptional(&c.coredump.keepFree, v, Values.parseSize) },
    ]

    /// Whether this file applies to the processor.
    public func matches(name: String, device: String) -> Bool { match.matches(name: name, device: device) }

    /// The restart policy's settings, with `FallbackFirmware=` from `[Firmware]`.
    public var restartSettings: RestartSettings {
        var settings = recovery.restart
        settings.fallbackFirmware = firmware.fallbackFile
        return settings
    }
}

/// A string from a keyword table.
func keyword<T: KernelString>(_ v: String, _ type: T.Type, _ what: String) throws(ValueError) -> T {
    guard let value = T.table.first(where: { $0.1 == v })?.0 else { throw ValueError(type: what, value: v, reason: .invalid) }
    return value
}

func finiteTimeSpan(_ v: String) throws(ValueError) -> TimeSpan {
    let t = try Values.parseTimeSpan(v)
    guard !t.isInfinite else { throw ValueError(type: "time span", value: v, reason: .outOfRange) }
    return t
}

/// A firmware name as the kernel's loader accepts it: relative, no `..` component, no newline
/// (contract §1.3, §6.1, §9.11).
func firmwareName(_ v: String) throws(ValueError) -> String {
    let components = v.split(separator: "/", omittingEmptySubsequences: false)
    guard !v.contains("\n"), !components.contains(".."), !v.hasPrefix("/") else {
        throw ValueError(type: "firmware name", value: v, reason: .invalid)
    }
    return v
}

// MARK: - Loading

/// Why a configuration was refused as a whole.
public enum ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `After=`/`Requires=` form a cycle; `cycle` lists the file stems, the first repeated at the end.
    case orderingCycle([String], warnings: [Diagnostic])

    public var description: String {
        switch self {
        case .orderingCycle(let cycle, _):
            return "Ordering cycle between processors: \(cycle.joined(separator: " → ")); remove an After= or Requires= to break it."
        }
    }
}

/// The whole configuration.
public struct Configuration: Hashable, Sendable {
    /// `[Daemon]` of `rprocd.conf`.
    public var daemon: DaemonConfig
    /// Processor files in name order (the order matching tries them).
    public var processors: [ProcessorConfig]
    /// Every problem found, each ending in ", ignoring".
    public var warnings: [Diagnostic]
    /// Processor ids in start order (`After=`/`Requires=` honoured, ties in file-name order); stop
    /// in the reverse order.
    public var startOrder: [String]

    /// The configuration for a processor: the first file (in name order) whose `[Match]` matches.
    public func processor(name: String, device: String) -> ProcessorConfig? {
        processors.first { $0.matches(name: name, device: device) }
    }

    /// The ids that require `id`, directly or not: stop these before `id`, in this order.
    public func requiredBy(_ id: String) -> [String] {
        var out: [String] = []
        var frontier = [id]
        while let next = frontier.popLast() {
            for p in processors where p.boot.requires.contains(next) && !out.contains(p.id) && p.id != id {
                out.append(p.id)
                frontier.append(p.id)
            }
        }
        return startOrder.reversed().filter { out.contains($0) }
    }
}

extension Configuration {
    /// Where `rprocd.conf` and its drop-ins are searched, highest priority first.
    public static let daemonDirectories = ["/etc/rprocd", "/run/rprocd", "/usr/lib/rprocd"]
    /// Where `*.rproc` files and their drop-ins are searched, highest priority first.
    public static let processorDirectories = daemonDirectories.map { $0 + "/processors.d" }

    /// Parses the configuration from files the caller read.
    ///
    /// - Parameters:
    ///   - files: every file found under the directories (`rprocd.conf`, `rprocd.conf.d/*.conf`,
    ///     `processors.d/*.rproc`, `processors.d/*.rproc.d/*.conf`), masked ones as `.masked`.
    ///   - daemonDirectories: where `rprocd.conf` is searched, highest priority first.
    ///   - processorDirectories: where `*.rproc` files are searched, highest priority first.
    /// - Returns: the configuration; bad lines and values are warnings in it.
    /// - Throws: `ConfigError.orderingCycle` when `After=`/`Requires=` form a cycle.
    public static func parse(
        files: [ConfigFile], daemonDirectories: [String] = daemonDirectories,
        processorDirectories: [String] = processorDirectories
    ) throws(ConfigError) -> Configuration {
        var warnings: [Diagnostic] = []
        let daemonDoc = ConfigFiles.merge(name: "rprocd.conf", directories: daemonDirectories, files: files).document
        var daemon = DaemonConfig()
        warnings += daemonDoc.warnings
        warnings += apply(daemonDoc, table: DaemonConfig.table, to: &daemon)

        var processors: [ProcessorConfig] = []
        for file in ConfigFiles.resolve(files, directories: processorDirectories, suffix: ".rproc") {
            let merged = ConfigFiles.merge(name: file.name, directories: processorDirectories, files: files)
            let id = String(file.name.dropLast(".rproc".count))
            var config = ProcessorConfig(file: merged.mainFile ?? file.path, id: id)
            warnings += merged.document.warnings
            warnings += apply(merged.document, table: ProcessorConfig.table, to: &config)
            guard !config.match.isEmpty else {
                let at = merged.document.sections.first { $0.name == "Match" }?.location
                    ?? SourceLocation(file: config.file, line: 1)
                warnings.append(Diagnostic(
                    location: at,
                    message: "'\(file.name)' has no Name= or Device= in [Match] (add 'Name=*' to match every processor), ignoring."))
                continue
            }
            warnings += verify(&config, merged.document)
            processors.append(config)
        }
        warnings += checkReferences(processors)
        let order = try orderStarts(processors, warnings: warnings)
        return Configuration(daemon: daemon, processors: processors, warnings: warnings, startOrder: order)
    }

    /// Cross-checks after parsing, as networkd's `network_verify` and systemd's `service_verify`;
    /// each warning names the assignment it concerns.
    static func verify(_ config: inout ProcessorConfig, _ document: Document) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        func warn(_ section: String, _ key: String, _ message: String) {
            let at = document.last(section, key)?.location ?? SourceLocation(file: config.file, line: 1)
            warnings.append(Diagnostic(location: at, message: message))
        }
        var restart = config.recovery.restart
        if restart.restartMaxDelaySec < restart.restartSec {
            warn("Recovery", "RestartMaxDelaySec",
                 "RestartMaxDelaySec=\(restart.restartMaxDelaySec) is smaller than RestartSec=\(restart.restartSec), using it for RestartSec= too, ignoring.")
            restart.restartSec = restart.restartMaxDelaySec
        }
        if restart.restartSteps > 0, restart.restartMaxDelaySec.isInfinite {
            warn("Recovery", "RestartSteps", "RestartSteps= needs RestartMaxDelaySec=, ignoring.")
            restart.restartSteps = 0
        }
        config.recovery.restart = restart
        if let fallback = config.firmware.fallbackFile, fallback == config.firmware.file {
            warn("Firmware", "FallbackFirmware", "FallbackFirmware= is the same as File=, ignoring.")
            config.firmware.fallbackFile = nil
        }
        if config.boot.readyTimeout != nil, config.boot.readyOn.isEmpty {
            warn("Boot", "ReadyTimeoutSec", "ReadyTimeoutSec= has no effect without ReadyOn=, ignoring.")
        }
        return warnings
    }

    /// `Requires=` naming no processor file is a warning (an `After=` on a missing one is fine, as
    /// in systemd).
    static func checkReferences(_ processors: [ProcessorConfig]) -> [Diagnostic] {
        let ids = Set(processors.map(\.id))
        return processors.flatMap { p in
            p.boot.requires.filter { !ids.contains($0) }.map {
                Diagnostic(location: SourceLocation(file: p.file, line: 1),
                           message: "Requires='\($0)' names no processor file, ignoring.")
            }
        }
    }

    /// Topological order over `After=` and `Requires=` (both order), ties in file-name order.
    static func orderStarts(_ processors: [ProcessorConfig], warnings: [Diagnostic]) throws(ConfigError) -> [String] {
        let ids = processors.map(\.id)
        let known = Set(ids)
        var before: [String: [String]] = [:]  // id → ids that must start before it
        for p in processors {
            before[p.id] = (p.boot.after + p.boot.requires).filter { known.contains($0) && $0 != p.id }
        }
        for p in processors where p.boot.after.contains(p.id) || p.boot.requires.contains(p.id) {
            throw .orderingCycle([p.id, p.id], warnings: warnings)
        }
        var order: [String] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var path: [String] = []
        func visit(_ id: String) throws(ConfigError) {
            if state[id] == 2 { return }
            if state[id] == 1 {
                let start = path.firstIndex(of: id) ?? 0
                throw .orderingCycle(Array(path[start...]) + [id], warnings: warnings)
            }
            state[id] = 1
            path.append(id)
            for dep in before[id] ?? [] { try visit(dep) }
            path.removeLast()
            state[id] = 2
            order.append(id)
        }
        for id in ids { try visit(id) }
        return order
    }
}
