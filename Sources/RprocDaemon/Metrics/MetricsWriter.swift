// `[Daemon] MetricsFile=`: OpenMetrics text for node_exporter's textfile collector, written
// atomically (temporary file, fsync, rename) on every change.
//
// Wiring (the manager): after every `processorChanged`/`stateChanged`/`crashed`/job end, build
// `[ProcessorMetrics]` from the processors (`ProcessorMetrics(processor, rollbacks:readySeconds:)`)
// and submit `writer.write(_:)` to a worker (the store worker: it fsyncs); log a thrown error
// once as a warning ending in ", ignoring". Unchanged text is not rewritten.

import RprocModel
import RprocSystem
import Synchronization

/// What the metrics say about one processor.
struct ProcessorMetrics: Equatable, Sendable {
    var device: String
    var name: String
    /// The kernel's `state`, verbatim.
    var state: String
    var boots: UInt32
    var crashes: UInt32
    var restarts: UInt32
    var rollbacks: UInt32
    /// µs since the epoch; 0: never.
    var lastCrashMicroseconds: UInt64
    /// From the kernel's "up" to ready in the last start (seconds); nil: not measured yet.
    var readySeconds: Double?

    init(device: String, name: String, state: String, boots: UInt32, crashes: UInt32, restarts: UInt32, rollbacks: UInt32,
         lastCrashMicroseconds: UInt64, readySeconds: Double?) {
        self.device = device
        self.name = name
        self.state = state
        self.boots = boots
        self.crashes = crashes
        self.restarts = restarts
        self.rollbacks = rollbacks
        self.lastCrashMicroseconds = lastCrashMicroseconds
        self.readySeconds = readySeconds
    }

    init(_ processor: ManagedProcessor, rollbacks: UInt32, readySeconds: Double?) {
        self.init(
            device: processor.device, name: processor.name, state: processor.state.sysfsValue, boots: processor.mirror.bootCount,
            crashes: processor.mirror.crashCount, restarts: processor.restartCount, rollbacks: rollbacks,
            lastCrashMicroseconds: processor.mirror.lastCrashUSec, readySeconds: readySeconds)
    }
}

enum OpenMetrics {
    /// Every state the kernel prints (`ProcessorState.table`): one gauge sample per state, 1 for
    /// the current one, so that a query can sum or alert on `state="crashed"`.
    static var knownStates: [String] { ProcessorState.table.map(\.1) }

    /// The exposition, `# EOF` terminated.
    static func render(_ processors: [ProcessorMetrics]) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, unit: String? = nil, _ samples: (ProcessorMetrics) -> [(suffix: String, labels: String, value: String)]) {
            out += "# TYPE \(name) \(type)\n"
            if let unit { out += "# UNIT \(name) \(unit)\n" }
            out += "# HELP \(name) \(help)\n"
            for p in processors {
                for sample in samples(p) {
                    out += "\(name)\(sample.suffix){device=\"\(escape(p.device))\",name=\"\(escape(p.name))\"\(sample.labels)} \(sample.value)\n"
                }
            }
        }
        family("rprocd_processor_state", "gauge", "The kernel's state of the remote processor (1 for the current state).") { p in
            var states = knownStates
            if !states.contains(p.state) { states.append(p.state) }
            return states.map { ("", ",state=\"\(escape($0))\"", $0 == p.state ? "1" : "0") }
        }
        family("rprocd_boots", "counter", "Boots seen, by rprocd or not.") { [("_total", "", "\($0.boots)")] }
        family("rprocd_crashes", "counter", "Crashes seen.") { [("_total", "", "\($0.crashes)")] }
        family("rprocd_restarts", "counter", "Restarts by the restart policy since the last start or reset.") {
            [("_total", "", "\($0.restarts)")]
        }
        family("rprocd_rollbacks", "counter", "Firmware updates rolled back.") { [("_total", "", "\($0.rollbacks)")] }
        family("rprocd_last_crash_timestamp_seconds", "gauge", "When the processor last crashed (0: never).", unit: "seconds") {
            [("", "", seconds($0.lastCrashMicroseconds))]
        }
        family("rprocd_ready_seconds", "gauge", "From the kernel's 'up' to every ReadyOn= channel announced, last start.", unit: "seconds") { p in
            p.readySeconds.map { [("", "", "\($0)")] } ?? []
        }
        return out + "# EOF\n"
    }

    /// µs as decimal seconds.
    static func seconds(_ microseconds: UInt64) -> String {
        let fraction = microseconds % 1_000_000
        guard fraction != 0 else { return "\(microseconds / 1_000_000)" }
        let digits = String(fraction)
        return "\(microseconds / 1_000_000)." + String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// Label value escaping: `\`, `"` and newline.
    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Writes the metrics file when its text changes. Thread-safe: call it from one worker.
final class MetricsWriter: Sendable {
    let path: String
    private let last = Mutex<String?>(nil)

    init(path: String) { self.path = path }

    /// Writes the file when the text differs from the last one written.
    ///
    /// - Returns: whether it wrote.
    /// - Throws: `SystemError` from the atomic write.
    @discardableResult
    func write(_ processors: [ProcessorMetrics]) throws -> Bool {
        let text = OpenMetrics.render(processors)
        if last.withLock({ $0 == text }) { return false }
        try AtomicFile.write(Array(text.utf8), to: path, permissions: 0o644)
        last.withLock { $0 = text }
        return true
    }
}
