// Crash to "rprocd knows" and crash to running again, with rprocd's crash watchdog pieces
// (kernel log → CrashDetector → RestartDriver with RestartSec=0 → `recovery ← recover`), against a
// shell loop that polls `state` every 100 ms and recovers (a typical board script), in the same
// run, on the virtual lab board (the real `rproc-sim`). Crashes are injected through debugfs `crash`.
//
//   swift build --product rproc-sim --product make-sample-firmware   (in the root package)
//   swift run -c release --package-path Benchmarks CrashRecovery [crashes]
//
// `$RPROC_SIM` and `$MAKE_SAMPLE_FIRMWARE` override the binaries (default: the root's .build/debug).

import Glibc
import RprocDaemon
import RprocModel
import RprocSystem

let crashes = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 200
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)  // Benchmarks/Sources/CrashRecovery/main.swift
    return parts.joined(separator: "/")
}()
func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
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

@discardableResult
func spawn(_ argv: [String], stdout: Int32? = nil) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
    var args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { args.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, argv[0], &actions, nil, &args, environ) == 0 else { fail("cannot run '\(argv[0])'") }
    return pid
}

func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
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

let kernel = KernelFiles(root: mountPoint)
let device = "remoteproc0"
func write(_ attribute: Attribute, _ value: String) {
    do {
        _ = try kernel.perform(RprocSystem.KernelWrite(attribute: attribute, value: value), on: device)
    } catch {
        fail("\(attribute.sysfsValue) ← \(value): \(error)")
    }
}
func state() -> ProcessorState { (try? kernel.state(of: device)) ?? .offline }
func injectCrash() {
    do {
        _ = try kernel.operations.writeOnce(kernel.path("sys/kernel/debug/remoteproc/\(device)/crash"), Array("1".utf8))
    } catch {
        fail("crash: \(error)")
    }
}

write(.recovery, "disabled")  // Owner=rprocd, and the shell script's premise too
write(.state, "start")

// MARK: 1. rprocd's pieces, event-driven from the kernel log

final class Timer: RestartTimer {
    var armed = false
    func arm(at: UInt64) { armed = true }
    func disarm() { armed = false }
}

final class Recoverer: RestartDriverDelegate {
    var detector: CrashDetector
    var recoveredAt: UInt64 = 0
    init(detector: CrashDetector) { self.detector = detector }
    func restartDriverState(_ driver: RestartDriver) -> ProcessorState { detector.state }
    func restartDriver(_ driver: RestartDriver, perform request: RestartRequest, completion: @escaping (RestartOutcome) -> Void) {
        detector.jobStarted(request.operation)
        write(.recovery, "recover")
        let after = state()
        recoveredAt = realtimeNanoseconds()
        _ = detector.jobFinished(state: after, at: recoveredAt / 1000)
        completion(.succeeded(state: after))
    }
    func restartDriver(_ driver: RestartDriver, announce signal: CrashSignal) {}
    func restartDriverChanged(_ driver: RestartDriver) {}
}

let kmsg: KmsgReader
do { kmsg = try KmsgReader(kernel: kernel, start: .afterLastRecord) } catch { fail("dev/kmsg: \(error)") }
let timer = Timer()
var settings = RestartSettings()
settings.restartSec = .zero
settings.startLimitBurst = 0
let recoverer = Recoverer(detector: CrashDetector(device: device, state: state()))
let driver = RestartDriver(device: device, owner: .rprocd, settings: settings, timer: timer, clock: { realtimeNanoseconds() / 1000 })
driver.delegate = recoverer

var ours: [(detected: UInt64, running: UInt64)] = []
for _ in 0..<crashes {
    let t0 = realtimeNanoseconds()
    injectCrash()
    var detectedAt: UInt64 = 0
    while detectedAt == 0 {
        var descriptor = pollfd(fd: kmsg.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, 1000)
        while case let step = (try? kmsg.next()) ?? .noMoreForNow, step != .noMoreForNow {
            guard case .record(let record) = step, let line = RemoteprocLogLine(record), line.device == device else { continue }
            for detection in recoverer.detector.kernelLog(line.event, at: realtimeNanoseconds() / 1000) {
                if case .crashed = detection, detectedAt == 0 { detectedAt = realtimeNanoseconds() }
                driver.handle(detection)
            }
        }
    }
    for detection in recoverer.detector.observe(state: state(), at: realtimeNanoseconds() / 1000) { driver.handle(detection) }
    if timer.armed {
        timer.armed = false
        driver.timerFired()
    }
    guard state() == .running else { fail("not running after rprocd's recovery") }
    ours.append((detectedAt - t0, recoverer.recoveredAt - t0))
    usleep(1000)
}

// MARK: 2. The shell loop

var pipeFDs: [Int32] = [0, 0]
pipe(&pipeFDs)
let statePath = kernel.path("sys/class/remoteproc/\(device)/state")
let recoveryPath = kernel.path("sys/class/remoteproc/\(device)/recovery")
let script = """
    while :; do read s < '\(statePath)'; if [ "$s" = crashed ]; then date +%s%N; echo recover > '\(recoveryPath)'; date +%s%N; fi; sleep 0.1; done
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
print("\(crashes) crashes on the virtual lab board, µs from the debugfs crash write:")
print("".rightPad(34) + ["detect p50", "detect p99", "running p50", "running p99"].map { $0.leftPad(12) }.joined())
let a = row("rprocd (kernel log, RestartSec=0)", ours)
let b = row("shell loop polling every 100 ms", theirs)
print("ratio shell/rprocd: detect p50 \(Int((b[0] / a[0]).rounded()))×, p99 \(Int((b[1] / a[1]).rounded()))×; running p50 \(Int((b[2] / a[2]).rounded()))×, p99 \(Int((b[3] / a[3]).rounded()))×")
