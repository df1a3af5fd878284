// A small `SimulatedKernel` for testing the FUSE adapter on its own: a few sysfs-like files whose
// behaviour is easy to predict, a slow `start`, and a kernel log.

import KernelSim
import RprocFirmware

final class FakeKernel: SimulatedKernel {
    enum Node {
        case directory(UInt16)
        case file(UInt16)
        case symlink(String)
        case log
    }

    var nodes: [String: Node] = [
        "": .directory(0o755), "sys": .directory(0o755), "sys/class": .directory(0o755),
        "sys/class/remoteproc": .directory(0o755),
        "sys/class/remoteproc/remoteproc0": .symlink("../../devices/platform/m4/remoteproc/remoteproc0"),
        "sys/devices": .directory(0o755), "sys/devices/platform": .directory(0o755),
        "sys/devices/platform/m4": .directory(0o755), "sys/devices/platform/m4/remoteproc": .directory(0o755),
        "sys/devices/platform/m4/remoteproc/remoteproc0": .directory(0o755),
        "sys/devices/platform/m4/remoteproc/remoteproc0/state": .file(0o644),
        "sys/devices/platform/m4/remoteproc/remoteproc0/name": .file(0o444),
        "sys/devices/platform/m4/remoteproc/remoteproc0/firmware": .file(0o644),
        "sys/kernel": .directory(0o755), "sys/kernel/debug": .directory(0o700),
        "sys/kernel/debug/secret": .file(0o400),
        "dev": .directory(0o755), "dev/kmsg": .log,
    ]
    static let device = "sys/devices/platform/m4/remoteproc/remoteproc0/"

    var state = "offline"
    var firmwareName = "rproc-m4-fw"
    var startDelay: UInt64 = 200  // milliseconds
    var log: [SimKmsgRecord] = []
    var nextSequence: UInt64 = 0
    var pending: [SimTicket: (due: SimTime, result: Result<Int, KernelErrno>, then: () -> Void)] = [:]
    var finished: [SimTicket: Result<Int, KernelErrno>] = [:]
    var nextTicket: UInt64 = 1
    /// The time the lock frees up (one write at a time, as `rproc->lock`).
    var busyUntil = SimTime.zero
    let firmware: any FirmwareSource

    init(firmware: any FirmwareSource) { self.firmware = firmware }

    func record(_ text: String, at now: SimTime) {
        let line = "6,\(nextSequence),\(now.microseconds),-;\(text)\n"
        log.append(SimKmsgRecord(sequence: nextSequence, bytes: Array(line.utf8)))
        nextSequence += 1
        if log.count > 8 { log.removeFirst() }
    }

    func stat(_ path: String) -> Result<SimNode, KernelErrno> {
        switch nodes[path] {
        case .directory(let mode): .success(.directory(mode: mode))
        case .file(let mode): .success(.file(mode: mode, size: 4096))
        case .symlink(let target): .success(.symlink(target: target))
        case .log: .success(.characterDevice(mode: 0o644))
        case nil: .failure(.ENOENT)
        }
    }

    func list(_ path: String) -> Result<[String], KernelErrno> {
        guard case .directory = nodes[path] else { return .failure(.ENOTDIR) }
        let prefix = path.isEmpty ? "" : path + "/"
        return .success(
            nodes.keys.filter { $0.hasPrefix(prefix) && $0 != path && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted())
    }

    func readLink(_ path: String) -> Result<String, KernelErrno> {
        guard case .symlink(let target) = nodes[path] else { return .failure(.EINVAL) }
        return .success(target)
    }

    func openCheck(_ path: String, forWriting: Bool) -> Result<Void, KernelErrno> {
        switch nodes[path] {
        case nil: return .failure(.ENOENT)
        case .file(let mode) where forWriting && mode & 0o222 == 0: return .failure(.EACCES)
        default: return .success(())
        }
    }

    func read(_ path: String, now: SimTime) -> Result<[UInt8], KernelErrno> {
        switch path {
        case Self.device + "state": .success(Array((state + "\n").utf8))
        case Self.device + "name": .success(Array("m4\n".utf8))
        case Self.device + "firmware": .success(Array((firmwareName + "\n").utf8))
        case "sys/kernel/debug/secret": .success(Array("secret\n".utf8))
        default: .failure(.EINVAL)
        }
    }

    func write(_ path: String, bytes: [UInt8], now: SimTime) -> SimWriteStart {
        let text = String(decoding: bytes, as: UTF8.self)
        let command = text.hasSuffix("\n") ? String(text.dropLast()) : text
        switch path {
        case "dev/kmsg":
            record(command, at: now)
            return .completed(.success(bytes.count))
        case Self.device + "firmware":
            guard state == "offline" else { return .completed(.failure(.EBUSY)) }
            if case .failure(let errno) = firmware.readFirmware(at: "/lib/firmware/" + command) {
                return .completed(.failure(errno))
            }
            firmwareName = command
            return .completed(.success(bytes.count))
        case Self.device + "state":
            switch command {
            case "start":
                let ticket = SimTicket(rawValue: nextTicket)
                nextTicket += 1
                let due = max(now, busyUntil) + startDelay
                busyUntil = due
                pending[ticket] = (due, .success(bytes.count), { [self] in
                    state = "running"
                    record("remoteproc remoteproc0: remote processor m4 is now up", at: due)
                })
                return .pending(ticket)
            case "stop":
                guard state == "running" else { return .completed(.failure(.EINVAL)) }
                state = "offline"
                return .completed(.success(bytes.count))
            default:
                return .completed(.failure(.EINVAL))
            }
        default:
            return .completed(.failure(.EIO))
        }
    }

    func result(of ticket: SimTicket) -> Result<Int, KernelErrno>? { finished.removeValue(forKey: ticket) }

    func advance(to now: SimTime) {
        for (ticket, job) in pending.sorted(by: { $0.value.due < $1.value.due }) where job.due <= now {
            pending[ticket] = nil
            job.then()
            finished[ticket] = job.result
        }
    }

    var nextDeadline: SimTime? { pending.values.map(\.due).min() }

    func kmsgRecord(atOrAfter sequence: UInt64) -> SimKmsgRecord? { log.first { $0.sequence >= sequence } }

    var kmsgNextSequence: UInt64 { nextSequence }
}
