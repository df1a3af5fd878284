// Crash to "rprocd knows" and crash to running again, through the built rprocd (its crash watchdog
// with `Restart=on-crash`, `RestartSec=0`, Owner=rprocd) on the virtual lab board (the real
// `rproc-sim`), seen by a D-Bus client on its control socket: detected = the `Crashed` signal
// arrives, running = the `Recovered` signal arrives (sent once `state` was re-read as running).
// Against a shell loop that polls `state` every 100 ms and recovers by writing `recovery`
// (a typical board script), in the same run. Crashes are injected through debugfs `crash`.
//
//   swift build --product rprocd --product rproc-sim --product make-sample-firmware   (in the root package)
//   swift run -c release --package-path Benchmarks CrashRecovery [crashes]
//
// `$RPROCD`, `$RPROC_SIM` and `$MAKE_SAMPLE_FIRMWARE` override the binaries (default: the root's .build/debug).

import Glibc
import RprocBus

let crashes = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 200
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)  // Benchmarks/Sources/CrashRecovery/main.swift
    return parts.joined(separator: "/")
}()
func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
let daemonBinary = environment("RPROCD") ?? packageRoot + "/.build/debug/rprocd"
let simulator = environment("RPROC_SIM") ?? packageRoot + "/.build/debug/rproc-sim"
let sampleFirmware = environment("MAKE_SAMPLE_FIRMWARE") ?? packageRoot + "/.build/debug/make-sample-firmware"

func fail(_ message: String) -> Never {
    let text = "CrashRecovery: \(message)\n"
    _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
    exit(1)
}

func realtimeNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Spawns `argv` with stdout to `stdout` (or /dev/null with `quiet`, stderr too) and no NOTIFY_SOCKET.
@discardableResult
func spawn(_ argv: [String], stdout: Int32? = nil, quiet: Bool = false) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
    if quiet {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    var args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { args.forEach { free($0) } }
    unsetenv("NOTIFY_SOCKET")
    var pid: pid_t = 0
    guard posix_spawn(&pid, argv[0], &actions, nil, &args, environ) == 0 else { fail("cannot run '\(argv[0])'") }
    return pid
}

func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}

func writeFile(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot write '\(path)'") }
    _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    close(fd)
}

func readFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = read(fd, &buffer, buffer.count)
    return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "" : ""
}

// MARK: The board

var template = Array("/tmp/crash-recovery-XXXXXX".utf8CString)
let base = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
let mountPoint = base + "/mnt", firmwareDirectory = base + "/firmware", readyFile = base + "/ready"
mkdir(mountPoint, 0o755)
mkdir(firmwareDirectory, 0o755)
guard wait(spawn([sampleFirmware, firmwareDirectory + "/m4.elf"])) == 0 else { fail("'\(sampleFirmware)' failed (build it first)") }
let board = spawn([simulator, packageRoot + "/Resources/boards/lab.conf", mountPoint, "--firmware-dir", firmwareDirectory, "--ready-file", readyFile])
for _ in 0..<4000 where access(readyFile, F_OK) != 0 { usleep(5000) }
guard access(readyFile, F_OK) == 0 else { fail("the board did not mount") }
defer {
    kill(board, SIGTERM)
    _ = wait(board)
}

let device = "remoteproc0"
let sysfs = mountPoint + "/sys/class/remoteproc/\(device)"
let statePath = sysfs + "/state", recoveryPath = sysfs + "/recovery"
func injectCrash() { writeFile(mountPoint + "/sys/kernel/debug/remoteproc/\(device)/crash", "1") }

// MARK: 1. rprocd

mkdir(base + "/etc", 0o755)
mkdir(base + "/etc/processors.d", 0o755)
writeFile(base + "/etc/processors.d/m4.rproc", """
    [Match]
    Name=m4
    [Recovery]
    Owner=rprocd
    Restart=on-crash
    RestartSec=0
    StartLimitBurst=0

    """)
let socketPath = base + "/control"
let daemon = spawn(
    [daemonBinary, "--root", mountPoint, "--socket", socketPath, "--state-dir", base + "/state", "--config-dir", base + "/etc",
     "--system-bus", "no"],
    quiet: true)
var client: BusClient?
for _ in 0..<4000 where client == nil {
    client = try? BusClient(.socket(socketPath))
    if client == nil { usleep(5000) }
}
guard let client else { fail("rprocd did not listen on '\(socketPath)' ('\(daemonBinary)' built?)") }
let processorPath = "/org/daybreak/RemoteProc1/processor/\(device)"
var crashedAt: UInt64 = 0
var recoveredAt: UInt64 = 0
let subscriptions = try [
    client.subscribe(path: processorPath, member: "Crashed") { _ in crashedAt = realtimeNanoseconds() },
    client.subscribe(path: processorPath, member: "Recovered") { _ in recoveredAt = realtimeNanoseconds() },
]
_ = try client.call(path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: "ListProcessors")
for _ in 0..<4000 where readFile(recoveryPath) != "disabled" { usleep(1000) }
guard readFile(recoveryPath) == "disabled" else { fail("rprocd did not take recovery over") }
_ = try client.call(path: processorPath, interface: "org.daybreak.RemoteProc1.Processor", member: "Start", arguments: [.string("")])

var ours: [(detected: UInt64, running: UInt64)] = []
for crash in 0..<crashes {
    usleep(UInt32.random(in: 0..<100_000))  // as for the shell loop: crashes come at any time
    crashedAt = 0
    recoveredAt = 0
    let t0 = realtimeNanoseconds()
    injectCrash()
    guard try client.run(until: { crashedAt != 0 && recoveredAt != 0 }, timeoutMicroseconds: 10_000_000) else {
        fail("crash \(crash + 1): no Crashed/Recovered from rprocd within 10 s")
    }
    guard readFile(statePath) == "running" else { fail("not running after rprocd's recovery") }
    ours.append((crashedAt - t0, recoveredAt - t0))
}
_ = subscriptions
kill(daemon, SIGTERM)
_ = wait(daemon)

// MARK: 2. The shell loop

// The board script's premise: the kernel's recovery off (rprocd handed it back at exit), the
// script recovers. `while sleep 0.1; do cat state; done`, recovering by writing.
writeFile(recoveryPath, "disabled")
var pipeFDs: [Int32] = [0, 0]
pipe(&pipeFDs)
let script = """
    while sleep 0.1; do s=$(cat '\(statePath)'); if [ "$s" = crashed ]; then date +%s%N; echo recover > '\(recoveryPath)'; date +%s%N; fi; done
    """
let shell = spawn(["/bin/sh", "-c", script], stdout: pipeFDs[1])
close(pipeFDs[1])
let shellOutput = fdopen(pipeFDs[0], "r")!
func readTimestamp(_ shellOutput: UnsafeMutablePointer<FILE>) -> UInt64 {
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    guard getline(&line, &capacity, shellOutput) > 0, let line else { fail("the shell loop stopped") }
    defer { free(line) }
    return UInt64(String(cString: line).split(separator: "\n").first ?? "") ?? 0
}
var theirs: [(detected: UInt64, running: UInt64)] = []
for _ in 0..<crashes {
    usleep(UInt32.random(in: 0..<100_000))  // crashes come at any point of the script's 100 ms sleep
    let t0 = realtimeNanoseconds()
    injectCrash()
    let detected = readTimestamp(shellOutput)
    let running = readTimestamp(shellOutput)
    theirs.append((detected - t0, running - t0))
}
kill(shell, SIGTERM)
_ = wait(shell)

// MARK: Figures

func percentile(_ values: [UInt64], _ p: Double) -> Double {
    let sorted = values.sorted()
    return Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]) / 1e6
}
func row(_ name: String, _ samples: [(detected: UInt64, running: UInt64)]) -> [Double] {
    let figures = [
        percentile(samples.map(\.detected), 0.5), percentile(samples.map(\.detected), 0.99),
        percentile(samples.map(\.running), 0.5), percentile(samples.map(\.running), 0.99),
    ]
    let text = figures.map { String(Int(($0 * 1000).rounded())) }  // µs
    print(name.rightPad(34) + text.map { $0.leftPad(12) }.joined())
    return figures
}
extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func rightPad(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
print("\(crashes) crashes on the virtual lab board, µs from the debugfs crash write (same run):")
print("".rightPad(34) + ["detect p50", "detect p99", "running p50", "running p99"].map { $0.leftPad(12) }.joined())
let a = row("rprocd (through D-Bus, RestartSec=0)", ours)
let b = row("shell loop polling every 100 ms", theirs)
print("ratio shell/rprocd: detect p50 \(Int((b[0] / a[0]).rounded()))×, p99 \(Int((b[1] / a[1]).rounded()))×; running p50 \(Int((b[2] / a[2]).rounded()))×, p99 \(Int((b[3] / a[3]).rounded()))×")
