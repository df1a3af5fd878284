import RprocFirmware
import RprocTestSupport
import Testing

@testable import KernelSim

/// Arbitrary writes, reads and time steps in any order never trap, never leave a free lock with
/// waiters, and every blocked write completes once time runs on.
@Suite struct RobustnessTests {
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
    }

    func allFiles(_ k: Kernel, _ dir: String = "") -> [String] {
        guard case .success(let names) = k.list(dir) else { return [] }
        var out: [String] = []
        for n in names {
            let path = dir.isEmpty ? n : "\(dir)/\(n)"
            switch k.stat(path) {
            case .success(.directory): out += allFiles(k, path)
            case .success(.file): out.append(path)
            default: break
            }
        }
        return out
    }

    @Test(arguments: [(KernelFlavour.classic, UInt64(1)), (.new, 2), (.newPlus, 3)])
    func randomOperations(_ flavour: KernelFlavour, _ seed: UInt64) {
        var rng = SplitMix(state: seed)
        var detached = standardProcessor()
        detached.name = "r5"
        detached.parent = "soc/r5"
        detached.initialState = .detached
        detached.preloadedFirmware = "m4.elf"
        detached.attachOnRecovery = true
        detached.autoBoot = true
        let dumping = CoredumpTests.dumping()
        let s = Sim(flavour: flavour, processors: [dumping, detached]) { $0.templates = [dumping] }
        let words = [
            "start", "stop", "detach", "start\n", "enabled", "disabled", "recover", "inline", "1", "0x2", "e", "r",
            "i", "remoteproc0", "remoteproc1", "m4", "m4.elf", "5", "0", "", "../x", "\n", "name=q parent=p",
        ]
        var pending: [SimTicket] = []
        var files = allFiles(s.kernel)
        for step in 0..<2000 {
            if step % 10 == 0 { files = allFiles(s.kernel) }
            let path = rng.pick(files)
            switch rng.next() % 6 {
            case 0, 1, 2:
                var bytes = Array(rng.pick(words).utf8)
                if rng.next() % 8 == 0 { bytes = (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
                if case .pending(let t) = s.kernel.write(path, bytes: bytes, now: s.now) { pending.append(t) }
            case 3:
                _ = s.kernel.read(path, now: s.now)
                _ = s.kernel.readRange(path, offset: rng.next() % 300, count: Int(rng.next() % 5000) - 10, now: s.now)
            case 4:
                if let t = pending.last, rng.next() % 4 == 0 { _ = s.kernel.interrupt(t, now: s.now) }
                s.advance(ms: rng.next() % 50)
            default:
                if let d = s.kernel.nextDeadline { s.advance(to: d) }
            }
            // (No power invariant: a crash of a detached processor makes it crashed, then attached
            // by recovery, with power 0, as in the kernel.)
            for p in s.kernel.processors where p.lockHolder == nil { #expect(p.lockQueue.isEmpty) }
            // The cached tree is never stale.
            #expect(Set(s.kernel.tree.nodes.keys) == Set(s.kernel.buildTree().nodes.keys))
        }
        // Everything that was blocked finishes once time runs on (inline dumps expire).
        s.advance(ms: 400_000)
        while let d = s.kernel.nextDeadline, d <= s.now + 400_000 { s.advance(to: d) }
        for t in pending where s.kernel.result(of: t) == nil {
            Issue.record("ticket \(t.rawValue) never completed")
        }
    }
}
