import RprocSystem
import Testing
@testable import RprocDaemon

/// The trace follower over debugfs `traceN` reads (kernel-contract.md §4): growth, wrap-around, a
/// buffer zeroed by a new boot, a buffer that vanishes, rate limiting, the tail.
@Suite struct CrashTraceFollowerTests {
    let s: UInt64 = 1_000_000

    func texts(_ output: TraceOutput) -> [String] { output.forward.map(\.text) }

    @Test func onlyNewCompleteLinesAreForwarded() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false)
        #expect(texts(f.ingest([0: .text("boot\nti")], at: s)) == ["boot"])
        #expect(texts(f.ingest([0: .text("boot\ntick 1\n")], at: 2 * s)) == ["tick 1"])
        #expect(texts(f.ingest([0: .text("boot\ntick 1\n")], at: 3 * s)).isEmpty)
        #expect(f.log(last: 0) == ["boot", "tick 1"])
    }

    @Test func aWrappedRingGivesTheRewrittenStartAfterTheTail() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false)
        // A 24-byte ring.
        _ = f.ingest([0: .text("line A\nline B\nline C\n")], at: s)  // 21 bytes
        // The remote fills the last 3 bytes ("D1\n"), wraps and overwrites the first 14 ("line E\nline F\n").
        let wrapped = f.ingest([0: .text("line E\nline F\nline C\nD1\n")], at: 2 * s)
        #expect(texts(wrapped) == ["D1", "line E", "line F"])
        #expect(wrapped.wrapped == [0])
        // Then it goes on growing past the wrap point as usual.
        #expect(texts(f.ingest([0: .text("line E\nline F\nline G\nD1\n")], at: 3 * s)) == ["line G"])
    }

    @Test func aBufferZeroedByANewBootComesOutWhole() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false)
        _ = f.ingest([0: .text("old boot\nold 1\nold 2\n")], at: s)
        #expect(texts(f.ingest([0: .text("new boot\n")], at: 2 * s)) == ["new boot"])
        // The same banner again after a restart (shorter, agreeing with the start): new too.
        _ = f.ingest([0: .text("new boot\nx 1\nx 2\n")], at: 3 * s)
        #expect(texts(f.ingest([0: .text("new boot\n")], at: 4 * s)) == ["new boot"])
    }

    @Test func aVanishedBufferEndsItsPartialLineAndStartsAfresh() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false)
        _ = f.ingest([0: .text("up\nlast wor"), 1: .text("dsp\n")], at: s)
        let stopped = f.ingest([:], at: 2 * s)
        #expect(texts(stopped) == ["last wor"])
        #expect(stopped.vanished == [0, 1])
        // Booted again: the buffer's content is all new, even if it starts the same.
        #expect(texts(f.ingest([0: .text("up\n")], at: 3 * s)) == ["up"])
        #expect(f.ingest([0: .vanished], at: 4 * s).vanished == [0])
    }

    @Test func aRebootBetweenTwoReadsMakesTheSameTextNewAgain() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false)
        #expect(texts(f.ingest([0: .text("banner\nhalf")], at: s)) == ["banner"])
        // Recovered between two polls: the buffer reads as before, but it was written again.
        #expect(f.rebooted(at: 2 * s).map(\.text) == ["half"])
        #expect(texts(f.ingest([0: .text("banner\nhalf")], at: 3 * s)) == ["banner"])
        #expect(texts(f.ingest([0: .text("banner\nhalf")], at: 4 * s)) == ["half"])
        #expect(f.rebooted(at: 5 * s).isEmpty)
        #expect(f.log(last: 0) == ["banner", "half", "banner", "half"])
    }

    @Test func anAdoptedBufferIsKeptButNotForwardedAgain() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: true)
        #expect(texts(f.ingest([0: .text("old 1\nold 2\n")], at: s)).isEmpty)
        #expect(f.log(last: 1) == ["old 2"])
        #expect(texts(f.ingest([0: .text("old 1\nold 2\nnew\n")], at: 2 * s)) == ["new"])
        #expect(f.log(last: 0) == ["old 1", "old 2", "new"])
    }

    @Test func notAvailableIsSkipped() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false)
        let output = f.ingest([0: .notAvailable], at: s)
        #expect(output.forward.isEmpty)
        #expect(output.vanished.isEmpty)
    }

    @Test func rateLimitedWithASuppressionNoticeButAllInTheTail() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false, tailLines: 500, rateBurst: 100, rateInterval: 10 * s)
        var text = ""
        for i in 0..<250 { text += "l\(i)\n" }
        let flood = f.ingest([0: .text(text)], at: s)
        #expect(flood.forward.count == 100)
        #expect(flood.newLineCount == 250)
        #expect(flood.forward.last?.text == "l99")
        // Within the window: still suppressed.
        #expect(f.ingest([0: .text(text + "more\n")], at: 5 * s).forward.isEmpty)
        // The next window opens with the count of what was dropped.
        let next = f.ingest([0: .text(text + "more\nagain\n")], at: 12 * s)
        #expect(next.forward.first?.buffer == nil)
        #expect(next.forward.first?.text.hasPrefix("151 trace lines of 'remoteproc0' suppressed") == true)
        #expect(next.forward.last?.text == "again")
        #expect(f.log(last: 0).count == 252)
        #expect(f.log(last: 3) == ["l249", "more", "again"])
    }

    @Test func aQuietProcessorStillGetsTheSuppressionNotice() {
        var f = TraceFollower(device: "remoteproc0", adoptingExisting: false, rateBurst: 1, rateInterval: 10 * s)
        _ = f.ingest([0: .text("a\nb\nc\n")], at: s)
        #expect(f.ingest([0: .text("a\nb\nc\n")], at: 5 * s).forward.isEmpty)
        #expect(texts(f.ingest([0: .text("a\nb\nc\n")], at: 11 * s)).first?.hasPrefix("2 trace lines") == true)
    }

    @Test func theTailIsBounded() {
        var ring = LineRing(capacity: 3)
        for i in 0..<7 { ring.append("\(i)") }
        #expect(ring.lines == ["4", "5", "6"])
        #expect(ring.last(2) == ["5", "6"])
        var log = KernelLogTail(capacity: 2)
        log.append(device: "remoteproc0", "a")
        log.append(device: "remoteproc0", "b")
        log.append(device: "remoteproc0", "c")
        log.append(device: "remoteproc1", "x")
        #expect(log.lines(of: "remoteproc0") == ["b", "c"])
        log.forget("remoteproc0")
        #expect(log.lines(of: "remoteproc0").isEmpty)
    }
}
