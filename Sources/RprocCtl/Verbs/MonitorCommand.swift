// `rprocctl monitor`: rprocd's signals as they come, until Ctrl-C (as `busctl monitor`, but
// decoded): state changes, crashes, recoveries, failures, hotplug and jobs.

import ArgumentParser
import RprocBus
import RprocJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Set by SIGINT/SIGTERM; the monitor loop ends when it is.
nonisolated(unsafe) private var monitorInterrupted: sig_atomic_t = 0

struct MonitorCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Print state changes, crashes, recoveries, hotplug and jobs as they happen, until Ctrl-C.",
        discussion: """
            One line per event: the time it was received, the device and name, and what happened. \
            The signals are StateChanged, Crashed, Recovered, Failed (per processor), ProcessorAdded, \
            ProcessorRemoved, JobNew and JobRemoved. With --json, one object per event (one line each \
            with --json=short): "time" (µs since the epoch), "event" (the signal's name), "device", \
            "name", and the signal's arguments by their names in docs/dbus-api.md. Exits 0 on Ctrl-C, \
            1 when rprocd goes away.
            """)

    @OptionGroup var options: DaemonOptions

    /// The signals shown, with their argument names (docs/dbus-api.md).
    static let signals: [String: [String]] = [
        "StateChanged": ["old", "new", "reason"],
        "Crashed": ["type", "count"],
        "Recovered": ["restarts"],
        "Failed": ["reason"],
        "ProcessorAdded": ["device", "path"],
        "ProcessorRemoved": ["device", "path"],
        "JobNew": ["id", "device", "operation"],
        "JobRemoved": ["id", "device", "operation", "result", "errorName", "errorMessage"],
    ]

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect()
        final class Queue { var signals: [(UInt64, ReceivedSignal)] = [] }
        let queue = Queue()
        let enqueue: (ReceivedSignal) -> Void = { signal in
            if Self.signals[signal.member] != nil { queue.signals.append((TimeText.now(), signal)) }
        }
        let subscriptions = [
            try daemon.subscribe(interface: DaemonClient.managerInterface, enqueue),
            try daemon.subscribe(interface: DaemonClient.processorInterface, enqueue),
        ]
        defer { subscriptions.forEach { $0.cancel() } }
        // The names, from the list now and from hotplug later.
        var names: [String: String] = [:]
        for processor in try daemon.listProcessors() { names[processor.device] = processor.name }
        monitorInterrupted = 0
        signal(SIGINT) { _ in monitorInterrupted = 1 }
        signal(SIGTERM) { _ in monitorInterrupted = 1 }
        // A parent may have left them blocked (the mask is inherited across exec): Ctrl-C must work.
        var both = sigset_t()
        sigemptyset(&both)
        sigaddset(&both, SIGINT)
        sigaddset(&both, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &both, nil)
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        Terminal.write("Monitoring rprocd; press Ctrl-C to stop.\n", to: 2)
        while monitorInterrupted == 0 {
            try daemon.wait(timeoutMicroseconds: 500_000)
            let received = queue.signals
            queue.signals = []
            for (time, signal) in received {
                let device = Self.device(of: signal)
                if signal.member == "ProcessorAdded", names[device] == nil, let path = signal.arguments.last?.string {
                    names[device] = (try? daemon.properties(path))?.name
                }
                let event = Self.event(signal, time: time, device: device, name: names[device] ?? "")
                if !options.printJSON(event) { options.print(Self.text(event, styler: context.styler)) }
            }
        }
        return .success
    }

    /// The device a signal is about: from the object path of a processor signal, else its `device` argument.
    static func device(of signal: ReceivedSignal) -> String {
        if let device = DaemonClient.device(ofPath: signal.path) { return device }
        guard let index = signals[signal.member]?.firstIndex(of: "device"), index < signal.arguments.count else { return "" }
        return signal.arguments[index].string ?? ""
    }

    /// The event as JSON: time, event, device, name, then the signal's arguments by name.
    static func event(_ signal: ReceivedSignal, time: UInt64, device: String, name: String) -> JSONValue {
        var object = JSONObject([
            ("time", .number(time)), ("event", .string(signal.member)), ("device", .string(device)), ("name", .string(name)),
        ])
        for (key, value) in zip(signals[signal.member] ?? [], signal.arguments) where key != "device" {
            object[key] = ProcessorProperties.json(value)
        }
        return .object(object)
    }

    /// One line: "2026-12-01 08:17:32.123 remoteproc0 m4: state offline -> running (start)".
    static func text(_ event: JSONValue, styler: Styler) -> String {
        func s(_ key: String) -> String { terminalSafe(event[key]?.stringValue ?? "") }
        func n(_ key: String) -> String { event[key]?.uint64Value.map { "\($0)" } ?? "" }
        let what: String
        switch s("event") {
        case "StateChanged":
            what = "state " + s("old") + " -> " + styler.apply(stateStyle(s("new")), s("new")) + (s("reason").isEmpty ? "" : " (\(s("reason")))")
        case "Crashed": what = styler.apply(.red, "crashed") + (s("type").isEmpty ? "" : " (\(s("type")))") + ", crash \(n("count"))"
        case "Recovered": what = styler.apply(.green, "recovered") + " after \(n("restarts")) restart\(n("restarts") == "1" ? "" : "s")"
        case "Failed": what = styler.apply(.red, "failed") + ": " + s("reason")
        case "ProcessorAdded": what = "added (\(s("path")))"
        case "ProcessorRemoved": what = "removed"
        case "JobNew": what = "job \(n("id")) \(s("operation")) queued"
        default:
            let error = s("errorName").isEmpty ? "" : ": " + styler.apply(.red, s("errorMessage"))
            what = "job \(n("id")) \(s("operation")) finished: " + styler.apply(outcomeStyle(s("result")), s("result")) + error
        }
        let who = s("name").isEmpty ? s("device") : s("device") + " " + s("name")
        return TimeText.precise(event["time"]?.uint64Value ?? 0) + " " + who + ": " + what + "\n"
    }
}
