// The metrics file, parsed by the Python prometheus_client OpenMetrics parser (a real parser,
// not ours), and rewritten only when its text changes.

import Foundation
import Testing
@testable import RprocDaemon

@Suite struct MetricsTests {
    static let processors = [
        ProcessorMetrics(device: "remoteproc0", name: "m4", state: "running", boots: 3, crashes: 1, restarts: 1, rollbacks: 1,
                         lastCrashMicroseconds: 1_796_115_312_250_000, readySeconds: 0.802),
        ProcessorMetrics(device: "remoteproc1", name: "odd \"name\"\\", state: "defunct", boots: 0, crashes: 0, restarts: 0,
                         rollbacks: 0, lastCrashMicroseconds: 0, readySeconds: nil),
    ]

    /// Parses `text` with prometheus_client and prints `family type sample{labels} value` lines.
    static func parse(_ text: String) throws -> (status: Int32, out: String, err: String) {
        let script = """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            for f in text_string_to_metric_families(sys.stdin.read()):
                for s in f.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                    print(f"{f.name} {f.type} {f.unit} {s.name}{{{labels}}} {s.value}")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    static let parserAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import prometheus_client.openmetrics.parser"]
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        if process.terminationStatus != 0 { print("Skipping the OpenMetrics parser test: pip install prometheus_client") }
        return process.terminationStatus == 0
    }()

    @Test(.enabled(if: parserAvailable)) func theFileParsesAsOpenMetrics() throws {
        let text = OpenMetrics.render(Self.processors)
        #expect(text.hasSuffix("\n# EOF\n"))
        let parsed = try Self.parse(text)
        #expect(parsed.status == 0, "\(parsed.err)\n\(text)")
        let lines = Set(parsed.out.split(separator: "\n").map(String.init))
        #expect(lines.contains("rprocd_processor_state gauge  rprocd_processor_state{device=remoteproc0,name=m4,state=running} 1"))
        #expect(lines.contains("rprocd_processor_state gauge  rprocd_processor_state{device=remoteproc0,name=m4,state=crashed} 0"))
        #expect(lines.contains("rprocd_boots counter  rprocd_boots_total{device=remoteproc0,name=m4} 3"))
        #expect(lines.contains("rprocd_crashes counter  rprocd_crashes_total{device=remoteproc0,name=m4} 1"))
        #expect(lines.contains("rprocd_restarts counter  rprocd_restarts_total{device=remoteproc0,name=m4} 1"))
        #expect(lines.contains("rprocd_rollbacks counter  rprocd_rollbacks_total{device=remoteproc0,name=m4} 1"))
        #expect(lines.contains("rprocd_last_crash_timestamp_seconds gauge seconds rprocd_last_crash_timestamp_seconds{device=remoteproc0,name=m4} 1796115312.25"))
        #expect(lines.contains("rprocd_ready_seconds gauge seconds rprocd_ready_seconds{device=remoteproc0,name=m4} 0.802"))
        // A state rprocd does not know is kept verbatim; label values are escaped.
        #expect(lines.contains("rprocd_processor_state gauge  rprocd_processor_state{device=remoteproc1,name=odd \"name\"\\,state=defunct} 1"))
        #expect(!lines.contains { $0.hasPrefix("rprocd_ready_seconds") && $0.contains("remoteproc1") })
        // Every known state has a sample per processor.
        #expect(lines.filter { $0.contains("remoteproc0") && $0.hasPrefix("rprocd_processor_state") }.count == OpenMetrics.knownStates.count)
        // A truncated file (no # EOF) is refused by the same parser: the test can fail.
        #expect(try Self.parse(String(text.dropLast("# EOF\n".count))).status != 0)
    }

    @Test func theFileIsWrittenAtomicallyOnlyWhenItChanges() throws {
        let directory = NSTemporaryDirectory() + "rprocd-metrics-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = MetricsWriter(path: directory + "/rprocd.prom")
        #expect(try writer.write(Self.processors))
        #expect(try String(contentsOfFile: writer.path, encoding: .utf8) == OpenMetrics.render(Self.processors))
        #expect(try !writer.write(Self.processors))
        var changed = Self.processors
        changed[0].crashes += 1
        #expect(try writer.write(changed))
        #expect(try String(contentsOfFile: writer.path, encoding: .utf8).contains("rprocd_crashes_total{device=\"remoteproc0\",name=\"m4\"} 2\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["rprocd.prom"])
        #expect(OpenMetrics.seconds(1_500_000) == "1.500000")
        #expect(OpenMetrics.seconds(0) == "0")
    }
}
