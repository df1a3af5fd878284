// rprocd from launch to READY=1, its idle RSS and its idle wakeups, measured on a directory laid
// out like /sys/class/remoteproc with 8 processors (plain files: the daemon only adopts them).
//
//   swift build -c release --product rprocd
//   swift run -c release --package-path Benchmarks DaemonStartup [path/to/rprocd] [runs]
//
// Launch to READY=1: posix_spawn until the READY=1 datagram arrives on NOTIFY_SOCKET (p50, p99 of
// `runs`). RSS: VmRSS after 1 s idle. Wakeups: voluntary context switches of all threads over 5 s
// idle with PollIntervalSec=1s (target: the poll, nothing more).

import Glibc

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
    _ = withUnsafeMutableBytes(of: &address.sun_path) { raw in
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
let before = wakeups(pid)
let window: UInt32 = 5
sleep(window)
let after = wakeups(pid)
print("idle RSS: \(rss) KiB (\(oneDecimal(Double(rss) / 1024)) MiB; target ≤ 8 MiB)")
print("idle wakeups: \(after - before) in \(window) s = \(oneDecimal(Double(after - before) / Double(window)))/s with PollIntervalSec=1s (each poll wakes the loop and the scan thread)")
kill(pid, SIGTERM)
var code: Int32 = 0
waitpid(pid, &code, 0)
