// The built rproc-sim (lab board) and the built rprocd on it, spawned, for the benchmarks that
// measure through the daemon (ReadinessBench, UpdateBench). `$RPROCD`, `$RPROC_SIM` and
// `$MAKE_SAMPLE_FIRMWARE` override the binaries (default: the root package's .build/release,
// else .build/debug).

import Glibc
import RprocBus

public enum Bench {
    public static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Benchmarks/Sources/BenchDaemon/BenchDaemon.swift
        return parts.joined(separator: "/")
    }()

    public static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// `$variable`, else the release build of `product`, else its debug build.
    public static func binary(_ product: String, _ variable: String) -> String {
        if let path = environment(variable) { return path }
        let release = packageRoot + "/.build/release/" + product
        return access(release, X_OK) == 0 ? release : packageRoot + "/.build/debug/" + product
    }

    /// Children to end when a benchmark fails (rprocd first, then the board).
    nonisolated(unsafe) static var children: [pid_t] = []

    public static func fail(_ message: String) -> Never {
        for pid in children.reversed() {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        let text = "\(CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "bench"): \(message)\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
        exit(1)
    }

    public static func monotonic() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    @discardableResult
    public static func spawn(_ argv: [String], stdout: Int32? = nil) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdout {
            posix_spawn_file_actions_adddup2(&actions, stdout, 1)
            posix_spawn_file_actions_adddup2(&actions, stdout, 2)
        }
        var args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { args.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &args, environ) == 0 else { fail("cannot run '\(argv[0])'") }
        return pid
    }

    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return status
    }

    public static func writeFile(_ path: String, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    public static func readFile(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = read(fd, &buffer, buffer.count), count > 0 { bytes += buffer[0..<count] }
        return bytes
    }

    /// The value at `p` (0…1) of `values` in ms (µs in).
    public static func percentile(_ values: [UInt64], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return Double(sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]) / 1000
    }

    /// `value` with two decimals.
    public static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}

/// The lab board mounted by rproc-sim, with firmware, and rprocd serving it on a private socket.
public final class BenchLab {
    public let base: String
    public var mountPoint: String { base + "/mnt" }
    public var firmwareDirectory: String { base + "/firmware" }
    public var socket: String { base + "/control" }
    public let rprocd: String
    private var board: pid_t = 0
    private var daemon: pid_t = 0

    /// - Parameters:
    ///   - processors: `*.rproc` texts by file stem.
    ///   - knobs: `.sim/…` files written before rprocd starts.
    public init(processors: [String: String], knobs: [String: String] = [:], pollInterval: String = "30s") {
        var template = Array("/tmp/rprocd-bench-XXXXXX".utf8CString)
        base = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        rprocd = Bench.binary("rprocd", "RPROCD")
        for directory in ["/mnt", "/firmware", "/etc", "/etc/processors.d", "/state"] { mkdir(base + directory, 0o755) }
        let sample = Bench.binary("make-sample-firmware", "MAKE_SAMPLE_FIRMWARE")
        guard Bench.wait(Bench.spawn([sample, firmwareDirectory + "/m4.elf"])) == 0 else { Bench.fail("'\(sample)' failed (build it first)") }
        Bench.writeFile(firmwareDirectory + "/r5f.elf", Bench.readFile(firmwareDirectory + "/m4.elf"))
        for (name, text) in processors { Bench.writeFile(base + "/etc/processors.d/\(name).rproc", Array(text.utf8)) }
        let readyFile = base + "/ready"
        let boardLog = open(base + "/rproc-sim.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        board = Bench.spawn([
            Bench.binary("rproc-sim", "RPROC_SIM"), Bench.packageRoot + "/Resources/boards/lab.conf", mountPoint,
            "--firmware-dir", firmwareDirectory, "--ready-file", readyFile,
        ], stdout: boardLog)
        close(boardLog)
        Bench.children.append(board)
        for _ in 0..<4000 where access(readyFile, F_OK) != 0 { usleep(5000) }
        guard access(readyFile, F_OK) == 0 else { Bench.fail("the board did not mount") }
        for (file, value) in knobs { Bench.writeFile(mountPoint + "/" + file, Array(value.utf8)) }
        let log = open(base + "/rprocd.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        daemon = Bench.spawn([
            rprocd, "--root", mountPoint, "--socket", socket, "--state-dir", base + "/state", "--config-dir", base + "/etc",
            "--system-bus", "no", "--poll-interval", pollInterval, "--log-level", "notice",
        ], stdout: log)
        close(log)
        Bench.children.append(daemon)
        for _ in 0..<4000 {
            if let client = try? BusClient(.socket(socket)),
                (try? client.call(path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: "ListProcessors"))
                    != nil
            { return }
            usleep(5000)
        }
        Bench.fail("rprocd did not answer on '\(socket)' (see \(base)/rprocd.log)")
    }

    public func path(_ device: String) -> String { "/org/daybreak/RemoteProc1/processor/" + device }

    public func stop() {
        Bench.children.removeAll { $0 == daemon || $0 == board }
        kill(daemon, SIGTERM)
        _ = Bench.wait(daemon)
        kill(board, SIGTERM)
        _ = Bench.wait(board)
    }
}

/// A value shared between threads under a mutex.
public final class Locked<Value>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    public func with<T>(_ body: (inout Value) -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body(&value)
    }
}
