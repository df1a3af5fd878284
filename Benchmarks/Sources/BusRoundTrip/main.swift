// BusRoundTrip: a method round trip over rprocd's private socket (peer-to-peer D-Bus, sd-bus server
// mode) from the in-process client, against one pread(2) of a small file (a stand-in for sysfs
// `state`), and against a whole-process `busctl --address=… call` of the same method.
//
//   swift run -c release --package-path Benchmarks BusRoundTrip [calls] [busctl-runs]
import Glibc
import RprocBus
import RprocEventLoop
import Synchronization

func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func percentile(_ samples: [UInt64], _ p: Double) -> UInt64 {
    let s = samples.sorted()
    return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
}

func micro(_ ns: UInt64) -> String {
    let tenths = (ns + 50) / 100
    return "\(tenths / 10).\(tenths % 10) µs"
}

func ratio(_ a: UInt64, _ b: UInt64) -> String {
    let tenths = (a * 10 + max(b, 1) / 2) / max(b, 1)
    return "\(tenths / 10).\(tenths % 10)×"
}

func fail(_ message: String) -> Never {
    let line = "BusRoundTrip: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

let arguments = CommandLine.arguments
let calls = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let busctlRuns = arguments.count > 2 ? Int(arguments[2]) ?? 200 : 200

var template = Array("/tmp/rproc-bench-XXXXXX".utf8CString)
let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
let socketPath = directory + "/control"
let statePath = directory + "/state"
let stateFD = open(statePath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
guard stateFD >= 0, write(stateFD, "offline\n", 8) == 8 else { fail("cannot write '\(statePath)'") }

// The server: one loop thread, one object with one method, as rprocd serves a processor.
let path = "/org/daybreak/RemoteProc1/processor/remoteproc0"
let interface = "org.daybreak.RemoteProc1.Processor"
let loop: EventLoop
do { loop = try EventLoop.spawn(name: "bench-loop") } catch { fail("\(error)") }
final class Server: @unchecked Sendable {
    var registry: ObjectRegistry?
    var server: PrivateBusServer?
}
let server = Server()
let ready = Atomic<Int>(0)
loop.post {
    let registry = ObjectRegistry(loop: loop)
    registry.addObject(path, interfaces: [
        BusInterface(interface, methods: [
            BusMethod("GetState", out: [BusArgument("state", "s")]) { _ throws(BusError) in [.string("offline")] },
        ]),
    ])
    do {
        server.server = try PrivateBusServer(loop: loop, registry: registry, listen: .path(socketPath),
                                             options: .init(busName: "org.daybreak.RemoteProc1"))
        server.registry = registry
        ready.store(1, ordering: .releasing)
    } catch {
        fail("\(error)")
    }
}
while ready.load(ordering: .acquiring) == 0 { usleep(1000) }

// 1. In-process client round trips.
let client: BusClient
do { client = try BusClient(.socket(socketPath)) } catch { fail("\(error)") }
var busSamples: [UInt64] = []
busSamples.reserveCapacity(calls)
for i in 0..<(calls + 1000) {
    let t0 = nanoseconds()
    do {
        let out = try client.call(path: path, interface: interface, member: "GetState")
        if out != [.string("offline")] { fail("unexpected reply \(out)") }
    } catch {
        fail("\(error)")
    }
    let t1 = nanoseconds()
    if i >= 1000 { busSamples.append(t1 - t0) }
}

// 2. pread(2) of the small file.
var preadSamples: [UInt64] = []
preadSamples.reserveCapacity(calls)
var buffer = [UInt8](repeating: 0, count: 64)
for i in 0..<(calls + 1000) {
    let t0 = nanoseconds()
    let n = pread(stateFD, &buffer, 64, 0)
    let t1 = nanoseconds()
    if n != 8 { fail("pread returned \(n)") }
    if i >= 1000 { preadSamples.append(t1 - t0) }
}

// 3. Whole-process busctl call.
let busctl = "/usr/bin/busctl"
let busctlArguments = [busctl, "--address=unix:path=\(socketPath)", "call", "org.daybreak.RemoteProc1", path, interface, "GetState"]
func spawnBusctl() -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var argv: [UnsafeMutablePointer<CChar>?] = busctlArguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, busctl, &actions, nil, &argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}
var busctlSamples: [UInt64] = []
var haveBusctl = access(busctl, X_OK) == 0
if haveBusctl {
    if spawnBusctl() != 0 { fail("'\(busctlArguments.joined(separator: " "))' failed") }
    for _ in 0..<busctlRuns {
        let t0 = nanoseconds()
        let status = spawnBusctl()
        let t1 = nanoseconds()
        if status != 0 { fail("busctl exited with status \(status)") }
        busctlSamples.append(t1 - t0)
    }
}

let busP50 = percentile(busSamples, 0.5), busP99 = percentile(busSamples, 0.99)
let preadP50 = percentile(preadSamples, 0.5), preadP99 = percentile(preadSamples, 0.99)
print("BusRoundTrip (\(calls) calls, \(busctlRuns) busctl runs; after 1000 warm-up calls)")
print("  method call over the private socket, in-process client: p50 \(micro(busP50))  p99 \(micro(busP99))")
print("  pread(2) of an 8-byte file (sysfs 'state' stand-in):     p50 \(micro(preadP50))  p99 \(micro(preadP99))")
if haveBusctl {
    let cP50 = percentile(busctlSamples, 0.5), cP99 = percentile(busctlSamples, 0.99)
    print("  busctl --address=… call, whole process:                  p50 \(micro(cP50))  p99 \(micro(cP99))")
    print("  ratio busctl / in-process call (p50): \(ratio(cP50, busP50))")
}
print("  ratio in-process call / pread (p50): \(ratio(busP50, preadP50))")
print("  ratio in-process call / pread (p99): \(ratio(busP99, preadP99))")

loop.post {
    server.server?.close()
    loop.exit(0)
}
loop.join()
close(stateFD)
unlink(statePath)
rmdir(directory)
