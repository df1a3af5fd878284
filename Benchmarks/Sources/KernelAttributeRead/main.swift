// What one kernel attribute read costs through RprocSystem, against the plain syscalls in the same run,
// and how fast kernel log records are parsed and classified.
//
//   swift run -c release --package-path Benchmarks KernelAttributeRead [sysfs-file]
//
// The default file is a real sysfs attribute present on every Linux machine (a board's
// `sys/class/remoteproc/remoteproc0/state` reads the same way: kernfs, show function at offset 0).

import Glibc
import RprocSystem

let path = CommandLine.arguments.dropFirst().first ?? "/sys/devices/system/cpu/online"
let iterations = 200_000
let clock = ContinuousClock()

func nanosecondsPerOperation(_ count: Int, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<1000 { try body() }  // warm up
    let start = clock.now
    for _ in 0..<count { try body() }
    let elapsed = clock.now - start
    let (seconds, attoseconds) = elapsed.components
    return (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(count)
}

var sink = 0
let kernel = KernelFiles(root: "/")
let fresh = try nanosecondsPerOperation(iterations) { sink &+= try kernel.readText(path).utf8.count }
let kept = try KeptFile(path)
let keptRead = try nanosecondsPerOperation(iterations) { sink &+= try kept.readText().utf8.count }
var buffer = [UInt8](repeating: 0, count: 4096)
let raw = nanosecondsPerOperation(iterations) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    sink &+= buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    close(fd)
}
let rawKept = open(path, O_RDONLY | O_CLOEXEC)
let rawPread = nanosecondsPerOperation(iterations) {
    sink &+= buffer.withUnsafeMutableBytes { pread(rawKept, $0.baseAddress, $0.count, 0) }
}

let record = Array(
    "6,339,5140900,-;remoteproc remoteproc0: crash detected in imx-rproc: type watchdog\n SUBSYSTEM=remoteproc\n DEVICE=+remoteproc:remoteproc0\n"
        .utf8)
let parse = try nanosecondsPerOperation(iterations) { sink &+= Int(try KmsgRecord(parsing: record).sequence) }
let parsed = try KmsgRecord(parsing: record)
let classify = nanosecondsPerOperation(iterations) { sink &+= RemoteprocLogLine(parsed)?.device.count ?? 0 }

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return digits == 0 ? String(Int(rounded)) : String(rounded)
}

print("KernelAttributeRead: \(iterations) iterations each, file '\(path)'")
print("fresh read (open, pread at 0, close), KernelFiles.readText: \(fixed(fresh, 0)) ns; "
    + "plain open/pread/close: \(fixed(raw, 0)) ns; ratio \(fixed(fresh / raw, 2))")
print("kept fd (pread at 0), KeptFile.readText: \(fixed(keptRead, 0)) ns; plain pread: \(fixed(rawPread, 0)) ns; "
    + "ratio \(fixed(keptRead / rawPread, 2))")
print("kmsg record parse: \(fixed(parse, 0)) ns; remoteproc line classification: \(fixed(classify, 0)) ns")
if sink == 42 { print("") }  // keep the results alive
