import RprocFirmware
import RprocTestSupport
import Testing

@testable import KernelSim

/// An in-memory firmware directory.
final class MemoryFirmware: FirmwareSource {
    var files: [String: Result<[UInt8], KernelErrno>] = [:]
    var reads: [String] = []
    func readFirmware(at path: String) -> Result<[UInt8], KernelErrno> {
        reads.append(path)
        return files[path] ?? .failure(.ENOENT)
    }
}

/// The firmware every test boots: ElfBuilder's minimal remoteproc image (carveout, trace, rpmsg vdev).
let standardImage = ElfBuilder.minimalRemoteproc().build()

/// A board with one processor `m4` (remoteproc0) and the standard image at /lib/firmware/m4.elf.
func standardProcessor(_ configure: (inout ProcessorDescription) -> Void = { _ in }) -> ProcessorDescription {
    var d = ProcessorDescription(name: "m4", parent: "sim-rproc.0")
    d.firmware = "m4.elf"
    d.autoBoot = false
    configure(&d)
    return d
}

/// A kernel with a clock the test moves.
final class Sim {
    let kernel: Kernel
    let firmware: MemoryFirmware
    var now = SimTime.zero

    init(
        line: KernelLine = .v6_1, flavour: KernelFlavour = .new, processors: [ProcessorDescription] = [standardProcessor()],
        configure: (inout BoardDescription) -> Void = { _ in }, files: [String: [UInt8]] = ["/lib/firmware/m4.elf": standardImage]
    ) {
        let fw = MemoryFirmware()
        for (k, v) in files { fw.files[k] = .success(v) }
        firmware = fw
        var board = BoardDescription(kernelLine: line, flavour: flavour, osrelease: "6.1.0-test", processors: processors)
        configure(&board)
        kernel = Kernel(board: board, firmware: fw)
    }

    static let rproc0 = "sys/class/remoteproc/remoteproc0"
    static let dev0 = "sys/devices/platform/sim-rproc.0/remoteproc/remoteproc0"
    static let debug0 = "sys/kernel/debug/remoteproc/remoteproc0"

    /// Resolves `sys/class/remoteproc/remoteprocN/…` through its symlink, as the VFS would.
    func resolve(_ path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        for i in stride(from: parts.count, to: 0, by: -1) {
            let prefix = parts[0..<i].joined(separator: "/")
            if case .success(let target) = kernel.readLink(prefix) {
                var dir = Array(parts[0..<(i - 1)])
                for c in target.split(separator: "/") {
                    if c == ".." { dir.removeLast() } else { dir.append(String(c)) }
                }
                return resolve((dir + parts[i...]).joined(separator: "/"))
            }
        }
        return path
    }

    func read(_ path: String) -> String {
        switch kernel.read(resolve(path), now: now) {
        case .success(let b): return String(decoding: b, as: UTF8.self)
        case .failure(let e): return "<\(e.name)>"
        }
    }

    func readResult(_ path: String) -> Result<[UInt8], KernelErrno> { kernel.read(resolve(path), now: now) }

    /// Starts a write without waiting.
    func submit(_ path: String, _ text: String) -> SimWriteStart { submit(path, Array(text.utf8)) }
    func submit(_ path: String, _ bytes: [UInt8]) -> SimWriteStart { kernel.write(resolve(path), bytes: bytes, now: now) }

    /// One write(2), running simulated time forward until it returns.
    @discardableResult
    func write(_ path: String, _ text: String) -> Result<Int, KernelErrno> { write(path, Array(text.utf8)) }
    @discardableResult
    func write(_ path: String, _ bytes: [UInt8]) -> Result<Int, KernelErrno> {
        switch submit(path, bytes) {
        case .completed(let r): return r
        case .pending(let t): return wait(t)
        }
    }

    /// Advances to each deadline until `ticket` completes.
    func wait(_ ticket: SimTicket, limitMs: UInt64 = 1_000_000) -> Result<Int, KernelErrno> {
        let limit = now + limitMs
        while true {
            if let r = kernel.result(of: ticket) { return r }
            guard let d = kernel.nextDeadline, d <= limit else {
                Issue.record("write never completed")
                return .failure(.EINTR)
            }
            advance(to: d)
        }
    }

    func advance(to t: SimTime) {
        if t > now { now = t }
        kernel.advance(to: now)
    }
    func advance(ms: UInt64) { advance(to: now + ms) }
    /// Runs every event due within `ms` milliseconds.
    func settle(ms: UInt64 = 10) {
        let limit = now + ms
        while let d = kernel.nextDeadline, d <= limit { advance(to: d) }
        advance(to: limit)
    }

    /// Starts remoteproc0 and reports a crash of `type` through debugfs, then lets the crash work
    /// (and, with `recovery`, the recovery) run.
    func startAndCrash(type: Int = 1, recovery: Bool) {
        if !recovery { write("\(Sim.rproc0)/recovery", "disabled") }
        write("\(Sim.rproc0)/state", "start")
        write("\(Sim.debug0)/crash", "\(type)")
        settle()
    }

    var state: String { read("\(Sim.rproc0)/state") }
    var power: Int { kernel.processorSnapshots.first { $0.index == 0 }?.power ?? -1 }
    var log: [String] { kernel.kernelLogTexts }
    func logged(_ text: String) -> Bool { log.contains { $0.hasSuffix(text) } }
    func exists(_ path: String) -> Bool { (try? kernel.stat(resolve(path)).get()) != nil }
    func list(_ path: String) -> [String] { (try? kernel.list(resolve(path)).get()) ?? [] }
}

let allFlavours: [KernelFlavour] = [.classic, .new, .newPlus]

extension Result where Success == Int, Failure == KernelErrno {
    var errno: KernelErrno? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
