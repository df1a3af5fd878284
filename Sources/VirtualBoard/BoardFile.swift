// Board files: systemd-style INI describing the simulated kernel and its remote processors,
// parsed into KernelSim's `BoardDescription`. The keys are documented at the top of
// Resources/boards/lab.conf. Problems are returned as warnings (`file:line: …, ignoring`), never
// printed: the executable prints them.

import Glibc
import KernelSim
import RprocFirmware
import SystemdIni

/// A parsed board file.
public struct BoardFile: Sendable {
    /// The kernel and processors the file describes.
    public var board: BoardDescription
    /// `FirmwareDirectory=`, resolved against the board file's directory; nil when not given.
    public var firmwareDirectory: String?
    /// Unknown keys, bad values, incomplete sections: each was ignored.
    public var warnings: [Diagnostic]

    /// Parses board-file text.
    ///
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - file: the path used in warnings and to resolve a relative `FirmwareDirectory=`.
    public static func parse(_ text: String, file: String) -> BoardFile {
        var parser = BoardFileParser(document: Document.parse(text, file: file), file: file)
        return parser.run()
    }

    /// Reads and parses the board file at `path`.
    public static func load(path: String) throws(BoardFileError) -> BoardFile {
        guard let text = readWholeFile(path) else { throw .unreadable(path: path, errno: errno) }
        return parse(text, file: path)
    }
}

/// A board file that could not be read.
public enum BoardFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .unreadable(let path, let code): "cannot read board file '\(path)': \(String(cString: strerror(code)))"
        }
    }
}

/// The keys of each section, and how each one sets its field.
private struct BoardFileParser {
    let document: Document
    let file: String
    var warnings: [Diagnostic] = []

    init(document: Document, file: String) {
        self.document = document
        self.file = file
        warnings = document.warnings
    }

    mutating func run() -> BoardFile {
        // Split the assignments into section instances: [Processor] and [Template] repeat.
        var instances: [(name: String, line: Int, assignments: [Assignment])] = []
        let headers = document.sections.sorted { $0.location.line < $1.location.line }
        for header in headers { instances.append((header.name, header.location.line, [])) }
        for assignment in document.assignments {
            guard let index = instances.lastIndex(where: { $0.line <= assignment.location.line }) else { continue }
            instances[index].assignments.append(assignment)
        }

        var board = BoardDescription(kernelLine: .v6_12, flavour: .new, osrelease: "", processors: [])
        var firmwareDirectory: String?
        for instance in instances {
            let location = SourceLocation(file: file, line: instance.line)
            switch instance.name {
            case "Board":
                for assignment in instance.assignments { applyBoard(assignment, &board, &firmwareDirectory) }
            case "Processor", "Template":
                guard let processor = processor(instance.assignments, at: location) else { continue }
                if instance.name == "Processor" { board.processors.append(processor) } else { board.templates.append(processor) }
            default:
                warnings.append(Diagnostic(location: location, message: "Unknown section '\(instance.name)', ignoring"))
            }
        }
        if board.osrelease.isEmpty { board.osrelease = board.kernelLine == .v6_1 ? "6.1.0-sim" : "6.12.0-sim" }
        return BoardFile(board: board, firmwareDirectory: firmwareDirectory, warnings: warnings)
    }

    private mutating func warn(_ assignment: Assignment, _ message: String) {
        warnings.append(Diagnostic(location: assignment.location, message: message + ", ignoring"))
    }

    private mutating func invalid(_ assignment: Assignment, _ error: Any) {
        warn(assignment, "\(error) for \(assignment.key)=")
    }

    private mutating func applyBoard(
        _ assignment: Assignment, _ board: inout BoardDescription, _ firmwareDirectory: inout String?
    ) {
        let value = assignment.value
        do {
            switch assignment.key {
            case "Kernel":
                guard let line = KernelLine(boardValue: value) else { return invalid(assignment, "Invalid kernel line '\(value)'") }
                board.kernelLine = line
            case "Flavour":
                guard let flavour = KernelFlavour(boardValue: value) else { return invalid(assignment, "Invalid flavour '\(value)'") }
                board.flavour = flavour
            case "OSRelease": board.osrelease = value
            case "FirmwareClassPath": board.firmwareClassPath = value
            case "FirmwareDirectory":
                firmwareDirectory = value.hasPrefix("/") ? value : directoryOf(file) + "/" + value
            case "DevcoredumpTimeout": board.devcoredumpTimeoutMs = try milliseconds(value)
            case "DeletionWindow": board.deletionWindowMs = try milliseconds(value)
            case "FirstVirtioIndex": board.firstVirtioIndex = try Values.parseInteger(value)
            case "RemoteprocCdev": board.remoteprocCdev = try Values.parseBoolean(value)
            case "CdevMajor": board.cdevMajor = try Values.parseInteger(value)
            case "DMABase": board.dmaBase = try Values.parseInteger(value)
            case "DMAPoolSize": board.dmaPoolSize = try Values.parseSize(value)
            default: warn(assignment, "Unknown key '\(assignment.key)' in section [Board]")
            }
        } catch {
            invalid(assignment, error)
        }
    }

    private mutating func processor(_ assignments: [Assignment], at location: SourceLocation) -> ProcessorDescription? {
        let name = assignments.last { $0.key == "Name" }?.value ?? ""
        let parent = assignments.last { $0.key == "Parent" }?.value ?? ""
        guard !name.isEmpty, !parent.isEmpty else {
            warnings.append(Diagnostic(location: location, message: "Processor section without Name= or Parent=, ignoring"))
            return nil
        }
        var processor = ProcessorDescription(name: name, parent: parent)
        // `Memory=` lines replace the driver's default window (1 MiB at 0x10000000).
        if assignments.contains(where: { $0.key == "Memory" }) { processor.memory = [] }
        for assignment in assignments where assignment.key != "Name" && assignment.key != "Parent" {
            apply(assignment, &processor)
        }
        return processor
    }

    private mutating func apply(_ assignment: Assignment, _ processor: inout ProcessorDescription) {
        let value = assignment.value
        do {
            switch assignment.key {
            case "Driver": processor.driverName = value
            case "State":
                guard let state = InitialState(boardValue: value) else { return invalid(assignment, "Invalid state '\(value)'") }
                processor.initialState = state
            case "Firmware": processor.firmware = value.isEmpty ? nil : value
            case "ReadOnly": processor.sysfsReadOnly = try Values.parseBoolean(value)
            case "AutoBoot": processor.autoBoot = try Values.parseBoolean(value)
            case "AutoBootDelay": processor.autoBootDelayMs = try milliseconds(value)
            case "Memory":
                // A list: an empty assignment drops the windows before it (the default 1 MiB too).
                if value.isEmpty { processor.memory = []; return }
                for word in Values.parseList(value) {
                    let window = try Values.parseMemoryWindow(word)
                    guard window.length <= UInt64(Int.max) else { return invalid(assignment, "Memory window too large") }
                    processor.memory.append(KernelSim.MemoryWindow(deviceAddress: window.deviceAddress, length: Int(window.length)))
                }
            case "IOMMU": processor.hasIOMMU = try Values.parseBoolean(value)
            case "DumpSegments": processor.dumpLoadedSegments = try Values.parseBoolean(value)
            case "CoredumpElf":
                if value.isEmpty { processor.coredumpElf = nil; return }
                let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == "32" || parts[0] == "64" else {
                    return invalid(assignment, "Invalid ELF identity '\(value)' (want CLASS:MACHINE, class 32 or 64)")
                }
                let machine: UInt16 = try Values.parseInteger(String(parts[1]))
                processor.coredumpElf = CoredumpElfInfo(elfClass: parts[0] == "32" ? 1 : 2, machine: machine)
            case "AttachOnRecovery": processor.attachOnRecovery = try Values.parseBoolean(value)
            case "Detach": processor.hasDetach = try Values.parseBoolean(value)
            case "PreloadedFirmware": processor.preloadedFirmware = value.isEmpty ? nil : value
            case "Trace": processor.traceText = value.isEmpty ? nil : value
            case "RpmsgChannel":
                if value.isEmpty { processor.rpmsgChannels = []; return }
                for word in Values.parseList(value) {
                    let parts = word.split(separator: "@")
                    guard parts.count == 2, !parts[0].isEmpty else {
                        return invalid(assignment, "Invalid rpmsg channel '\(word)' (want NAME@ADDRESS)")
                    }
                    let address: UInt32 = try Values.parseInteger(String(parts[1]))
                    processor.rpmsgChannels.append(RpmsgChannelDescription(name: String(parts[0]), address: address))
                }
            case "AnnounceDelay":
                processor.announce = value == "never" ? .never : .after(milliseconds: try milliseconds(value))
            case "StartDelay": processor.faults.startDelayMs = try milliseconds(value)
            case "StopDelay": processor.faults.stopDelayMs = try milliseconds(value)
            case "FailNextStart": processor.faults.failNextStart = try Values.parseInteger(value)
            case "FailNextStop": processor.faults.failNextStop = try Values.parseInteger(value)
            case "CrashAfter": processor.faults.crashAfterMs = value.isEmpty ? nil : try milliseconds(value)
            default: warn(assignment, "Unknown key '\(assignment.key)' in section [Processor]")
            }
        } catch {
            invalid(assignment, error)
        }
    }

    /// A time span in milliseconds; a bare number is milliseconds.
    private func milliseconds(_ text: String) throws(ValueError) -> UInt64 {
        let span = try Values.parseTimeSpan(text, defaultUnit: .milliseconds(1))
        return span.isInfinite ? UInt64.max : span.microseconds / 1000
    }
}

private func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The whole file as UTF-8 text, or nil (errno set).
func readWholeFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}
