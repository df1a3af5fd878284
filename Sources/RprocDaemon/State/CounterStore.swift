// Restart safety: the counters a daemon restart must not lose (boots, crashes, last crash, last
// error), one small file per processor in the state directory, written atomically.

import Glibc
import RprocSystem
import SystemPackage

/// What rprocd remembers about one processor across its own restarts.
public struct ProcessorCounters: Sendable, Equatable {
    /// Boots seen (by rprocd or not): `BootCount`.
    public var boots: UInt32 = 0
    /// Crashes seen: `CrashCount`.
    public var crashes: UInt32 = 0
    /// CLOCK_REALTIME µs of the last crash, 0 for never: `LastCrashUSec`.
    public var lastCrashMicroseconds: UInt64 = 0
    /// The kernel's crash type of the last crash (`watchdog`), or empty: `LastCrashType`.
    public var lastCrashType = ""
    /// The last failure, one sentence, or empty: `LastError`.
    public var lastError = ""

    public init() {}

    static let keys = ["BootCount", "CrashCount", "LastCrashUSec", "LastCrashType", "LastError"]

    /// The file's text: `Key=Value` lines, in a fixed order.
    public var serialized: String {
        "BootCount=\(boots)\nCrashCount=\(crashes)\nLastCrashUSec=\(lastCrashMicroseconds)\n"
            + "LastCrashType=\(Self.oneLine(lastCrashType))\nLastError=\(Self.oneLine(lastError))\n"
    }

    /// Parses `serialized`; unknown keys and malformed lines are skipped, so an older or newer
    /// rprocd can read the file.
    public init(serialized text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals]
            let value = String(line[line.index(after: equals)...])
            switch key {
            case "BootCount": boots = UInt32(value) ?? boots
            case "CrashCount": crashes = UInt32(value) ?? crashes
            case "LastCrashUSec": lastCrashMicroseconds = UInt64(value) ?? lastCrashMicroseconds
            case "LastCrashType": lastCrashType = value
            case "LastError": lastError = value
            default: continue
            }
        }
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

/// Loads and saves `ProcessorCounters` under `<state directory>/processors/`.
///
/// A processor is keyed by its kernel `name` and the parent device it hangs off
/// (`m4@30000000.m4`), not by `remoteprocN`: the kernel reuses numbers in probe order.
public struct CounterStore: Sendable {
    public let directory: String

    public init(stateDirectory: String) {
        self.directory = (stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory) + "/processors"
    }

    /// The file name for a processor: `name@parent`, with every byte outside `[A-Za-z0-9._-]`
    /// escaped as `\xNN` (as systemd-escape does), so names with `/` or spaces stay one file.
    public static func key(name: String, parent: String) -> String {
        let raw = parent.isEmpty ? name : "\(name)@\(parent)"
        var result = ""
        for byte in raw.utf8 {
            let scalar = Unicode.Scalar(byte)
            let safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "@")
            if safe && !(result.isEmpty && byte == UInt8(ascii: ".")) {
                result.unicodeScalars.append(scalar)
            } else {
                result += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return result.isEmpty ? "\\x00" : result
    }

    /// The counters saved for `key`, or nil when none were saved. A missing file is nil; an
    /// unreadable one throws `SystemError`.
    public func load(key: String) throws -> ProcessorCounters? {
        let bytes: [UInt8]
        do {
            bytes = try SystemFileOperations().readWhole(directory + "/" + key, limit: 1 << 16)
        } catch let error as SystemError where error.errno == .noSuchFileOrDirectory {
            return nil
        }
        return ProcessorCounters(serialized: String(decoding: bytes, as: UTF8.self))
    }

    /// Saves `counters` atomically (temporary file, fsync, rename, fsync of the directory).
    ///
    /// - Throws: `SystemError`.
    public func save(_ counters: ProcessorCounters, key: String) throws {
        try Self.makeDirectories(directory)
        try AtomicFile.write(Array(counters.serialized.utf8), to: directory + "/" + key)
    }

    /// `mkdir -p`, mode 0755.
    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw SystemError(operation: "create directory", path: current, errno: Errno(rawValue: errno))
            }
        }
    }
}
