// The built rprocd, spawned on directories laid out like /sys/class/remoteproc (plain files: the
// daemon only adopts and serves them).
//
//   swift build -c release --product rprocd
//   swift run -c release --package-path Benchmarks DaemonBench [path/to/rprocd ...] [runs]
//
// Several binaries (variants of one build) are measured in the same run, their launches interleaved,
// and compared in a closing table.
// - Binary size (flash).
// - Launch to READY=1 (8 processors): posix_spawn until READY=1 arrives on NOTIFY_SOCKET (p50, p99).
// - Idle RSS after 1 s (admin group present in /etc/group, as installed), from /proc/PID/smaps_rollup:
//   total, anonymous and file-backed, and the
//   resident size of each mapped file (/proc/PID/smaps).
// - Idle wakeups: voluntary context switches of each thread over 10 s with PollIntervalSec=1s
//   (target: the poll and the watchdog, nothing more).
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
    // As installed, the admin group is in /etc/group (rprocd.sysusers), where NSS's `files` answers. A group
    // found nowhere makes glibc go on to libnss_systemd, which maps ~0.5 MiB more (it and its libraries);
    // `root` stands for the installed group.
    write("[Daemon]\nAdminGroup=root\n", to: root + "/etc/rprocd.conf")
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

/// `Key:   value kB` lines of a /proc file, in KiB.
func kilobytes(_ path: String) -> [String: Int] {
    guard let file = fopen(path, "r") else { return [:] }
    defer { fclose(file) }
    var result: [String: Int] = [:]
    var line: UnsafeMutablePointer<CChar>?
    var size = 0
    while getline(&line, &size, file) > 0 {
        let text = String(cString: line!)
        guard let colon = text.firstIndex(of: ":"), text.hasSuffix(" kB\n") else { continue }
        result[String(text[..<colon])] = Int(text[text.index(after: colon)...].filter(\.isNumber))
    }
    return result
}

/// Resident KiB of each mapped file (anonymous mappings as "[anon]"), from /proc/PID/smaps.
func residentMappings(_ pid: pid_t) -> [(String, Int)] {
    guard let file = fopen("/proc/\(pid)/smaps", "r") else { return [] }
    defer { fclose(file) }
    var totals: [String: Int] = [:]
    var current = "[anon]"
    var line: UnsafeMutablePointer<CChar>?
    var size = 0
    while getline(&line, &size, file) > 0 {
        let text = String(cString: line!).dropLast()
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        if let first = fields.first, first.contains("-"), first.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
            current = fields.count >= 6 ? String(fields[5...].joined(separator: " ")) : "[anon]"
            if let slash = current.lastIndex(of: "/") { current = String(current[current.index(after: slash)...]) }
        } else if fields.first == "Rss:", fields.count >= 2, let value = Int(fields[1]) {
            totals[current, default: 0] += value
        }
    }
    return totals.filter { $0.value > 0 }.sorted { $0.value > $1.value }
}

func threadName(_ pid: pid_t, _ tid: Int32) -> String {
    guard let file = fopen("/proc/\(pid)/task/\(tid)/comm", "r") else { return "?" }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 64)
    guard fgets(&buffer, 64, file) != nil else { return "?" }
    return String(cString: buffer).filter { $0 != "\n" }
}

/// Voluntary context switches of each thread (name, count): each is a wakeup after a sleep.
func wakeupsByThread(_ pid: pid_t) -> [Int32: (String, Int)] {
    guard let directory = opendir("/proc/\(pid)/task") else { return [:] }
    defer { closedir(directory) }
    var result: [Int32: (String, Int)] = [:]
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let tid = Int32(name) else { continue }
        result[tid] = (threadName(pid, tid), status(pid_t(tid), "voluntary_ctxt_switches"))
    }
    return result
}

var runs = 20
var binaries: [String] = []
for argument in CommandLine.arguments.dropFirst() {
    if let number = Int(argument) { runs = number } else { binaries.append(argument) }
}
if binaries.isEmpty { binaries = ["../.build/release/rprocd"] }
for binary in binaries where access(binary, X_OK) != 0 {
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

let rssLaunches = 5

struct Figures {
    var size = 0, p50 = 0.0, p99 = 0.0, rss = 0, anonymous = 0, file = 0, wakeupsPerSecond = 0.0
}
var figures = [Figures](repeating: Figures(), count: binaries.count)

var launches = [[Double]](repeating: [], count: binaries.count)
for _ in 0..<runs {
    for (index, binary) in binaries.enumerated() {
        let start = now()
        let pid = spawn(binary, common, environment: environment)
        guard waitForReady(fd, timeout: 10) else { print("\(binary) did not send READY=1"); exit(1) }
        launches[index].append((now() - start) * 1000)
        kill(pid, SIGTERM)
        var code: Int32 = 0
        waitpid(pid, &code, 0)
    }
}

for (index, binary) in binaries.enumerated() {
    print("== \(binary)")
    var info = stat()
    stat(binary, &info)
    figures[index].size = Int(info.st_size)
    print("binary size: \(info.st_size / 1024) KiB")
    let sorted = launches[index].sorted()
    figures[index].p50 = sorted[min(sorted.count - 1, sorted.count / 2)]
    figures[index].p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
    print("launch to READY=1 (8 processors, \(runs) runs): p50 \(oneDecimal(figures[index].p50)) ms, p99 \(oneDecimal(figures[index].p99)) ms (target ≤ 100 ms)")

    // The file-backed part moves by a few hundred KiB from launch to launch (how much of each page-cache
    // folio a fault maps), so RSS is the median of several launches; the last one stays for the wakeups.
    var samples: [(rss: Int, anonymous: Int, pss: Int, private: Int)] = []
    var pid: pid_t = 0
    for launch in 0..<rssLaunches {
        pid = spawn(binary, common, environment: environment)
        guard waitForReady(fd, timeout: 10) else { print("rprocd did not send READY=1"); exit(1) }
        sleep(1)
        let rollup = kilobytes("/proc/\(pid)/smaps_rollup")
        samples.append((
            rollup["Rss"] ?? -1, rollup["Anonymous"] ?? -1, rollup["Pss"] ?? -1,
            (rollup["Private_Clean"] ?? 0) + (rollup["Private_Dirty"] ?? 0)))
        guard launch < rssLaunches - 1 else { break }
        kill(pid, SIGTERM)
        var code: Int32 = 0
        waitpid(pid, &code, 0)
    }
    let median = samples.sorted { $0.rss < $1.rss }[samples.count / 2]
    let rss = median.rss, anonymous = median.anonymous
    figures[index].rss = rss
    figures[index].anonymous = anonymous
    figures[index].file = rss - anonymous
    let range = "\(samples.map(\.rss).min()!)–\(samples.map(\.rss).max()!) KiB"
    print("idle RSS, median of \(rssLaunches) launches (\(range)): \(rss) KiB (\(oneDecimal(Double(rss) / 1024)) MiB; target ≤ 8 MiB): anonymous \(anonymous) KiB, file-backed \(rss - anonymous) KiB; PSS \(median.pss) KiB, private \(median.private) KiB")
    print("  resident by mapping (last launch): " + residentMappings(pid).prefix(12).map { "\($0.0) \($0.1)" }.joined(separator: ", ") + " (KiB)")
    let before = wakeupsByThread(pid)
    let window: UInt32 = 10
    sleep(window)
    let after = wakeupsByThread(pid)
    let total = after.values.reduce(0) { $0 + $1.1 } - before.values.reduce(0) { $0 + $1.1 }
    figures[index].wakeupsPerSecond = Double(total) / Double(window)
    let threads = after.sorted { $0.key < $1.key }.map { tid, value in "\(value.0)[\(tid)] \(value.1 - (before[tid]?.1 ?? 0))" }
    print("idle wakeups: \(total) in \(window) s = \(oneDecimal(figures[index].wakeupsPerSecond))/s with PollIntervalSec=1s; by thread: \(threads.joined(separator: ", "))")
    kill(pid, SIGTERM)
    var code: Int32 = 0
    waitpid(pid, &code, 0)
}

// ListProcessors with 64 processors (the first binary).
let binary = binaries[0]
var code: Int32 = 0
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

if binaries.count > 1 {
    print("\nsame run, \(runs) launches each, interleaved:")
    print("binary | size KiB | launch p50 / p99 ms | idle RSS KiB (anon + file) | wakeups/s")
    for (index, binary) in binaries.enumerated() {
        let f = figures[index]
        print("\(binary) | \(f.size / 1024) | \(oneDecimal(f.p50)) / \(oneDecimal(f.p99)) | \(f.rss) (\(f.anonymous) + \(f.file)) | \(oneDecimal(f.wakeupsPerSecond))")
    }
}
