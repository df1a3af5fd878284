// InspectVsReadelf: whole-process `rprocctl inspect --json FILE` against `readelf -h -l -S FILE`,
// on the same files, in the same run, interleaved run by run so that drift in machine load hits
// both alike. Prints median and p99 wall time per file and the ratio rprocctl / readelf.
//
//     swift run -c release --package-path Benchmarks InspectVsReadelf [RUNS]
//
// It builds the root package's release `rprocctl` and `make-sample-firmware` first, and makes a
// 64 MiB image with the latter. To see where the time goes, set RPROCCTL_VARIANTS to a list of
// `label=path` rprocctl builds (`dyn=/tmp/a:static=/tmp/b`); each is then timed on the sample
// image next to `/bin/true` (the cost of spawning any process) and readelf.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

let packageRoot: String = {
    // …/Benchmarks/Sources/InspectVsReadelf/main.swift → the root package.
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)
    return parts.joined(separator: "/")
}()

let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 300 : 300
let warmup = 20

guard let swift = findExecutable(["/opt/swift/usr/bin/swift", "/usr/bin/swift", "/usr/local/bin/swift"]) else {
    fatalError("swift not found")
}
guard let readelf = findExecutable(["/usr/bin/readelf", "/usr/local/bin/readelf"]) else {
    fatalError("readelf not found (apt-get install binutils)")
}
print("Building release rprocctl and make-sample-firmware…")
runChecked(swift, ["build", "-c", "release", "--product", "rprocctl", "--package-path", packageRoot])
runChecked(swift, ["build", "-c", "release", "--product", "make-sample-firmware", "--package-path", packageRoot])
let rprocctl = packageRoot + "/.build/release/rprocctl"

// The images: the vendor fixtures, the sample firmware, and the sample grown to 64 MiB.
var files: [(name: String, path: String)] = []
let fixtures = packageRoot + "/Tests/RprocFirmwareTests/Fixtures"
if let directory = opendir(fixtures) {
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if name.hasPrefix(".") || name.hasSuffix(".md") || name.hasSuffix(".json") { continue }
        files.append((name, fixtures + "/" + name))
    }
    closedir(directory)
}
files.sort { $0.name < $1.name }
let scratch = "/tmp/rprocctl-bench-\(getpid())"
mkdir(scratch, 0o755)
let sample = scratch + "/sample.elf", large = scratch + "/sample-64MiB.elf"
let maker = packageRoot + "/.build/release/make-sample-firmware"
runChecked(maker, [sample])
runChecked(maker, ["--size", "64M", large])
files.append(("sample (make-sample-firmware)", sample))
files.append(("sample grown to 64 MiB", large))
defer {
    unlink(sample)
    unlink(large)
    rmdir(scratch)
}

/// Times `commands` round-robin, rotating who goes first, after a warm-up; per command, the
/// summary of wall times and the median CPU time.
func measure(_ commands: [SpawnedCommand]) -> [(wall: Summary, cpu: Summary)] {
    for _ in 0..<warmup { for command in commands { _ = command.timedRun() } }
    var wall = [[UInt64]](repeating: [], count: commands.count)
    var cpu = wall
    for round in 0..<runs {
        for step in 0..<commands.count {
            let index = (round + step) % commands.count
            let run = commands[index].timedRun()
            wall[index].append(run.nanoseconds)
            cpu[index].append(run.cpuNanoseconds)
        }
    }
    return zip(wall, cpu).map { (Summary($0), Summary($1)) }
}

func size(_ path: String) -> String {
    var status = stat()
    stat(path, &status)
    let size = Int(status.st_size)
    return size >= 1 << 20 ? "\(size >> 20) MiB" : "\(size >> 10) KiB"
}

func microseconds(_ nanoseconds: Double) -> String { "\(Int((nanoseconds / 1000).rounded())) µs" }

func ratio(_ a: Double, _ b: Double) -> String {
    let value = (a / b * 100).rounded() / 100
    return "\(value)×"
}

func pad(_ text: String, _ width: Int, right: Bool = true) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

print("\(runs) runs per command per file after \(warmup) warm-up runs, interleaved; wall time of posix_spawn to waitpid,")
print("and the median CPU time (user + system) of the process.")
print(
    pad("FILE", 32, right: false) + pad("SIZE", 8) + pad("RPROCCTL MED", 13) + pad("P99", 9) + pad("READELF MED", 12)
        + pad("P99", 9) + pad("RATIO", 7) + pad("P99 RATIO", 10) + pad("CPU RATIO", 10))
var worst = 0.0
for file in files {
    let results = measure([
        SpawnedCommand(label: "rprocctl", executable: rprocctl, arguments: ["inspect", "--json", file.path]),
        SpawnedCommand(label: "readelf", executable: readelf, arguments: ["-h", "-l", "-S", file.path]),
    ])
    let (ours, theirs) = (results[0].wall, results[1].wall)
    let cpuRatio = ratio(results[0].cpu.median, results[1].cpu.median)
    worst = max(worst, ours.median / theirs.median)
    print(
        pad(String(file.name.prefix(31)), 32, right: false) + pad(size(file.path), 8) + pad(microseconds(ours.median), 13)
            + pad(microseconds(ours.p99), 9) + pad(microseconds(theirs.median), 12) + pad(microseconds(theirs.p99), 9)
            + pad(ratio(ours.median, theirs.median), 7) + pad(ratio(ours.p99, theirs.p99), 10) + pad(cpuRatio, 10))
}
print("Target: median ratio ≤ 1.5×. Worst median ratio: \(ratio(worst, 1)).")

// Where the time goes: variants of the binary on the sample image.
if let spec = getenv("RPROCCTL_VARIANTS").map({ String(cString: $0) }), !spec.isEmpty {
    var commands = [
        SpawnedCommand(label: "/bin/true (spawn floor)", executable: "/bin/true", arguments: []),
        SpawnedCommand(label: "readelf -h -l -S", executable: readelf, arguments: ["-h", "-l", "-S", sample]),
    ]
    for item in spec.split(separator: ":") {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { fatalError("RPROCCTL_VARIANTS item '\(item)' is not label=path") }
        let arguments = parts[0].hasSuffix("!") ? [] : ["inspect", "--json", sample]
        commands.append(SpawnedCommand(label: parts[0], executable: parts[1], arguments: arguments))
    }
    print("\nVariants on the sample image (a label ending in '!' runs the binary without arguments):")
    print(
        pad("COMMAND", 40, right: false) + pad("MEDIAN", 10) + pad("P99", 10) + pad("VS READELF", 12) + pad("CPU MED", 10)
            + pad("VS READELF", 12))
    let results = measure(commands)
    for (command, result) in zip(commands, results) {
        print(
            pad(command.label, 40, right: false) + pad(microseconds(result.wall.median), 10) + pad(microseconds(result.wall.p99), 10)
                + pad(ratio(result.wall.median, results[1].wall.median), 12) + pad(microseconds(result.cpu.median), 10)
                + pad(ratio(result.cpu.median, results[1].cpu.median), 12))
    }
}
