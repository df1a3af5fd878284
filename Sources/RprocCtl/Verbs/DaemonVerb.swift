// What every verb that talks to rprocd shares: its options, printing, state colours.

import ArgumentParser
import RprocJSON

/// The options of a verb that talks to rprocd.
struct DaemonOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @OptionGroup var connection: ConnectionOptions

    /// Connects to rprocd; `codes` decides the exit codes of every failure.
    func connect(_ codes: DaemonErrorCodes = .action) throws(CommandFailure) -> DaemonClient {
        try DaemonClient(connection, codes: codes)
    }

    /// Writes `text` to standard output unless `-q`.
    func print(_ text: String) {
        if !global.quiet && !text.isEmpty { Terminal.write(text, to: 1) }
    }

    /// Prints `value` as JSON in the `--json` layout, when `--json` asks for JSON; returns whether it did.
    func printJSON(_ value: @autoclosure () -> JSONValue) -> Bool {
        guard let format = global.jsonFormat else { return false }
        print(value().serialized(format) + "\n")
        return true
    }

    /// `table` with its header and legend line (grey, as inspect's), or neither with `--no-legend`.
    func render(_ table: Table, legend line: String, styler: Styler) -> String {
        table.render(header: !global.noLegend, styler: styler) + (global.noLegend ? "" : styler.apply(.grey, line) + "\n")
    }
}

/// The colour of a kernel state: green when up, red when crashed, yellow when suspended.
func stateStyle(_ state: String) -> Style? {
    switch state {
    case "running", "attached": .green
    case "crashed": .red
    case "suspended": .yellow
    default: nil
    }
}

/// A table cell for a kernel state: coloured, and escaped (the kernel's text, verbatim).
func stateCell(_ state: String) -> Table.Cell { Table.Cell(terminalSafe(state), style: stateStyle(state)) }

/// The colour of a job or result: red for `failed` and every result but success.
func outcomeStyle(_ text: String) -> Style? {
    switch text {
    case "failed", "crash", "start-limit-hit", "timeout", "kernel-refused", "rolled-back", "fallback": .red
    default: nil
    }
}

/// Writes a failure's message to standard error.
func report(_ failure: CommandFailure) {
    Terminal.write(failure.message + "\n", to: 2)
}
