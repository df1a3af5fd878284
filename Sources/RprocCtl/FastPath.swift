// A strict parser for the common command lines of `inspect` and `validate`, tried before
// ArgumentParser is touched: it spares them ArgumentParser's start-up (reflection over the
// property wrappers, protocol-conformance scans), which is most of a whole `rprocctl inspect`
// (Benchmarks/InspectVsReadelf, issue #2).
//
// It accepts only what it is sure ArgumentParser reads the same way and defers everything else
// (help, `--`, unknown or repeated options, values it cannot parse, a missing file) to
// ArgumentParser, which then gives its own output and errors. Tests/RprocCtlTests/FastPathTests
// runs argument vectors both ways (`RPROCCTL_NO_FAST_PATH=1` turns this off) and compares stdout,
// stderr and exit code, and checks ``FastPath/table`` against the options ArgumentParser declares.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

enum FastPath {
    /// The verbs the fast path handles.
    enum Verb: String, CaseIterable {
        case inspect
        case validate
    }

    /// An option of ``table``, by what it sets.
    enum Key {
        case json, noLegend, quiet, noPager, memory, kernel
    }

    /// One option: its spellings, whether it takes a value, whether it may be given more than once,
    /// and the verbs that accept it. Mirrors the declarations in GlobalOptions and ValidateCommand.
    struct OptionSpec {
        let key: Key
        let names: [String]
        let takesValue: Bool
        let repeatable: Bool
        let verbs: [Verb]
    }

    /// Every option the fast path accepts; anything else starting with `-` defers to ArgumentParser.
    static let table: [OptionSpec] = [
        OptionSpec(key: .json, names: ["--json"], takesValue: true, repeatable: false, verbs: Verb.allCases),
        OptionSpec(key: .noLegend, names: ["--no-legend"], takesValue: false, repeatable: false, verbs: Verb.allCases),
        OptionSpec(key: .quiet, names: ["-q", "--quiet"], takesValue: false, repeatable: false, verbs: Verb.allCases),
        OptionSpec(key: .noPager, names: ["--no-pager"], takesValue: false, repeatable: false, verbs: Verb.allCases),
        OptionSpec(key: .memory, names: ["--memory"], takesValue: true, repeatable: true, verbs: [.validate]),
        OptionSpec(key: .kernel, names: ["--kernel"], takesValue: true, repeatable: false, verbs: [.validate]),
    ]

    /// A command line the fast path accepted. The defaults are those of the ArgumentParser
    /// declarations (the differential test runs each verb with no option at all).
    struct Invocation {
        let verb: Verb
        var file: String? = nil
        var json: JSONMode = .off
        var noLegend = false
        var quiet = false
        var noPager = false
        var memory: [[MemoryWindowArgument]] = []
        var kernel: KernelSelection = .all
    }

    /// False when `RPROCCTL_NO_FAST_PATH` is set (to anything), so that every command line goes
    /// through ArgumentParser.
    static var isEnabled: Bool { getenv("RPROCCTL_NO_FAST_PATH") == nil }

    /// Parses `arguments` (without the program name, after ``expandingBareJSON(_:stdoutIsTerminal:)``),
    /// or returns nil to defer to ArgumentParser.
    static func parse(_ arguments: [String]) -> Invocation? {
        guard let first = arguments.first, let verb = Verb(rawValue: first) else { return nil }
        var invocation = Invocation(verb: verb)
        var seen: [Key] = []
        var index = arguments.index(after: arguments.startIndex)
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") else {
                // One positional argument: the file.
                guard invocation.file == nil else { return nil }
                invocation.file = argument
                continue
            }
            // `--name=value`, `--name value`, `--flag` or `-q`; `--`, `-` and bundled short flags defer.
            let name: Substring, attached: Substring?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = argument[..<equals]
                attached = argument[argument.index(after: equals)...]
            } else {
                name = argument[...]
                attached = nil
            }
            guard let spec = table.first(where: { $0.names.contains(where: { $0 == name }) && $0.verbs.contains(verb) }),
                spec.repeatable || !seen.contains(spec.key)
            else { return nil }
            seen.append(spec.key)
            guard spec.takesValue else {
                guard attached == nil else { return nil }
                invocation.set(spec.key)
                continue
            }
            let value: String
            if let attached {
                value = String(attached)
            } else {
                guard index < arguments.endIndex, !arguments[index].hasPrefix("-") else { return nil }
                value = arguments[index]
                index += 1
            }
            guard invocation.set(spec.key, to: value) else { return nil }
        }
        return invocation.file == nil ? nil : invocation
    }

    /// Runs the verb of `invocation` as ArgumentParser's path would have after parsing, and
    /// returns the exit code.
    static func run(_ invocation: Invocation, stdoutIsTerminal: Bool) -> Int32 {
        guard let file = invocation.file else { preconditionFailure("parse(_:) returns only invocations with a file") }
        var global = GlobalOptions()
        global.json = invocation.json
        global.noLegend = invocation.noLegend
        global.quiet = invocation.quiet
        global.noPager = invocation.noPager
        let context = OutputContext.current(stdoutIsTerminal: stdoutIsTerminal)
        do {
            switch invocation.verb {
            case .inspect:
                var command = InspectCommand()
                command.global = global
                command.file = file
                return try command.execute(context).rawValue
            case .validate:
                var command = ValidateCommand()
                command.global = global
                command.memory = invocation.memory
                command.kernel = invocation.kernel
                command.file = file
                return try command.execute(context).rawValue
            }
        } catch {
            return exitCode(reporting: error)
        }
    }
}

extension FastPath.Invocation {
    /// Sets a flag.
    mutating func set(_ key: FastPath.Key) {
        switch key {
        case .noLegend: noLegend = true
        case .quiet: quiet = true
        case .noPager: noPager = true
        case .json, .memory, .kernel: preconditionFailure("\(key) takes a value")
        }
    }

    /// Sets an option from its value; false when the value is one ArgumentParser would refuse or
    /// treat specially (`--json=help`), which defers the whole command line.
    mutating func set(_ key: FastPath.Key, to value: String) -> Bool {
        switch key {
        case .json:
            guard let mode = JSONMode(rawValue: value), mode != .help else { return false }
            json = mode
        case .kernel:
            guard let selection = KernelSelection(rawValue: value) else { return false }
            kernel = selection
        case .memory:
            guard let windows = try? MemoryWindowArgument.parseList(value) else { return false }
            memory.append(windows)
        case .noLegend, .quiet, .noPager:
            preconditionFailure("\(key) is a flag")
        }
        return true
    }
}
