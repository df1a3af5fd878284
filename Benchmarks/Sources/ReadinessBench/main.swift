// Announcement → start-job completion, through the daemon: the built rprocd on the lab board
// (the built rproc-sim), m4 with `ReadyOn=rpmsg-tty rpmsg-raw`; the remote announces its
// channels `announce_delay_ms` after "now up" (STM32MP257-like). Each run queues `start` with
// EnqueueJob, as rprocctl does, and takes the time from the board logging its last "creating
// channel" record (the board's timestamp, mapped to this process's clock by a probe record
// written to dev/kmsg just before: its timestamp against the write's start and end here) to
// the job's JobRemoved reaching this client. The poll is 30 s, so only events drive it.
// Target: ≤ 5 ms.
// Peer, in the same run: the remote's own announcement delay (the board's timestamps from
// "now up" to the announcement) — what rprocd waits for on top of the kernel.
//
//   swift build -c release --product rprocd --product rproc-sim; swift build --product make-sample-firmware
//   swift run -c release --package-path Benchmarks ReadinessBench [runs] [announce_delay_ms]

import BenchDaemon
import Glibc
import RprocBus
import RprocEventLoop
import RprocSystem

let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100 : 100
let delay = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "100"
let lab = BenchLab(
    processors: ["m4": "[Match]\nName=m4\n[Boot]\nReadyOn=rpmsg-tty rpmsg-raw\nReadyTimeoutSec=10s\n[Recovery]\nStartLimitIntervalSec=0\n"],
    knobs: [".sim/remoteproc0/announce_delay_ms": delay])

/// What the kernel-log reader saw, in the board's timestamps (µs since it was mounted).
struct BoardTimes: Sendable {
    var probes: [Int: UInt64] = [:]
    var up: UInt64 = 0
    var announced: [UInt64] = []
}
let board = Locked(BoardTimes())
let stopReading = Locked(false)
let readerOpen = Locked(false)

let reader = try EventLoop.spawn(name: "kmsg-reader")
let root = lab.mountPoint
reader.post {
    guard let kmsg = try? KmsgReader(kernel: KernelFiles(root: root), start: .afterLastRecord) else { Bench.fail("dev/kmsg") }
    readerOpen.with { $0 = true }
    while !stopReading.with({ $0 }) {
        var descriptor = pollfd(fd: kmsg.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, 100)
        while case .record(let record)? = try? kmsg.next() {
            let at = record.timestampMicroseconds
            if record.text.hasPrefix("bench-probe "), let run = Int(record.text.dropFirst("bench-probe ".count)) {
                board.with { $0.probes[run] = at }
            } else if record.text.contains("remote processor m4 is now up") {
                board.with { $0.up = at }
            } else if record.text.contains("creating channel rpmsg-raw") {
                board.with { $0.announced.append(at) }
            }
        }
    }
}

for _ in 0..<10000 where !readerOpen.with({ $0 }) { usleep(100) }

/// Writes a probe record; returns (this process's clock − the board's) in µs, within half the write's time.
func probe(_ run: Int) -> Int64 {
    let fd = open(root + "/dev/kmsg", O_WRONLY)
    let text = "<6>bench-probe \(run)\n"
    let t0 = Bench.monotonic()
    _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    let t1 = Bench.monotonic()
    close(fd)
    for _ in 0..<10000 where board.with({ $0.probes[run] }) == nil { usleep(100) }
    guard let at = board.with({ $0.probes[run] }) else { Bench.fail("the probe record did not come back") }
    return Int64((t0 + t1) / 2) - Int64(at)
}

let client: BusClient
do { client = try BusClient(.socket(lab.socket)) } catch { Bench.fail("\(error)") }
final class Removed { var at: [UInt32: (time: UInt64, result: String)] = [:] }
let removed = Removed()
let subscription = try client.subscribe(interface: "org.daybreak.RemoteProc1.Manager", member: "JobRemoved") { signal in
    let now = Bench.monotonic()
    if let id = signal.arguments.first?.uint32 { removed.at[id] = (now, signal.arguments[3].string ?? "") }
}

@MainActor func job(_ operation: String) -> (time: UInt64, result: String) {
    do {
        let reply = try client.call(
            path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: "EnqueueJob",
            arguments: [.string("m4"), .string(operation), .string("")])
        guard let id = reply.first?.uint32 else { Bench.fail("EnqueueJob answered \(reply)") }
        guard try client.run(until: { removed.at[id] != nil }, timeoutMicroseconds: 20_000_000) else { Bench.fail("job \(id) did not end") }
        return removed.at[id]!
    } catch {
        Bench.fail("\(operation): \(error)")
    }
}

var latencies: [UInt64] = []
var remoteDelays: [UInt64] = []
var early = 0
for run in 0..<runs {
    let offset = probe(run)
    let before = board.with { $0.announced.count }
    let done = job("start")
    guard done.result == "success" else { Bench.fail("start ended in '\(done.result)'") }
    for _ in 0..<10000 where board.with({ $0.announced.count }) == before { usleep(100) }
    guard let (announced, up) = board.with({ $0.announced.count > before ? ($0.announced.last!, $0.up) : nil }) else {
        Bench.fail("no announcement was logged")
    }
    let announcedHere = Int64(announced) + offset
    if Int64(done.time) < announcedHere { early += 1 } else { latencies.append(UInt64(Int64(done.time) - announcedHere)) }
    remoteDelays.append(announced - up)
    _ = job("stop")
}
// A second peer: one read of every rpmsg channel over the board (what a scan adds for readiness).
_ = job("start")
let kernel = KernelFiles(root: root)
var channelReads: [UInt64] = []
for _ in 0..<runs {
    let t0 = Bench.monotonic()
    _ = try? kernel.rpmsgChannels()
    channelReads.append(Bench.monotonic() - t0)
}
_ = job("stop")
subscription.cancel()
stopReading.with { $0 = true }
reader.exit(0)
reader.join()
lab.stop()

let p50 = Bench.percentile(latencies, 0.5), p99 = Bench.percentile(latencies, 0.99)
let remote = Bench.percentile(remoteDelays, 0.5)
print("ReadinessBench: \(runs) starts of m4 through rprocd (\(lab.rprocd)), channels announced \(delay) ms after now up")
print("  announcement (board clock) → JobRemoved at the client: p50 \(p50) ms, p99 \(p99) ms, max \(Bench.percentile(latencies, 1)) ms "
    + "(target ≤ 5 ms: \(p99 <= 5 ? "met" : "missed"))")
print("  peer, the remote's own delay (now up → announcement, board clock): p50 \(remote) ms; "
    + "rprocd's part / remote's delay: \(Bench.format(remote > 0 ? p50 / remote * 100 : 0))%")
print("  one rpmsgChannels() read of the board alone: p50 \(Bench.percentile(channelReads, 0.5)) ms")
if early > 0 { print("  \(early) job(s) completed before the announcement was read here: readiness was not waited for") }
