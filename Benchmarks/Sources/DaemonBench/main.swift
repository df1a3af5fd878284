// The built rprocd, spawned on directories laid out like /sys/class/remoteproc (plain files: the
// daemon only adopts and serves them).
//
//   swift build -c release --product rprocd
//   swift run -c release --package-path Benchmarks DaemonBench [path/to/rprocd] [runs]
//
// - Launch to READY=1 (8 processors): posix_spawn until READY=1 arrives on NOTIFY_SOCKET (p50, p99).
// - Idle RSS (VmRSS after 1 s) and idle wakeups (voluntary context switches of all threads over 5 s
//   with PollIntervalSec=1s; target: the poll, nothing more).
// - ListProcessors with 64 processors: in-process client round trip (p50, p99) against one pread(2)
//   of a `state` file in the same run, and whole-process `busctl call` (p50).

import Glibc
import RprocBus

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func write(_ text: String, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    close(fd)
}

func makeBoard(_ root: String, processors: Int) {
    for directory in ["sys/class/remoteproc", "etc", "state"] { _ = mkdir(root, 0o755); mkdirs(root + "/" + directory) }
    for n in 0..<processors {
        let device = root + "/sys/devices/platform/p\(n)/remoteproc/remoteproc\(n)"
        mkdirs(device)
        write("p\(n)\n", to: device + "/name")
        write((n % 2 == 0 ? "offline" : "running") + "\n", to: device + "/state")
        write("fw\(n).elf\n", to: device + "/firmware")
        write("enabled\n", to: device + "/recovery")
        write("disabled\n", to: device + "/coredump")
        symlink("../../devices/platform/p\(n)/remoteproc/remoteproc\(n)", root + "/sys/class/remoteproc/remoteproc\(n)")
    }
}

func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

func mkdirs(_ path: String) {
    var current = ""
    for component in path.split(separator: "/") {
        current += "/" + component
        _ = mkdir(current, 0o755)
    }
}

func notifySocket(_ path: String) -> Int32 {
    unlink(path)
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        path.utf8CString.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(raw.count))) }
    }
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    return fd
}

func spawn(_ binary: String, _ arguments: [String], environment: [String]) -> pid_t {
    var pid: pid_t = 0
    let argv = ([binary] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    _ = posix_spawn(&pid, binary, &actions, nil, argv, envp)
    posix_spawn_file_actions_destroy(&actions)
    return pid
}

func waitForReady(_ fd: Int32, timeout: Double) -> Bool {
    let deadline = now() + timeout
    var buffer = [UInt8](repeating: 0, count: 4096)
    while now() < deadline {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 100) > 0 else { continue }
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0, String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").contains("READY=1") { return true }
    }
    return false
}

func status(_ pid: pid_t, _ key: String) -> Int {
    guard let file = fopen("/proc/\(pid)/status", "r") else { return -1 }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var size = 0
    while getline(&line, &size, file) > 0 {
        let text = String(cString: line!)
        if text.hasPrefix(key + ":") { return Int(text.dropFirst(key.count + 1).filter(\.isNumber)) ?? -1 }
    }
    return -1
}

/// Voluntary context switches summed over every thread: each is a wakeup after a sleep.
func wakeups(_ pid: pid_t) -> Int {
    guard let directory = opendir("/proc/\(pid)/task") else { return -1 }
    defer { closedir(directory) }
    var total = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let tid = Int32(name) else { continue }
        total += status(pid_t(tid), "voluntary_ctxt_switches")
    }
    return total
}

let arguments = CommandLine.arguments
let binary = arguments.count > 1 ? arguments[1] : "../.build/release/rprocd"
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 20 : 20
guard access(binary, X_OK) == 0 else {
    print("No rprocd at '\(binary)': build it with 'swift build -c release --product rprocd' or pass its path.")
    exit(1)
}
let root = "/tmp/rprocd-bench-\(getpid())"
makeBoard(root, processors: 8)
let root64 = "/tmp/rprocd-bench64-\(getpid())"
makeBoard(root64, processors: 64)
let notifyPath = root + "/notify"
let fd = notifySocket(notifyPath)
let common = ["--root", root, "--socket", root + "/control", "--state-dir", root + "/state", "--config-dir", root + "/etc",
              "--system-bus", "no", "--poll-interval", "1s"]
let environment = ["NOTIFY_SOCKET=\(notifyPath)", "PATH=/usr/bin:/bin"]

var launches: [Double] = []
for _ in 0..<runs {
    let start = now()
    let pid = spawn(binary, common, environment: environment)
    guard waitForReady(fd, timeout: 10) else { print("rprocd did not send READY=1"); exit(1) }
    launches.append((now() - start) * 1000)
    kill(pid, SIGTERM)
    var code: Int32 = 0
    waitpid(pid, &code, 0)
}
launches.sort()
let p50 = launches[min(launches.count - 1, launches.count / 2)]
let p99 = launches[min(launches.count - 1, launches.count * 99 / 100)]
print("launch to READY=1 (8 processors, \(runs) runs): p50 \(oneDecimal(p50)) ms, p99 \(oneDecimal(p99)) ms (target ≤ 100 ms)")

let pid = spawn(binary, common, environment: environment)
guard waitForReady(fd, timeout: 10) else { print("rprocd did not send READY=1"); exit(1) }
sleep(1)
let rss = status(pid, "VmRSS")
let anonymous = status(pid, "RssAnon")
let before = wakeups(pid)
let window: UInt32 = 5
sleep(window)
let after = wakeups(pid)
print("idle RSS: \(rss) KiB (\(oneDecimal(Double(rss) / 1024)) MiB; target ≤ 8 MiB), of which anonymous \(anonymous) KiB (the rest is shared library pages: libswiftCore, FoundationEssentials via swift-argument-parser, libc)")
print("idle wakeups: \(after - before) in \(window) s = \(oneDecimal(Double(after - before) / Double(window)))/s with PollIntervalSec=1s (each poll wakes the loop and the scan thread)")
kill(pid, SIGTERM)
var code: Int32 = 0
waitpid(pid, &code, 0)

// ListProcessors with 64 processors.
let wide = ["--root", root64, "--socket", root64 + "/control", "--state-dir", root64 + "/state", "--config-dir", root64 + "/etc",
            "--system-bus", "no", "--poll-interval", "1s"]
let pid64 = spawn(binary, wide, environment: environment)
guard waitForReady(fd, timeout: 10) else { print("rprocd did not send READY=1"); exit(1) }
func nanoseconds() -> UInt64 { UInt64(now() * 1e9) }
func micro(_ ns: UInt64) -> String { oneDecimal(Double(ns) / 1000) + " µs" }
let client = try BusClient(.socket(root64 + "/control"))
var calls: [UInt64] = []
for index in 0..<2200 {
    let start = nanoseconds()
    let reply = try client.call(path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: "ListProcessors")
    let elapsed = nanoseconds() - start
    if index == 0, reply.first?.elements?.count != 64 { print("ListProcessors returned \(reply)"); exit(1) }
    if index >= 200 { calls.append(elapsed) }  // after warm-up
}
calls.sort()
let stateFile = open(root64 + "/sys/class/remoteproc/remoteproc0/state", O_RDONLY)
var byte = [UInt8](repeating: 0, count: 64)
var reads: [UInt64] = []
for _ in 0..<2000 {
    let start = nanoseconds()
    _ = pread(stateFile, &byte, byte.count, 0)
    reads.append(nanoseconds() - start)
}
close(stateFile)
reads.sort()
let callP50 = calls[calls.count / 2], callP99 = calls[calls.count * 99 / 100]
let readP50 = reads[reads.count / 2]
print("ListProcessors (64 processors), in-process client: p50 \(micro(callP50)), p99 \(micro(callP99)); one pread(2) of 'state': p50 \(micro(readP50)); ratio \(oneDecimal(Double(callP50) / Double(max(readP50, 1))))×")
var whole: [Double] = []
for _ in 0..<20 {
    let start = now()
    let busctl = spawn("/usr/bin/busctl", ["--address=unix:path=\(root64)/control", "call", "org.daybreak.RemoteProc1",
                                           "/org/daybreak/RemoteProc1", "org.daybreak.RemoteProc1.Manager", "ListProcessors"],
                       environment: environment)
    var status: Int32 = 0
    waitpid(busctl, &status, 0)
    whole.append((now() - start) * 1000)
}
whole.sort()
print("ListProcessors (64 processors), whole-process busctl call: p50 \(oneDecimal(whole[whole.count / 2])) ms")
kill(pid64, SIGTERM)
waitpid(pid64, &code, 0)
