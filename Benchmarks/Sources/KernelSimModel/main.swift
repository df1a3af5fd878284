// Cost of the kernel model behind the virtual board, per call the FUSE adapter makes:
// a `state` write start+stop cycle (boot of a real vendor image, resource handling, virtio/rpmsg
// devices, stop, cleanup), a `stat` right after a change (the file tree is rebuilt) and a `stat`
// of an unchanged tree (cached), a `state` read, a crash + recovery.
// Target: a start/stop cycle well under the 10-16 ms the real kernel takes (real-kernel-testing.md);
// a stat far under a FUSE round trip (~10 µs).
// Run: swift run -c release --package-path Benchmarks KernelSimModel

import Glibc
import KernelSim
import RprocFirmware

let fixture: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(4)
    parts.append(contentsOf: ["Tests", "RprocFirmwareTests", "Fixtures", "result_am335x-pru0-fw"])
    return parts.joined(separator: "/")
}()

/// The whole file, in one read of its `st_size` bytes.
func readFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    var info = stat()
    guard fd >= 0, fstat(fd, &info) == 0 else { fatalError("cannot open \(path)") }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n == bytes.count else { fatalError("short read of \(path)") }
    return bytes
}

final class OneFile: FirmwareSource {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func readFirmware(at path: String) -> Result<[UInt8], KernelErrno> {
        path == "/lib/firmware/fw.elf" ? .success(bytes) : .failure(.ENOENT)
    }
}

func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs `body` `n` times and prints the mean per call.
@MainActor func measure(_ label: String, _ n: Int, _ body: () -> Void) {
    for _ in 0 ..< max(1, n / 10) { body() }
    let t0 = nowNs()
    for _ in 0 ..< n { body() }
    let per = Double(nowNs() - t0) / Double(n)
    let text = per >= 1000 ? "\((per / 100).rounded() / 10) µs" : "\(Int(per)) ns"
    print("\(label.padding(50)) \(text) per call (\(n) calls)")
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}

let image = readFile(fixture)
let parsed = try FirmwareImage(parsing: image)
// The driver's memory windows: one per loaded segment (the PRU's instruction and data RAMs).
var processor = ProcessorDescription(name: "pru0", parent: "4a334000.pru")
processor.firmware = "fw.elf"
processor.autoBoot = false
processor.memory = parsed.loadedSegments.map {
    MemoryWindow(deviceAddress: $0.physicalAddress, length: Int(($0.memorySize + 4095) / 4096 * 4096))
}
processor.dumpLoadedSegments = true
processor.coredumpElf = CoredumpElfInfo(elfClass: 1, machine: 144)
let board = BoardDescription(kernelLine: .v6_1, flavour: .new, osrelease: "6.1.0-bench", processors: [processor])
let kernel = Kernel(board: board, firmware: OneFile(image))
let state = "sys/devices/platform/4a334000.pru/remoteproc/remoteproc0/state"
/// The simulated clock: one millisecond per step.
final class Clock {
    var t = SimTime.zero
    func tick() -> SimTime {
        t = t + 1
        return t
    }
}
let clock = Clock()
@MainActor func tick() -> SimTime { clock.tick() }

guard case .completed(.success) = kernel.write(state, bytes: Array("start".utf8), now: tick()) else {
    fatalError("the fixture does not boot on the benchmark board: \(kernel.kernelLogTexts.suffix(3))")
}
_ = kernel.write(state, bytes: Array("stop".utf8), now: tick())

print("KernelSimModel: \(image.count)-byte firmware \(fixture.split(separator: "/").last!)")
measure("state write start + stop (boot and shutdown)", 2000) {
    _ = kernel.write(state, bytes: Array("start".utf8), now: tick())
    _ = kernel.write(state, bytes: Array("stop".utf8), now: tick())
}
_ = kernel.write(state, bytes: Array("start".utf8), now: tick())
measure("refused state write + stat (tree kept)", 20_000) {
    _ = kernel.write(state, bytes: Array("bogus".utf8), now: clock.t)
    _ = kernel.stat(state)
}
measure("start + stop + stat after each (tree rebuilt)", 2000) {
    _ = kernel.write(state, bytes: Array("stop".utf8), now: tick())
    _ = kernel.stat(state)
    _ = kernel.write(state, bytes: Array("start".utf8), now: tick())
    _ = kernel.stat(state)
}
measure("stat of an unchanged tree", 200_000) { _ = kernel.stat(state) }
measure("state read", 200_000) { _ = kernel.read(state, now: clock.t) }
let crash = "sys/kernel/debug/remoteproc/remoteproc0/crash"
measure("crash + recovery (advance)", 2000) {
    _ = kernel.write(crash, bytes: Array("1".utf8), now: tick())
    kernel.advance(to: tick())
}
print("kernel log: \(kernel.kmsgNextSequence) records written")
