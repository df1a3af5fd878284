// rprocctl's main: parsing, running, and turning every outcome into an LSB exit code.

import ArgumentParser

/// Runs rprocctl with `arguments` (without the program name) and returns the exit code.
///
/// ArgumentParser's own `main()` exits 64 (`EX_USAGE`) on usage errors; systemctl exits 2
/// (LSB "invalid argument"), so this maps every validation failure to
/// ``ExitStatus/invalidArgument``. Help and version go to standard output with exit 0;
/// errors go to standard error.
public func rprocctlMain(_ arguments: [String]) -> Int32 {
    let stdoutIsTerminal = Terminal.isTerminal(1)
    let arguments = expandingBareJSON(arguments, stdoutIsTerminal: stdoutIsTerminal)
    do {
        // `run()` dispatches to the verb without a cast to a protocol existential: each such cast
        // scans every protocol conformance in the binary, which is most of ArgumentParser's cost.
        var command = try RootCommand.parseAsRoot(arguments)
        try command.run()
        return ExitStatus.success.rawValue
    } catch let failure as CommandFailure {
        Terminal.write(failure.message + "\n", to: 2)
        return failure.status.rawValue
    } catch let code as ExitCode where code != .validationFailure {
        // A verb's own status (validate: 1 when a kernel refuses the image), silently.
        return code.rawValue
    } catch {
        let message = RootCommand.fullMessage(for: error)
        let code = RootCommand.exitCode(for: error)
        if code == .success {
            if !message.isEmpty { Terminal.write(message + "\n", to: 1) }
            return ExitStatus.success.rawValue
        }
        if !message.isEmpty { Terminal.write(message + "\n", to: 2) }
        return code == .validationFailure ? ExitStatus.invalidArgument.rawValue : code.rawValue
    }
}

/// Gives `--json` an optional value, which ArgumentParser does not have: `--json MODE` (a mode
/// name as the next argument) becomes `--json=MODE`, and a bare `--json` becomes `--json=pretty`
/// on a terminal and `--json=short` otherwise, as systemd's `-j` chooses, so that
/// `--json FILE` never takes `FILE` as the mode. Arguments after `--` are left alone.
func expandingBareJSON(_ arguments: [String], stdoutIsTerminal: Bool) -> [String] {
    var result: [String] = []
    result.reserveCapacity(arguments.count)
    var afterTerminator = false
    var index = arguments.startIndex
    while index < arguments.endIndex {
        let argument = arguments[index]
        index += 1
        if argument == "--" { afterTerminator = true }
        guard !afterTerminator && argument == "--json" else {
            result.append(argument)
            continue
        }
        if index < arguments.endIndex, let mode = JSONMode(rawValue: arguments[index]) {
            result.append("--json=" + mode.rawValue)
            index += 1
        } else {
            result.append("--json=" + JSONMode.bare(stdoutIsTerminal: stdoutIsTerminal).rawValue)
        }
    }
    return result
}

/// Where a verb's output goes and how it looks.
struct OutputContext {
    /// Whether to colour standard output.
    let styler: Styler

    static func current(stdoutIsTerminal: Bool) -> OutputContext {
        let environment = Terminal.environment(["NO_COLOR", "TERM"])
        return OutputContext(
            styler: Styler(enabled: Terminal.colorsEnabled(environment: environment, stdoutIsTerminal: stdoutIsTerminal)))
    }
}

/// A verb: a command that runs with an output context and returns its exit status.
protocol VerbCommand: ParsableCommand {
    /// Runs the verb. Throws ``CommandFailure`` for failures with their own message and code.
    mutating func execute(_ context: OutputContext) throws -> ExitStatus
}

extension VerbCommand {
    /// Runs the verb with the process's output context; a status other than success is thrown as
    /// `ExitCode`, which ``rprocctlMain(_:)`` returns as it is.
    mutating func run() throws {
        let status = try execute(OutputContext.current(stdoutIsTerminal: Terminal.isTerminal(1)))
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
