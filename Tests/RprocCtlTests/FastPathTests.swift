// The fast path for `inspect` and `validate` (Sources/RprocCtl/FastPath.swift) against
// ArgumentParser: same options, and for every command line the same stdout, stderr and exit code.

import Foundation
import Testing

@testable import RprocCtl

@Suite struct FastPathTests {
    /// Files the command lines name, written once per test into a scratch directory.
    static func withFiles<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rprocctl-fastpath-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files: [(String, [UInt8])] = [
            ("fw.elf", Images.sample), ("notable.elf", Images.withoutResourceTable), ("warn.elf", Images.warningOnly),
            ("nocarveout.elf", Images.withoutCarveout), ("be64.elf", Images.bigEndian64), ("damaged.elf", Images.damaged),
            ("script.sh", Images.notELF), ("-dash.elf", Images.sample),
        ]
        for (name, bytes) in files {
            try Data(bytes).write(to: directory.appendingPathComponent(name))
        }
        return try body(directory)
    }

    /// Command lines, run in the scratch directory: the ones the fast path takes and the ones it must
    /// leave to ArgumentParser (help, errors, unknown or repeated options, `--`, odd values).
    static let commandLines: [[String]] = [
        // inspect, accepted by the fast path.
        ["inspect", "fw.elf"], ["inspect", "--json", "fw.elf"], ["inspect", "--json", "pretty", "fw.elf"],
        ["inspect", "--json", "short", "fw.elf"], ["inspect", "--json=short", "fw.elf"], ["inspect", "--json=pretty", "fw.elf"],
        ["inspect", "--json=off", "fw.elf"], ["inspect", "--json", "off", "fw.elf"], ["inspect", "fw.elf", "--json"],
        ["inspect", "fw.elf", "--json", "pretty"], ["inspect", "--no-legend", "fw.elf"], ["inspect", "-q", "fw.elf"],
        ["inspect", "--quiet", "--json", "fw.elf"], ["inspect", "--no-pager", "--no-legend", "fw.elf"],
        ["inspect", "notable.elf"], ["inspect", "be64.elf"], ["inspect", "--json", "damaged.elf"], ["inspect", "damaged.elf"],
        ["inspect", "script.sh"], ["inspect", "--json", "script.sh"], ["inspect", "missing.elf"], ["inspect", "--json", "missing.elf"],
        ["inspect", "."], ["inspect", "validate"], ["inspect", "--json", "--no-legend", "-q", "fw.elf"],
        // validate, accepted by the fast path.
        ["validate", "fw.elf"], ["validate", "--json", "fw.elf"], ["validate", "--json", "pretty", "warn.elf"],
        ["validate", "notable.elf"], ["validate", "--kernel", "6.1", "notable.elf"], ["validate", "--kernel=6.12", "notable.elf"],
        ["validate", "--kernel", "all", "be64.elf"], ["validate", "--memory", "0x10000000:1M", "nocarveout.elf"],
        ["validate", "--memory", "0x10000000:4K", "--memory=0x20000000:64K", "nocarveout.elf"],
        ["validate", "--memory", "0x10000000:4K,0x20000000:64K", "--json=short", "nocarveout.elf"],
        ["validate", "--json", "pretty", "--kernel", "all", "--memory", "0:1G", "fw.elf"], ["validate", "--no-legend", "-q", "warn.elf"],
        ["validate", "-q", "notable.elf"], ["validate", "damaged.elf"], ["validate", "script.sh"], ["validate", "missing.elf"],
        // Left to ArgumentParser.
        [], ["inspect"], ["validate"], ["inspect", "fw.elf", "warn.elf"], ["inspect", "--bogus", "fw.elf"], ["inspect", "-x", "fw.elf"],
        ["inspect", "-qq", "fw.elf"], ["inspect", "-q", "-q", "fw.elf"], ["inspect", "-q", "--quiet", "fw.elf"],
        ["inspect", "--no-legend", "--no-legend", "fw.elf"], ["inspect", "--no-legend=yes", "fw.elf"],
        ["inspect", "--json=help", "fw.elf"], ["inspect", "--json", "help"], ["inspect", "--json=bogus", "fw.elf"],
        ["inspect", "--json=", "fw.elf"], ["inspect", "--json=short", "--json=pretty", "fw.elf"],
        ["inspect", "--memory", "0:1K", "fw.elf"], ["inspect", "--kernel", "6.1", "fw.elf"], ["inspect", "--", "fw.elf"],
        ["inspect", "--", "-dash.elf"], ["inspect", "-dash.elf"], ["inspect", "-"], ["inspect", "--help"], ["inspect", "-h"],
        ["inspect", "--version"], ["help", "inspect"], ["--json=short", "inspect", "fw.elf"], ["-q", "inspect", "fw.elf"],
        ["validate", "--memory", "bogus", "fw.elf"], ["validate", "--memory", "fw.elf"], ["validate", "--memory=", "fw.elf"],
        ["validate", "--memory", "0x10:0", "fw.elf"], ["validate", "--memory", "-1:4K", "fw.elf"], ["validate", "--kernel", "5.4", "fw.elf"],
        ["validate", "--kernel", "fw.elf"], ["validate", "--kernel", "6.1", "--kernel", "6.12", "fw.elf"], ["validate", "--kernel"],
        ["validate", "--json", "fw.elf", "--memory"], ["validate", "--help"], ["Inspect", "fw.elf"], ["list"],
    ]

    @Test func everyCommandLineGivesWhatArgumentParserGives() throws {
        try Self.withFiles { directory in
            for arguments in Self.commandLines {
                let fast = try Rprocctl.run(arguments, in: directory)
                let slow = try Rprocctl.run(arguments, in: directory, environment: ["RPROCCTL_NO_FAST_PATH": "1"])
                #expect(fast.status == slow.status, "exit code of \(arguments)")
                #expect(fast.stdout == slow.stdout, "stdout of \(arguments)")
                #expect(fast.stderr == slow.stderr, "stderr of \(arguments)")
            }
        }
    }

    /// The list must exercise both sides: lines the fast path takes and lines it leaves alone.
    @Test func theCommandLinesCoverBothPaths() {
        let expanded = Self.commandLines.map { expandingBareJSON($0, stdoutIsTerminal: false) }
        let taken = expanded.filter { FastPath.parse($0) != nil }.count
        #expect(taken >= 40)
        #expect(expanded.count - taken >= 40)
        #expect(FastPath.parse(["inspect", "--json=short", "fw.elf"])?.json == .short)
        #expect(FastPath.parse(["validate", "--memory", "0:4K", "--memory", "0x100:1K", "fw.elf"])?.memory.count == 2)
        #expect(FastPath.parse(["inspect", "--memory", "0:4K", "fw.elf"]) == nil)
        #expect(FastPath.parse(["inspect", "--json=help", "fw.elf"]) == nil)
    }

    /// ``FastPath/table`` lists exactly the options ArgumentParser declares for each verb (from
    /// `--experimental-dump-help`, less help and version), with the same spellings and arities.
    @Test(arguments: FastPath.Verb.allCases)
    func theTableMatchesArgumentParser(_ verb: FastPath.Verb) throws {
        let dump = try Rprocctl.run([verb.rawValue, "--experimental-dump-help"])
        #expect(dump.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any]
        let arguments = (json?["command"] as? [String: Any])?["arguments"] as? [[String: Any]] ?? []
        var declared: Set<String> = []
        for argument in arguments {
            let kind = argument["kind"] as? String ?? ""
            let names = (argument["names"] as? [[String: Any]] ?? []).map { name in
                ((name["kind"] as? String) == "short" ? "-" : "--") + (name["name"] as? String ?? "")
            }
            guard kind != "positional", !names.contains("--help"), !names.contains("--version") else { continue }
            let repeating = argument["isRepeating"] as? Bool ?? false
            declared.insert("\(names.sorted()) \(kind == "option" ? "value" : "flag") \(repeating ? "repeating" : "once")")
        }
        let table = Set(FastPath.table.filter { $0.verbs.contains(verb) }.map {
            "\($0.names.sorted()) \($0.takesValue ? "value" : "flag") \($0.repeatable ? "repeating" : "once")"
        })
        #expect(!declared.isEmpty)
        #expect(table == declared)
    }
}
