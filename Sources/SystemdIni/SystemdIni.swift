// Module SystemdIni: see docs/ARCHITECTURE.md.
//
// A systemd-style INI tokenizer, as `config_parse` in systemd's src/shared/conf-parser.c reads
// files: `[Section]` headers, `Key=Value` assignments, `#`/`;` comment lines, a trailing backslash
// continues a line. Pure: the caller reads the file and passes its text.

/// Where a value came from: a file and a 1-based line number, printed `file:line`.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The path the caller gave for the file (not resolved or checked).
    public var file: String
    /// The 1-based line number. For an assignment continued over several lines, its first line.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One `Key=Value` line of a file, with whitespace around `=` and at both ends trimmed.
public struct Assignment: Hashable, Sendable {
    /// The section the assignment is in, without brackets (`Match`).
    public var section: String
    /// The key, case-sensitive as in systemd (`Name`).
    public var key: String
    /// The value; empty for `Key=` (which resets a list setting, as in systemd).
    public var value: String
    /// Where the assignment starts.
    public var location: SourceLocation

    public init(section: String, key: String, value: String, location: SourceLocation) {
        self.section = section
        self.key = key
        self.value = value
        self.location = location
    }
}

/// A problem found while reading configuration; the line (or assignment) it names was ignored.
///
/// `description` reads `file:line: message`, and messages end in ", ignoring" where the input was
/// dropped, as systemd's `log_syntax` lines do.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// Where the problem is; `nil` for problems that concern no single line.
    public var location: SourceLocation?
    /// One sentence.
    public var message: String

    public init(location: SourceLocation?, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }
}

/// A `[Section]` header as it appeared in a file.
public struct SectionHeader: Hashable, Sendable {
    public var name: String
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

/// The tokens of one or more files: section headers and assignments in file order.
///
/// Repeated keys are all kept, in order; what a repetition means (last one wins, or a list that an
/// empty value resets) is the consumer's choice, with `last(_:_:)` and `list(_:_:)` for the two
/// systemd conventions.
public struct Document: Hashable, Sendable {
    /// Every section header seen, in order (a section may appear more than once).
    public var sections: [SectionHeader]
    /// Every assignment, in order.
    public var assignments: [Assignment]
    /// Lines that were not a section, assignment or comment, and other problems.
    public var warnings: [Diagnostic]

    public init(sections: [SectionHeader] = [], assignments: [Assignment] = [], warnings: [Diagnostic] = []) {
        self.sections = sections
        self.assignments = assignments
        self.warnings = warnings
    }

    /// Tokenizes one file.
    ///
    /// - Parameters:
    ///   - text: the file's contents (`\n` or `\r\n` line ends).
    ///   - file: the path used in every `SourceLocation`.
    /// - Returns: the tokens; problems are in `warnings`, never thrown.
    public static func parse(_ text: String, file: String) -> Document {
        var tokenizer = Tokenizer(file: file)
        var lineNumber = 0
        // Split on scalars: as Characters, "\r\n" is one grapheme and would not match "\n".
        for rawLine in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            tokenizer.feed(Substring(rawLine), line: lineNumber)
        }
        tokenizer.finish()
        return tokenizer.document
    }

    /// Appends another document's tokens (a drop-in applied after the main file).
    public mutating func append(_ other: Document) {
        sections += other.sections
        assignments += other.assignments
        warnings += other.warnings
    }

    /// The assignments of `key` in `section`, in order.
    public func assignments(_ section: String, _ key: String) -> [Assignment] {
        assignments.filter { $0.section == section && $0.key == key }
    }

    /// The last assignment of `key` in `section` (systemd's rule for single-valued settings).
    public func last(_ section: String, _ key: String) -> Assignment? {
        assignments.last { $0.section == section && $0.key == key }
    }

    /// A list setting: the whitespace-separated words of every assignment of `key` in `section`,
    /// in order, where an empty assignment drops everything before it (systemd's reset rule).
    public func list(_ section: String, _ key: String) -> [String] {
        var words: [String] = []
        for assignment in assignments(section, key) {
            if assignment.value.isEmpty {
                words.removeAll()
            } else {
                words += Values.parseList(assignment.value)
            }
        }
        return words
    }

    /// Whether a `[section]` header appears at all.
    public func hasSection(_ name: String) -> Bool {
        sections.contains { $0.name == name }
    }
}

/// Characters systemd treats as whitespace in configuration (`WHITESPACE`).
let whitespace: Set<Character> = [" ", "\t", "\n", "\r", "\r\n"]

extension StringProtocol where SubSequence == Substring {
    /// The text without leading and trailing `whitespace`.
    func trimmedWhitespace() -> Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { !whitespace.contains($0) }) else { return s[s.endIndex...] }
        let last = s.lastIndex(where: { !whitespace.contains($0) })!
        return s[first...last]
    }
}

/// The line-by-line state of `Document.parse`.
private struct Tokenizer {
    let file: String
    var document = Document()
    /// The current section; `nil` before the first header, or after an invalid one.
    var section: String?
    /// Whether the last header was invalid (its assignments are dropped with it).
    var sectionInvalid = false
    /// A line being continued: the text so far and the line it started on.
    var continuation: (text: String, line: Int)?

    init(file: String) { self.file = file }

    mutating func feed(_ raw: Substring, line: Int) {
        var raw = raw
        if raw.last == "\r" { raw = raw.dropLast() }  // CRLF files
        // Comment lines are dropped even inside a continuation, as systemd does.
        if let first = raw.first(where: { !whitespace.contains($0) }), first == "#" || first == ";" {
            return
        }
        let start = continuation?.line ?? line
        var text = (continuation?.text ?? "") + raw
        if endsInUnescapedBackslash(text) {
            text.removeLast()
            text.append(" ")
            continuation = (text, start)
            return
        }
        continuation = nil
        parseLine(text, line: start)
    }

    mutating func finish() {
        // A file ending in a backslash: systemd parses what it has.
        if let pending = continuation {
            continuation = nil
            parseLine(pending.text, line: pending.line)
        }
    }

    func endsInUnescapedBackslash(_ text: String) -> Bool {
        var escaped = false
        for c in text.unicodeScalars {
            escaped = escaped ? false : (c == "\\")
        }
        return escaped
    }

    mutating func warn(_ line: Int, _ message: String) {
        document.warnings.append(Diagnostic(location: SourceLocation(file: file, line: line), message: message))
    }

    mutating func parseLine(_ text: String, line: Int) {
        let l = text.trimmedWhitespace()
        if l.isEmpty { return }
        let location = SourceLocation(file: file, line: line)
        if l.first == "[" {
            guard l.count >= 2, l.last == "]" else {
                warn(line, "Invalid section header '\(l)' (and its assignments up to the next section), ignoring.")
                section = nil
                sectionInvalid = true
                return
            }
            let name = String(l.dropFirst().dropLast())
            section = name
            sectionInvalid = false
            document.sections.append(SectionHeader(name: name, location: location))
            return
        }
        guard let equals = l.firstIndex(of: "=") else {
            warn(line, "Missing '=' in '\(l)', ignoring.")
            return
        }
        let key = l[..<equals].trimmedWhitespace()
        let value = l[l.index(after: equals)...].trimmedWhitespace()
        guard !key.isEmpty else {
            warn(line, "Missing key name before '=', ignoring.")
            return
        }
        guard let section else {
            if !sectionInvalid {
                warn(line, "Assignment '\(key)=' outside of any section, ignoring.")
            }
            return
        }
        document.assignments.append(
            Assignment(section: section, key: String(key), value: String(value), location: location))
    }
}
