// `rprocctl coredump list|info|dump`: the dumps rprocd kept (ListCoredumps, DescribeCoredump,
// OpenCoredump in docs/dbus-api.md), in the manner of coredumpctl.

import ArgumentParser
import Glibc
import RprocBus
import RprocJSON

struct CoredumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coredump",
        abstract: "List, describe and extract the coredumps rprocd kept of crashed processors.",
        subcommands: [List.self, Info.self, Dump.self],
        defaultSubcommand: List.self)
}

extension CoredumpCommand {
    /// `coredump list [NAME]`.
    struct List: VerbCommand {
        static let configuration = CommandConfiguration(abstract: "List the kept coredumps, oldest first.")

        @OptionGroup var options: DaemonOptions
        var global: GlobalOptions { options.global }

        @Argument(help: ArgumentHelp("Only the dumps of this processor (name or device).", valueName: "name"),
                  completion: .custom(completeProcessorNames))
        var name: String?

        mutating func execute(_ context: OutputContext) throws -> ExitStatus {
            let daemon = try options.connect()
            let reply = try daemon.callManager("ListCoredumps", [.string(name ?? "")])
            guard let rows = Self.entries(reply) else { throw daemon.unexpected("ListCoredumps", reply) }
            guard !global.quiet else { return .success }
            if let format = global.jsonFormat {
                Terminal.write(JSONValue.array(rows.map(\.json)).serialized(format) + "\n", to: 1)
                return .success
            }
            if rows.isEmpty {
                if !global.noLegend { Terminal.write("No coredumps\(name.map { " of '\($0)'" } ?? "") kept.\n", to: 1) }
                return .success
            }
            var table = Table([
                .init("TIME"), .init("NAME"), .init("DEVICE"), .init("TYPE"), .init("SIZE", .right), .init("FIRMWARE"), .init("ID"),
            ])
            for row in rows {
                table.append(
                    TimeText.timestamp(row.time), row.name, row.device, row.crashType.isEmpty ? "-" : row.crashType, formatBytes(row.size),
                    row.firmware.isEmpty ? "-" : row.firmware, row.id)
            }
            var output = table.render(header: !global.noLegend, styler: context.styler)
            if !global.noLegend { output += "\n" + legend(rows.count, "coredump", "coredumps") + "\n" }
            Terminal.write(output, to: 1)
            return .success
        }

        struct Entry {
            var id, device, name: String
            var time, size: UInt64
            var crashType, firmware: String

            var json: JSONValue {
                [
                    "id": .string(id), "device": .string(device), "name": .string(name), "timeUSec": .number(time),
                    "size": .number(size), "crashType": .string(crashType), "firmware": .string(firmware),
                ]
            }
        }

        /// The `a(sssttss)` of ListCoredumps.
        static func entries(_ reply: [BusValue]) -> [Entry]? {
            guard reply.count == 1, let items = reply[0].elements else { return nil }
            var entries: [Entry] = []
            for item in items {
                guard let m = item.members, m.count == 7, let id = m[0].string, let device = m[1].string, let name = m[2].string,
                    let time = m[3].uint64, let size = m[4].uint64, let type = m[5].string, let firmware = m[6].string
                else { return nil }
                entries.append(Entry(id: id, device: device, name: name, time: time, size: size, crashType: type, firmware: firmware))
            }
            return entries
        }
    }

    /// `coredump info ID`.
    struct Info: VerbCommand {
        static let configuration = CommandConfiguration(abstract: "Show what rprocd recorded about one coredump.")

        @OptionGroup var options: DaemonOptions
        var global: GlobalOptions { options.global }

        @Argument(help: ArgumentHelp("The dump's id, as 'coredump list' shows it.", valueName: "id"))
        var id: String

        mutating func execute(_ context: OutputContext) throws -> ExitStatus {
            let daemon = try options.connect()
            let reply = try daemon.callManager("DescribeCoredump", [.string(id)])
            guard let text = reply.first?.string, let json = try? JSONParser().parse(text) else {
                throw daemon.unexpected("DescribeCoredump", reply)
            }
            guard !global.quiet else { return .success }
            if let format = global.jsonFormat {
                Terminal.write(json.serialized(format) + "\n", to: 1)
            } else {
                Terminal.write(Self.text(id: id, json, styler: context.styler), to: 1)
            }
            return .success
        }

        /// coredumpctl-info's layout: aligned `Key: value` lines, then the log excerpts.
        static func text(id: String, _ json: JSONValue, styler: Styler) -> String {
            func field(_ key: String) -> String { json[key]?.stringValue ?? json[key]?.uint64Value.map { "\($0)" } ?? "" }
            var lines: [(String, String)] = [
                ("ID", id),
                ("Processor", "\(field("processor")) (\(field("device")))"),
                ("Time", TimeText.timestamp(json["timeUSec"]?.uint64Value ?? 0)),
                ("Crash type", field("crashType").isEmpty ? "unknown (not in the kernel log)" : field("crashType")),
                ("Crash count", field("crashCount")),
                ("Boot count", field("bootCount")),
                ("Firmware", field("firmware")),
                ("SHA-256", field("firmwareSHA256").isEmpty ? "n/a (the firmware file was not found)" : field("firmwareSHA256")),
                ("Size", formatBytes(json["size"]?.uint64Value ?? 0)),
                ("Kernel dump", field("devcoredump")),
            ]
            lines = lines.filter { !$0.1.isEmpty }
            let width = lines.map(\.0.count).max() ?? 0
            var out = lines.map { String(repeating: " ", count: width - $0.0.count) + styler.apply(.bold, $0.0) + ": " + terminalSafe($0.1) }
                .joined(separator: "\n") + "\n"
            for (key, title) in [("kernelLog", "Kernel log"), ("trace", "Remote's log")] {
                let entries = json[key]?.arrayValue?.compactMap(\.stringValue) ?? []
                guard !entries.isEmpty else { continue }
                out += "\n" + styler.apply(.bold, title + ":") + "\n" + entries.map { "    " + terminalSafe($0) }.joined(separator: "\n") + "\n"
            }
            return out
        }
    }

    /// `coredump dump ID -o FILE`.
    struct Dump: VerbCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write one coredump (an ELF core file) to a file.",
            discussion: "Needs the rights of a mutating call (root or the admin group): a dump holds device memory.")

        @OptionGroup var options: DaemonOptions
        var global: GlobalOptions { options.global }

        @Argument(help: ArgumentHelp("The dump's id, as 'coredump list' shows it.", valueName: "id"))
        var id: String

        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write it ('-': standard output).", valueName: "file"))
        var output: String

        mutating func execute(_ context: OutputContext) throws -> ExitStatus {
            if output == "-" && Terminal.isTerminal(1) {
                throw CommandFailure("Refusing to write a binary coredump to a terminal; use -o FILE.", status: .invalidArgument)
            }
            let daemon = try options.connect()
            let reply = try daemon.callManager("OpenCoredump", [.string(id)])
            guard let source = reply.first?.unixFD else { throw daemon.unexpected("OpenCoredump", reply) }
            defer { close(source) }
            let target = output == "-" ? 1 : open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard target >= 0 else { throw CommandFailure("Failed to create '\(output)': \(String(cString: strerror(errno))).", status: .failure) }
            defer { if target != 1 { close(target) } }
            let copied = try Self.copy(from: source, to: target, name: output)
            if !global.quiet && output != "-" {
                Terminal.write("Wrote \(formatBytes(copied)) to '\(output)'.\n", to: 2)
            }
            return .success
        }

        /// Copies until end of file, retrying interrupted calls and short writes.
        static func copy(from source: Int32, to target: Int32, name: String) throws -> UInt64 {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var total: UInt64 = 0
            while true {
                let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw CommandFailure("Failed to read the coredump: \(String(cString: strerror(errno))).", status: .failure) }
                if count == 0 { return total }
                var offset = 0
                while offset < count {
                    let written = buffer.withUnsafeBytes { write(target, $0.baseAddress! + offset, count - offset) }
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { throw CommandFailure("Failed to write '\(name)': \(String(cString: strerror(errno))).", status: .failure) }
                    offset += written
                }
                total += UInt64(count)
            }
        }
    }
}

extension DaemonClient {
    /// Calls a method of the Manager object.
    func callManager(_ member: String, _ arguments: [BusValue]) throws(CommandFailure) -> [BusValue] {
        try call(Self.managerPath, Self.managerInterface, member, arguments)
    }
}

/// `1.5M`, as systemd's `format_bytes` prints sizes (binary multiples).
func formatBytes(_ bytes: UInt64) -> String {
    let units: [(UInt64, String)] = [(1 << 60, "E"), (1 << 50, "P"), (1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")]
    for (factor, suffix) in units where bytes >= factor {
        let tenths = bytes * 10 / factor
        return tenths % 10 == 0 || tenths >= 1000 ? "\(tenths / 10)\(suffix)" : "\(tenths / 10).\(tenths % 10)\(suffix)"
    }
    return "\(bytes)B"
}
