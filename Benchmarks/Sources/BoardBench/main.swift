// BoardBench: how fast the virtual board answers through FUSE.
//
//   swift run -c release --package-path Benchmarks BoardBench
//
// Mounts boards in this process (the same FUSE path rproc-sim uses) and measures, with plain
// open/read/write: a `state` read (open+read+close, and pread on a kept fd) against the same read
// of a real sysfs attribute (the peer), the return time of a `state` write with and without a
// configured driver delay, and a 64-processor board mounted and listed.

import Glibc
import KernelSim
import VirtualBoard

func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

func temporaryDirectory(_ label: String) -> String {
    var template = Array("/tmp/\(label).XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

struct Stats {
    var samples: [UInt64]
    func percentile(_ p: Double) -> Double {
        let sorted = samples.sorted()
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
    }
    var line: String {
        "p50 \(format(percentile(0.5))) µs  p99 \(format(percentile(0.99))) µs  max \(format(percentile(1))) µs  (n=\(samples.count))"
    }
}

func format(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return String(scaled)
}

func measure(_ count: Int, _ body: () -> Void) -> Stats {
    for _ in 0..<min(count / 10, 500) { body() }  // warm-up
    var samples: [UInt64] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = now()
        body()
        samples.append(now() - start)
    }
    return Stats(samples: samples)
}

nonisolated(unsafe) var buffer = [UInt8](repeating: 0, count: 4096)

func readOnce(_ path: String) -> Int {
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0, "open \(path): \(errno)")
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
    close(fd)
    return count
}

func writeOnce(_ path: String, _ text: String) -> Int {
    let fd = open(path, O_WRONLY)
    precondition(fd >= 0, "open \(path): \(errno)")
    let bytes = Array(text.utf8)
    let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    return count
}

func mount(_ boardText: String, label: String) -> (Simulator, String) {
    let file = BoardFile.parse(boardText, file: label)
    precondition(file.warnings.isEmpty, "\(file.warnings)")
    let mountPoint = temporaryDirectory("boardbench-mnt")
    let firmware = temporaryDirectory("boardbench-fw")
    let simulator = try! Simulator(board: file.board, firmwareDirectory: firmware, mountPoint: mountPoint)
    simulator.mount.start()
    return (simulator, mountPoint)
}

func unmount(_ simulator: Simulator, _ mountPoint: String) {
    simulator.mount.stop()
    rmdir(mountPoint)
    rmdir(simulator.firmware.root)
}

let iterations = 20_000
let labText = """
    [Processor]
    Name=m4
    Parent=sim-rproc.0
    AutoBoot=no
    [Processor]
    Name=bootcore
    Parent=sim-rproc.1
    State=detached
    AutoBoot=no
    """

print("BoardBench: FUSE virtual board (\(iterations) iterations per read figure)")
let (lab, labMount) = mount(labText, label: "bench.conf")
let state = labMount + "/sys/class/remoteproc/remoteproc0/state"
precondition(readOnce(state) == 8)

let openRead = measure(iterations) { _ = readOnce(state) }
print("state read, open+read+close:     \(openRead.line)")

let kept = open(state, O_RDONLY)
let pread0 = measure(iterations) { _ = buffer.withUnsafeMutableBytes { pread(kept, $0.baseAddress, 4096, 0) } }
close(kept)
print("state read, pread on a kept fd:  \(pread0.line)")

// How much of that is the model itself (same lock, no FUSE).
let modelPath = "sys/devices/platform/sim-rproc.0/remoteproc/remoteproc0/state"
let modelRead = measure(iterations) {
    lab.filesystem.withKernel { kernel in
        let time = lab.filesystem.now
        kernel.advance(to: time)
        _ = kernel.stat(modelPath)
        _ = kernel.readLink("sys/class/remoteproc/remoteproc0")
        _ = kernel.openCheck(modelPath, forWriting: false)
        _ = kernel.read(modelPath, now: time)
    }
}
print("of which the model (advance+stat+readLink+openCheck+read): \(modelRead.line)")

// The peer: the same calls on a real sysfs attribute of this host.
let peer = "/sys/class/net/lo/operstate"
if access(peer, R_OK) == 0 {
    let peerOpen = measure(iterations) { _ = readOnce(peer) }
    let peerFD = open(peer, O_RDONLY)
    let peerPread = measure(iterations) { _ = buffer.withUnsafeMutableBytes { pread(peerFD, $0.baseAddress, 4096, 0) } }
    close(peerFD)
    print("peer \(peer), open+read+close: \(peerOpen.line)")
    print("peer \(peer), pread:           \(peerPread.line)")
    print("ratio board/sysfs p50: open+read+close \(format(openRead.percentile(0.5) / peerOpen.percentile(0.5)))x, "
        + "pread \(format(pread0.percentile(0.5) / peerPread.percentile(0.5)))x")
}

// Write return time: an immediate store, then an attach with the driver's start delay set.
let recovery = labMount + "/sys/class/remoteproc/remoteproc0/recovery"
let immediate = measure(2000) { precondition(writeOnce(recovery, "enabled") == 7) }
print("recovery write (immediate):      \(immediate.line)")
let bootState = labMount + "/sys/class/remoteproc/remoteproc1/state"
let delayKnob = labMount + "/.sim/remoteproc1/start_delay_ms"
for delay in [0, 20] {
    precondition(writeOnce(delayKnob, "\(delay)") > 0)
    var samples: [UInt64] = []
    for _ in 0..<(delay == 0 ? 500 : 50) {
        let start = now()
        let written = writeOnce(bootState, "start")
        precondition(written == 5, "attach failed: \(errno)")
        samples.append(now() - start - UInt64(delay) * 1_000_000)
        precondition(writeOnce(bootState, "detach") == 6)
    }
    print("attach write, start_delay_ms=\(delay), minus the delay: \(Stats(samples: samples).line)")
}
unmount(lab, labMount)

// 64 processors: generate the board, mount it, list it, read every state.
var bigText = "[Board]\nKernel=6.12\n"
for index in 0..<64 { bigText += "[Processor]\nName=core\(index)\nParent=sim-rproc.\(index)\nAutoBoot=no\n" }
let mountStart = now()
let (big, bigMount) = mount(bigText, label: "big.conf")
let classDirectory = bigMount + "/sys/class/remoteproc"
_ = readOnce(classDirectory + "/remoteproc0/name")
let mounted = now() - mountStart
let listing = measure(200) {
    guard let directory = opendir(classDirectory) else { fatalError("opendir") }
    var entries = 0
    while readdir(directory) != nil { entries += 1 }
    closedir(directory)
    precondition(entries == 66)
}
let allStates = measure(200) {
    for index in 0..<64 { precondition(readOnce(classDirectory + "/remoteproc\(index)/state") == 8) }
}
let oneState = measure(iterations) { _ = readOnce(classDirectory + "/remoteproc63/state") }
print("64 processors: mounted and first read in \(format(Double(mounted) / 1000)) µs")
print("64 processors: list sys/class/remoteproc: \(listing.line)")
print("64 processors: read all 64 states:        \(allStates.line)")
print("64 processors: remoteproc63/state read:   \(oneState.line)")
unmount(big, bigMount)
