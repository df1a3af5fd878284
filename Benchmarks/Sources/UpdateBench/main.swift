// Firmware update against the processor's own boot time, on the virtual board mounted in this
// process (rproc-sim's FUSE path), with rprocd's Manager and ReadinessCoordinator:
// - boot: `start` of the offline m4 until ready (ReadyOn= one channel, announced 0 ms after up);
// - update kept: validate, stage (fsync), stop, switch, start, ready (UpdateProbationSec=0);
// - update rolled back: the new image crashes 20 ms after its start, during a 200 ms probation;
//   rprocd stops it, boots the previous image and reports rolled-back (the probation wait and
//   the crash delay are part of the figure, and named).
//
//   swift run -c release --product make-sample-firmware /tmp/fw.elf   (from the root package)
//   swift run -c release --package-path Benchmarks UpdateBench /tmp/fw.elf [runs]

import Glibc
import KernelSim
import RprocDaemon
import RprocEventLoop
import RprocModel
import RprocSystem
import VirtualBoard

func monotonic() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
}

func temporaryDirectory(_ label: String) -> String {
    var template = Array("/tmp/\(label).XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func readFile(_ path: String) -> [UInt8] {
    (try? SystemFileOperations().readWhole(path, chunkSize: 1 << 16)) ?? []
}

func percentile(_ values: [UInt64], _ p: Double) -> Double {
    let sorted = values.sorted()
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
}

let arguments = CommandLine.arguments
guard arguments.count > 1 else {
    print("usage: UpdateBench FIRMWARE.elf [runs]  (make one with make-sample-firmware)")
    exit(2)
}
let image = readFile(arguments[1])
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 20 : 20

let boardText = """
    [Processor]
    Name=m4
    Parent=sim-rproc.0
    Firmware=m4.elf
    AutoBoot=no
    Memory=0x10000000:1M
    RpmsgChannel=rpmsg-tty@0x400
    AnnounceDelay=0
    """
let file = BoardFile.parse(boardText, file: "update-bench.conf")
let mountPoint = temporaryDirectory("updatebench-mnt")
let firmwareDirectory = temporaryDirectory("updatebench-fw")
writeFile(firmwareDirectory + "/m4.elf", image)
let simulator = try Simulator(board: file.board, firmwareDirectory: firmwareDirectory, mountPoint: mountPoint)
simulator.mount.start()
while access(mountPoint + "/sys/class/remoteproc/remoteproc0/state", F_OK) != 0 { usleep(1000) }

/// Loop-owned objects, reached from posted closures only.
final class Context: @unchecked Sendable {
    var manager: Manager?
    var coordinator: ReadinessCoordinator?
    var onCrash: () -> Void = {}
    var outcomes: [String] = []
    var forwarder: Forwarder?
}

final class Forwarder: ManagerObserver {
    let context: Context
    init(_ context: Context) { self.context = context }
    func processorAdded(_ processor: ManagedProcessor) {}
    func processorRemoved(_ processor: ManagedProcessor) {}
    func processorChanged(_ processor: ManagedProcessor) { context.coordinator?.processorChanged(processor) }
    func stateChanged(_ processor: ManagedProcessor, old: String, new: String, reason: String) {}
    func crashed(_ processor: ManagedProcessor, type: String, count: UInt32) {
        context.onCrash()
        context.coordinator?.crashed(processor, type: type)
    }
    func recovered(_ processor: ManagedProcessor) {}
    func failed(_ processor: ManagedProcessor, reason: String) {}
    func jobNew(id: UInt32, processor: ManagedProcessor, operation: Operation) {}
    func jobRemoved(id: UInt32, processor: ManagedProcessor, operation: Operation, result: ProcessorResult, error: DaemonError?) {}
}

let rproc = """
    [Match]
    Name=m4
    [Boot]
    ReadyOn=rpmsg-tty
    ReadyTimeoutSec=5s
    UpdateProbationSec=%PROBATION%
    [Firmware]
    KeepFirmware=1
    """
@Sendable func configure(_ manager: Manager, probation: String) {
    try! manager.configure(processorFiles: ["m4": rproc.split(separator: "%").enumerated().map { $0.offset == 1 ? probation : String($0.element) }.joined()])
}

let loop = try EventLoop.spawn(name: "update-bench")
let context = Context()
context.forwarder = Forwarder(context)
final class Semaphore: @unchecked Sendable {
    let raw = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    init() { sem_init(raw, 0, 0) }
    func signal() { sem_post(raw) }
    func wait() { sem_wait(raw) }
}
let discovered = Semaphore()
let root = mountPoint
let stateDirectory = temporaryDirectory("updatebench-state")
loop.post {
    let manager = try! Manager(loop: loop, root: root, stateDirectory: stateDirectory, pollIntervalMicroseconds: 20_000)
    manager.observer = context.forwarder
    context.manager = manager
    context.coordinator = try! ReadinessCoordinator(manager: manager)
    manager.start { discovered.signal() }
}
discovered.wait()

/// Runs `body` on the loop and waits for the completion it is given.
func timed(_ body: @escaping @Sendable (Manager, ReadinessCoordinator, @escaping () -> Void) -> Void) -> UInt64 {
    let done = Semaphore()
    let t0 = monotonic()
    loop.post { body(context.manager!, context.coordinator!) { done.signal() } }
    done.wait()
    return monotonic() - t0
}

func stop() {
    _ = timed { manager, _, done in _ = manager.enqueue(.stop, on: "remoteproc0", argument: "") { _ in done() } }
}

var boots: [UInt64] = []
var kept: [UInt64] = []
var rolledBack: [UInt64] = []
let updatePath = temporaryDirectory("updatebench-new") + "/new.elf"
let knob = mountPoint + "/.sim/remoteproc0/crash_after_ms"
writeFile(mountPoint + "/sys/class/remoteproc/remoteproc0/recovery", Array("disabled".utf8))
for run in 0..<runs {
    loop.post { configure(context.manager!, probation: "0") }
    boots.append(timed { manager, coordinator, done in
        coordinator.start(manager.processors["remoteproc0"]!, firmware: "m4.elf") { _ in done() }
    })
    // Each run stages a different image (padding after the ELF changes its digest).
    writeFile(updatePath, image + [UInt8](repeating: UInt8(run), count: 16 + run))
    kept.append(timed { manager, coordinator, done in
        coordinator.update(manager.processors["remoteproc0"]!, path: updatePath) { outcome in
            if case .success(.kept) = outcome {} else { context.outcomes.append("kept run: \(outcome)") }
            done()
        }
    })
    loop.post {
        configure(context.manager!, probation: "200ms")
        context.onCrash = { writeFile(knob, Array("0".utf8)) }
    }
    writeFile(knob, Array("20".utf8))
    writeFile(updatePath, image + [UInt8](repeating: UInt8(run), count: 1000 + run))
    rolledBack.append(timed { manager, coordinator, done in
        coordinator.update(manager.processors["remoteproc0"]!, path: updatePath) { outcome in
            if case .success(.rolledBack) = outcome {} else { context.outcomes.append("rollback run: \(outcome)") }
            done()
        }
    })
    loop.post { context.onCrash = {} }
    stop()
}

print("UpdateBench: \(runs) runs on the virtual board (in-process FUSE), m4 with ReadyOn=rpmsg-tty announced at once")
print("  boot (start → ready):                    p50 \(percentile(boots, 0.5)) ms, p99 \(percentile(boots, 0.99)) ms")
print("  update kept (validate…ready):            p50 \(percentile(kept, 0.5)) ms, p99 \(percentile(kept, 0.99)) ms; \(String(format2(percentile(kept, 0.5) / percentile(boots, 0.5))))x boot")
print("  update rolled back (20 ms crash, 200 ms probation window): p50 \(percentile(rolledBack, 0.5)) ms, p99 \(percentile(rolledBack, 0.99)) ms; \(String(format2(percentile(rolledBack, 0.5) / percentile(boots, 0.5))))x boot")
if !context.outcomes.isEmpty { print("  unexpected outcomes: \(context.outcomes)") }

func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}

let shutdown = Semaphore()
loop.post {
    context.coordinator?.shutdown()
    context.manager?.shutdown()
    context.coordinator = nil
    context.manager = nil
    shutdown.signal()
}
shutdown.wait()
loop.exit(0)
loop.join()
simulator.mount.stop()
