// `rprocctl status [NAME…]`: what `systemctl status` shows for a unit, for each processor.

import ArgumentParser
import RprocJSON
import RprocModel

struct StatusCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the state, job, firmware, counters and last error of processors.",
        discussion: """
            Without NAME, every processor. For each: a bullet line with the name and device, the \
            kernel state and since when, rprocd's job, the firmware, boots, crashes, restarts, the \
            result of the last operation, a detected condition, the last error, the rpmsg channels, \
            and the last log lines when rprocd keeps them. With NAME, exits 3 unless every named \
            processor is running and 4 for no such processor (LSB status codes); without, exits 0. \
            With --json, an array with one object per processor: the keys of 'show --json' plus \
            'logLines' (an array, or null when rprocd keeps none).
            """)

    @OptionGroup var options: DaemonOptions

    @Option(name: [.customShort("n"), .customLong("lines")], help: ArgumentHelp("How many log lines to show.", valueName: "count"))
    var lines: UInt32 = 10

    @Argument(help: ArgumentHelp("Processors: names (m4) or devices (remoteproc0).", valueName: "name"),
              completion: .custom(completeProcessorNames))
    var names: [String] = []

    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        let daemon = try options.connect(names.isEmpty ? .action : .status)
        var shown: [(ProcessorProperties, [String]?)] = []
        for path in try daemon.processorPaths(names) {
            let properties = try daemon.properties(path)
            shown.append((properties, lines == 0 ? nil : daemon.logLines(path, lines: lines)))
        }
        let json = JSONValue.array(shown.map { properties, log in
            guard case .object(var object) = properties.json() else { return .null }
            object["logLines"] = log.map { .array($0.map(JSONValue.string)) } ?? .null
            return .object(object)
        })
        if !options.printJSON(json) {
            let now = TimeText.now()
            options.print(shown.map { Self.text($0.0, log: $0.1, now: now, styler: context.styler) }.joined(separator: "\n"))
        }
        let allUp = shown.allSatisfy { ProcessorState(sysfs: $0.0.state).isUp }
        return names.isEmpty || allUp ? .success : .programNotRunning
    }

    /// The labels, right-aligned to the longest as `systemctl status` does.
    static let labelWidth = "Next restart".count

    /// An rpmsg address in hexadecimal; `RPMSG_ADDR_ANY` (0xffffffff) as "any".
    static func address(_ value: UInt32) -> String { value == UInt32.max ? "any" : "0x" + String(value, radix: 16) }

    /// The block of one processor.
    static func text(_ p: ProcessorProperties, log: [String]?, now: UInt64, styler: Styler) -> String {
        let state = p.state
        let bulletStyle: Style? = ProcessorState(sysfs: state).isUp ? .green : (state == "crashed" || p.string("Job") == "failed" ? .red : nil)
        var text = styler.apply(bulletStyle, "●") + " " + styler.apply(.bold, terminalSafe(p.name)) + " (\(p.device))\n"
        func line(_ label: String, _ value: String) {
            text += String(repeating: " ", count: labelWidth - label.count) + label + (label.isEmpty ? "  " : ": ") + value + "\n"
        }
        let since = TimeText.since(p.number("StateChangeUSec"), now: now).map { " since " + $0 } ?? ""
        line("State", styler.apply(stateStyle(state), terminalSafe(state)) + since)
        let job = p.string("Job")
        line("Job", styler.apply(outcomeStyle(job), job))
        line("Firmware", terminalSafe(p.string("Firmware")))
        if p["Ready"] != nil { line("Ready", p.flag("Ready") ? styler.apply(.green, "yes") : "no") }
        line("Result", styler.apply(outcomeStyle(p.string("Result")), p.string("Result")))
        line("Boots", "\(p.number("BootCount"))")
        var crashes = "\(p.number("CrashCount"))"
        if let last = TimeText.since(p.number("LastCrashUSec"), now: now) {
            let type = p.string("LastCrashType")
            crashes += " (last: " + (type.isEmpty ? "" : type + ", ") + last + ")"
        }
        line("Crashes", crashes)
        line("Restarts", "\(p.number("RestartCount"))")
        if let next = TimeText.since(p.number("NextRestartUSec"), now: now) { line("Next restart", next) }
        let condition = p.string("Condition")
        if !condition.isEmpty { line("Condition", styler.apply(.yellow, condition)) }
        if p.flag("ReadOnly") { line("Read-only", "yes (the driver made the control files read-only)") }
        let error = p.string("LastError")
        if !error.isEmpty { line("Last error", styler.apply(.red, terminalSafe(error))) }
        let channels = p.channels
        if channels.isEmpty {
            line("Channels", "none")
        } else {
            for (index, channel) in channels.enumerated() {
                let node = channel.node.isEmpty ? "" : " on \(channel.node)"
                line(index == 0 ? "Channels" : "", terminalSafe(channel.name) + node + " (src \(address(channel.source)), dst \(address(channel.destination)))")
            }
        }
        if let log, !log.isEmpty {
            text += "\n" + log.map { terminalSafe($0) + "\n" }.joined()
        }
        return text
    }
}
