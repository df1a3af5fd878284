// Firmware updates against the processor's own boot time, through the daemon: the built rprocd
// on the lab board (the built rproc-sim), called over its socket as `rprocctl update` does.
// - boot: EnqueueJob `start` of the offline processor until its JobRemoved (ReadyOn= one
//   channel, announced at once);
// - update kept (m4, UpdateProbationSec=0): `Update(path)` until its reply: validate, stage
//   (fsync, rename), stop, switch, start, ready;
// - update rolled back (r5f, UpdateProbationSec=200ms): the new image crashes as soon as a
//   thread here sees it running (debugfs `crash`, polled every 0.5 ms on the board's sysfs);
//   `Update` replies RolledBack once the previous image is up again. The probation is not
//   waited out (the crash ends it).
//
//   swift build -c release --product rprocd --product rproc-sim; swift build --product make-sample-firmware
//   swift run -c release --package-path Benchmarks UpdateBench [runs]

import BenchDaemon
import Glibc
import RprocBus
import RprocEventLoop

let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20 : 20
func rproc(_ name: String, channel: String, probation: String) -> String {
    """
    [Match]
    Name=\(name)
    [Boot]
    ReadyOn=\(channel)
    ReadyTimeoutSec=5s
    UpdateProbationSec=\(probation)
    [Firmware]
    KeepFirmware=1
    [Recovery]
    Owner=rprocd
    Restart=no
    StartLimitIntervalSec=0

    """
}
let lab = BenchLab(processors: [
    "m4": rproc("m4", channel: "rpmsg-tty", probation: "0"), "r5f": rproc("r5f", channel: "rpmsg-raw", probation: "200ms"),
], knobs: [".sim/remoteproc0/announce_delay_ms": "0"])
let image = Bench.readFile(lab.firmwareDirectory + "/m4.elf")
let sysfs = lab.mountPoint + "/sys/class/remoteproc/remoteproc1/"
let crashFile = lab.mountPoint + "/sys/kernel/debug/remoteproc/remoteproc1/crash"

/// Crashes r5f's new image once it runs, on a thread of its own (the main thread is blocked in
/// the Update call meanwhile).
let armed = Locked(false)
let stopWatching = Locked(false)
let watcher = try EventLoop.spawn(name: "crasher")
watcher.post {
    func read(_ attribute: String) -> String {
        String(decoding: Bench.readFile(sysfs + attribute), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }
    while !stopWatching.with({ $0 }) {
        if armed.with({ $0 }), read("firmware") != "r5f.elf", read("state") == "running" {
            Bench.writeFile(crashFile, Array("1".utf8))
            armed.with { $0 = false }
        }
        usleep(500)
    }
}

let client: BusClient
do { client = try BusClient(.socket(lab.socket)) } catch { Bench.fail("\(error)") }
final class Removed { var ids: Set<UInt32> = [] }
let removed = Removed()
let subscription = try client.subscribe(interface: "org.daybreak.RemoteProc1.Manager", member: "JobRemoved") { signal in
    if let id = signal.arguments.first?.uint32 { removed.ids.insert(id) }
}

@MainActor func job(_ operation: String, _ name: String, _ firmware: String = "") -> UInt64 {
    let t0 = Bench.monotonic()
    do {
        let reply = try client.call(
            path: "/org/daybreak/RemoteProc1", interface: "org.daybreak.RemoteProc1.Manager", member: "EnqueueJob",
            arguments: [.string(name), .string(operation), .string(firmware)])
        guard let id = reply.first?.uint32 else { Bench.fail("EnqueueJob answered \(reply)") }
        guard try client.run(until: { removed.ids.contains(id) }, timeoutMicroseconds: 20_000_000) else { Bench.fail("job \(id) did not end") }
    } catch {
        Bench.fail("\(operation) \(name): \(error)")
    }
    return Bench.monotonic() - t0
}

/// `Update(path)` on `device`: the time to the reply, and the error name (empty when kept).
@MainActor func update(_ device: String, _ path: String) -> (time: UInt64, error: String) {
    let t0 = Bench.monotonic()
    do {
        _ = try client.call(path: lab.path(device), interface: "org.daybreak.RemoteProc1.Processor", member: "Update",
                            arguments: [.string(path)], timeoutMicroseconds: 60_000_000)
        return (Bench.monotonic() - t0, "")
    } catch {
        return (Bench.monotonic() - t0, error.name)
    }
}

var boots: [UInt64] = [], kept: [UInt64] = [], r5fBoots: [UInt64] = [], rolledBack: [UInt64] = []
var unexpected: [String] = []
let newImage = lab.base + "/new.elf"
for run in 0..<runs {
    boots.append(job("start", "m4", "m4.elf"))
    // Each run stages a different image (padding after the ELF changes its digest).
    Bench.writeFile(newImage, image + [UInt8](repeating: UInt8(run & 0xFF), count: 16 + run))
    let good = update("remoteproc0", newImage)
    if good.error.isEmpty { kept.append(good.time) } else { unexpected.append("kept run \(run): \(good.error)") }
    _ = job("stop", "m4")

    r5fBoots.append(job("start", "r5f", "r5f.elf"))
    armed.with { $0 = true }
    Bench.writeFile(newImage, image + [UInt8](repeating: UInt8(run & 0xFF), count: 1000 + run))
    let bad = update("remoteproc1", newImage)
    if bad.error == "org.daybreak.RemoteProc1.Error.RolledBack" { rolledBack.append(bad.time) } else { unexpected.append("rollback run \(run): '\(bad.error)'") }
    armed.with { $0 = false }
    _ = job("stop", "r5f")
}
subscription.cancel()
stopWatching.with { $0 = true }
watcher.exit(0)
watcher.join()
lab.stop()

@MainActor func figures(_ values: [UInt64]) -> String { "p50 \(Bench.percentile(values, 0.5)) ms, p99 \(Bench.percentile(values, 0.99)) ms" }
print("UpdateBench: \(runs) runs through rprocd (\(lab.rprocd)) on the lab board; ReadyOn= one channel, announced at once")
print("  boot m4 (start → ready):               \(figures(boots))")
print("  update kept, m4 (validate … ready):    \(figures(kept)); "
    + "\(Bench.format(Bench.percentile(kept, 0.5) / Bench.percentile(boots, 0.5)))x its boot")
print("  boot r5f (start → ready):              \(figures(r5fBoots))")
print("  update rolled back, r5f (crashed once seen running): \(figures(rolledBack)); "
    + "\(Bench.format(Bench.percentile(rolledBack, 0.5) / Bench.percentile(r5fBoots, 0.5)))x its boot")
if !unexpected.isEmpty { print("  unexpected outcomes: \(unexpected)") }
