// ListVsBusctl: whole-process `rprocctl list` against
// `busctl --address=unix:path=… call … ListProcessors` on the same rprocd, in the same run,
// alternating one run of each so that changes in machine load hit both alike. Prints the median
// and p99 wall time of each and the ratio rprocctl / busctl (target ≤ 1.5).
//
//     swift run -c release --package-path Benchmarks ListVsBusctl [RUNS]
//
// It builds the root package's release rprocctl and rprocd, lays out a kernel tree of plain files
// with two processors in a temporary directory, and runs rprocd on it with `--root`.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

let root: String = {
    // …/Benchmarks/Sources/ListVsBusctl/main.swift → the root package.
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)
    return parts.joined(separator: "/")
}()
let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 300 : 300

/// Spawns `argv` with every standard stream on /dev/null; returns the pid.
func spawn(_ argv: [String]) -> pid_t {
    var files = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&files)
    defer { posix_spawn_file_actions_destroy(&files) }
    for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&files, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var pid: pid_t = 0
    let error = posix_spawnp(&pid, argv[0], &files, nil, cArguments, environ)
    precondition(error == 0, "cannot run '\(argv[0])': \(String(cString: strerror(error)))")
    return pid
}

/// Runs `argv` to the end; returns its exit status and wall time in µs.
func timed(_ argv: [String]) -> (status: Int32, micros: Double) {
    var before = timespec(), after = timespec()
    clock_gettime(CLOCK_MONOTONIC, &before)
    let pid = spawn(argv)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    clock_gettime(CLOCK_MONOTONIC, &after)
    let micros = Double(after.tv_sec - before.tv_sec) * 1e6 + Double(after.tv_nsec - before.tv_nsec) / 1e3
    return ((status >> 8) & 0xff, micros)
}

func mustSucceed(_ argv: [String]) {
    let run = timed(argv)
    precondition(run.status == 0, "'\(argv.joined(separator: " "))' exited \(run.status)")
}

func writeFile(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create '\(path)'")
    _ = text.withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

print("Building release rprocctl and rprocd…")
for product in ["rprocctl", "rprocd"] { mustSucceed(["swift", "build", "-c", "release", "--product", product, "--package-path", root]) }

// A kernel tree of plain files: sys/class/remoteproc/remoteprocN → the platform device's directory.
let scratch = "/tmp/list-vs-busctl-\(getpid())"
for (index, (name, state)) in [("m4", "running"), ("dsp", "offline")].enumerated() {
    let device = "\(scratch)/sys/devices/platform/\(name)/remoteproc/remoteproc\(index)"
    mustSucceed(["mkdir", "-p", device, "\(scratch)/sys/class/remoteproc", "\(scratch)/etc", "\(scratch)/state"])
    symlink("../../devices/platform/\(name)/remoteproc/remoteproc\(index)", "\(scratch)/sys/class/remoteproc/remoteproc\(index)")
    for (attribute, value) in [("name", name), ("state", state), ("firmware", "\(name).elf"), ("recovery", "enabled"),
                               ("coredump", "disabled")] {
        writeFile("\(device)/\(attribute)", value + "\n")
    }
}
let socket = scratch + "/control"
let daemon = spawn([
    root + "/.build/release/rprocd", "--root", scratch, "--socket", socket, "--state-dir", scratch + "/state",
    "--config-dir", scratch + "/etc", "--system-bus", "no",
])
defer {
    kill(daemon, SIGTERM)
    var status: Int32 = 0
    waitpid(daemon, &status, 0)
    mustSucceed(["rm", "-rf", scratch])
}

let rprocctl = [root + "/.build/release/rprocctl", "--socket", socket, "list"]
let busctl = ["busctl", "--address=unix:path=" + socket, "call", "org.daybreak.RemoteProc1", "/org/daybreak/RemoteProc1",
              "org.daybreak.RemoteProc1.Manager", "ListProcessors"]
var ready = false
for _ in 0..<200 where !ready {
    ready = timed(rprocctl).status == 0
    if !ready { usleep(25_000) }
}
precondition(ready, "rprocd did not answer on '\(socket)'")
mustSucceed(busctl)

for _ in 0..<20 {
    _ = timed(rprocctl)
    _ = timed(busctl)
}
var samples: [[Double]] = [[], []]
for _ in 0..<runs {
    for (index, argv) in [rprocctl, busctl].enumerated() {
        let run = timed(argv)
        precondition(run.status == 0, "'\(argv[0])' failed during the run")
        samples[index].append(run.micros)
    }
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((fraction * Double(sorted.count)).rounded(.up)) - 1)]
}
func format(_ micros: Double) -> String { String(Int(micros.rounded())) + " µs" }

print("\(runs) runs each, alternating, on rprocd with 2 processors:")
for (label, values) in zip(["rprocctl list", "busctl call ListProcessors"], samples) {
    print("  \(label): median \(format(percentile(values, 0.5))), p99 \(format(percentile(values, 0.99)))")
}
let ratio = percentile(samples[0], 0.5) / percentile(samples[1], 0.5)
print("  ratio rprocctl / busctl (medians): \((ratio * 100).rounded() / 100) (target ≤ 1.5)")
