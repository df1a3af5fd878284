import Testing
@testable import RprocModel

@Suite struct ReadinessTests {
    @Test func readyWhenUpAndEveryChannelAnnounced() {
        #expect(Readiness.evaluate(state: .running, announced: [], readyOn: [], timeout: nil, since: 0, now: 0) == .ready)
        #expect(Readiness.evaluate(state: .attached, announced: ["a", "b", "c"], readyOn: ["b", "a"], timeout: .seconds(1), since: 0, now: 5)
            == .ready)
    }

    @Test func downIsNeverReady() {
        for state in [ProcessorState.offline, .crashed, .detached, .unrecognized("x")] {
            #expect(Readiness.evaluate(state: state, announced: ["a"], readyOn: ["a"], timeout: nil, since: 0, now: 0) == .down)
        }
    }

    @Test func waitingUntilTheDeadlineThenTimedOut() {
        let wait = Readiness.evaluate(state: .running, announced: ["b"], readyOn: ["a", "b", "c", "a"], timeout: .milliseconds(800), since: 1_000, now: 800_999)
        #expect(wait == .waiting(missing: ["a", "c"], deadline: 801_000))
        #expect(Readiness.evaluate(state: .running, announced: ["b"], readyOn: ["a", "b", "c"], timeout: .milliseconds(800), since: 1_000, now: 801_000)
            == .timedOut(missing: ["a", "c"]))
        #expect(Readiness.evaluate(state: .running, announced: [], readyOn: ["a"], timeout: nil, since: 0, now: .max)
            == .waiting(missing: ["a"], deadline: nil))
        #expect(Readiness.evaluate(state: .running, announced: [], readyOn: ["a"], timeout: .infinity, since: 5, now: .max)
            == .waiting(missing: ["a"], deadline: nil))
    }
}
