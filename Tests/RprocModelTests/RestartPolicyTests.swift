import Foundation
import Testing
@testable import RprocModel

@Suite struct RestartPolicyTests {
    static let sec: UInt64 = 1_000_000

    func settings(restartSec: TimeSpan, steps: UInt32 = 0, max: TimeSpan = .infinity) -> RestartSettings {
        var s = RestartSettings()
        s.restartSec = restartSec
        s.restartSteps = steps
        s.restartMaxDelaySec = max
        return s
    }

    @Test func tablesRoundTrip() {
        checkTable(RestartMode.self, expected: ["no", "on-crash", "always"])
        checkTable(FailureAction.self, expected: ["stop", "leave", "reboot"])
        checkTable(RecoveryOwner.self, expected: ["rprocd", "kernel"])
    }

    @Test func defaultsAreSystemds() {
        let s = RestartSettings()
        #expect(s.restartSec == .milliseconds(100))
        #expect(s.restartSteps == 0)
        #expect(s.restartMaxDelaySec == .infinity)
        #expect(s.startLimitIntervalSec == .seconds(10))
        #expect(s.startLimitBurst == 5)
    }

    @Test func backoffDoublesFromTwoToSixteenSeconds() {
        // systemd.service(5): RestartSec=2s RestartSteps=3 RestartMaxDelaySec=16s → 2, 4, 8, 16 s.
        let s = settings(restartSec: .seconds(2), steps: 3, max: .seconds(16))
        let delays = (1...6).map { RestartPolicy.delay(forAttempt: UInt32($0), settings: s) }
        #expect(delays == [2, 4, 8, 16, 16, 16].map { TimeSpan.seconds($0) })
    }

    @Test func withoutBackoffEveryDelayIsRestartSec() {
        for s in [
            settings(restartSec: .seconds(1)), settings(restartSec: .seconds(1), steps: 5),
            settings(restartSec: .zero, steps: 5, max: .seconds(10)), settings(restartSec: .seconds(5), steps: 5, max: .seconds(5)),
        ] {
            for n in UInt32(1)...8 { #expect(RestartPolicy.delay(forAttempt: n, settings: s) == s.restartSec) }
        }
    }

    /// systemd's formula, r_i = r_0 · (r_max/r_0)^((i−1)/steps), evaluated with Foundation's pow.
    static let formulaCases: [(UInt64, UInt32, UInt64)] = [
        (100_000, 10, 60 * sec), (1 * sec, 7, 300 * sec), (250_000, 4, 3 * sec), (3 * sec, 2000, 3600 * sec),
        (1, 5, 1_000_000_007), (123_456, 9, 987_654_321),
    ]

    @Test(arguments: formulaCases)
    func backoffFollowsSystemdsFormula(r0: UInt64, steps: UInt32, max: UInt64) {
        let s = settings(restartSec: TimeSpan(microseconds: r0), steps: steps, max: TimeSpan(microseconds: max))
        var previous: UInt64 = 0
        for n in UInt32(1)...min(steps, 60) {
            let got = RestartPolicy.delay(forAttempt: n, settings: s).microseconds
            let exact = Double(r0) * pow(Double(max) / Double(r0), Double(n - 1) / Double(steps))
            #expect(Double(got) <= exact + 1e-3 && exact - Double(got) < 1.0 + 1e-3, "attempt \(n): \(got) vs \(exact)")
            #expect(got >= previous)
            previous = got
        }
        #expect(RestartPolicy.delay(forAttempt: steps + 1, settings: s).microseconds == max)
    }

    @Test func mathMatchesFoundation() {
        for x in [1.000001, 2.0, 8.0, 10.0, 600.0, 1e9, 0.5, 123.456] {
            for y in [0.0, 0.1, 1.0 / 3.0, 0.5, 0.999, 1.0, 2.5] {
                let ours = MathFunctions.power(x, y)
                let theirs = pow(x, y)
                #expect(abs(ours - theirs) <= 1e-13 * theirs, "\(x)^\(y)")
            }
        }
    }

    @Test func modeDecidesWhatRestarts() {
        var s = RestartSettings()
        let now: UInt64 = 50 * Self.sec
        s.restart = .no
        #expect(RestartPolicy.next(after: .crash, restartsSoFar: 0, history: RestartHistory(), settings: s, now: now) == RestartDecision.none)
        s.restart = .onCrash
        #expect(RestartPolicy.next(after: .crash, restartsSoFar: 0, history: RestartHistory(), settings: s, now: now)
            == .restart(at: now + 100_000, delay: .milliseconds(100), attempt: 1))
        #expect(RestartPolicy.next(after: .bootFailed, restartsSoFar: 0, history: RestartHistory(), settings: s, now: now) == RestartDecision.none)
        #expect(RestartPolicy.next(after: .externalStop, restartsSoFar: 0, history: RestartHistory(), settings: s, now: now) == RestartDecision.none)
        s.restart = .always
        for trigger in [RestartTrigger.crash, .bootFailed, .readinessTimeout, .externalStop] {
            #expect(RestartPolicy.next(after: trigger, restartsSoFar: 2, history: RestartHistory(), settings: s, now: now)
                == .restart(at: now + 100_000, delay: .milliseconds(100), attempt: 3))
        }
        #expect(RestartPolicy.next(after: .stoppedByRprocd, restartsSoFar: 0, history: RestartHistory(), settings: s, now: now) == RestartDecision.none)
    }

    @Test func scheduleUsesTheBackoffForTheNextAttempt() {
        var s = settings(restartSec: .seconds(2), steps: 3, max: .seconds(16))
        s.startLimitBurst = 0  // no limit
        let now: UInt64 = 1_000 * Self.sec
        let times = (0..<5).map { n -> RestartDecision in
            RestartPolicy.next(after: .crash, restartsSoFar: UInt32(n), history: RestartHistory(), settings: s, now: now)
        }
        #expect(times == [
            .restart(at: now + 2 * Self.sec, delay: .seconds(2), attempt: 1),
            .restart(at: now + 4 * Self.sec, delay: .seconds(4), attempt: 2),
            .restart(at: now + 8 * Self.sec, delay: .seconds(8), attempt: 3),
            .restart(at: now + 16 * Self.sec, delay: .seconds(16), attempt: 4),
            .restart(at: now + 16 * Self.sec, delay: .seconds(16), attempt: 5),
        ])
    }

    @Test func startLimitWindowAsRatelimitBelow() {
        var w = StartLimitWindow()
        let interval = TimeSpan.seconds(10)
        // Five starts within the window are admitted, the sixth is refused.
        for t in 0..<5 { #expect(w.admit(at: UInt64(t) * Self.sec, interval: interval, burst: 5) == true) }
        #expect(w.admit(at: 5 * Self.sec, interval: interval, burst: 5) == false)
        // Exactly `interval` after the window opened is still inside it (systemd resets only after).
        #expect(w.admit(at: 10 * Self.sec, interval: interval, burst: 5) == false)
        // Past it, a new window opens.
        #expect(w.admit(at: 10 * Self.sec + 1, interval: interval, burst: 5) == true)
        #expect(w == StartLimitWindow(begin: 10 * Self.sec + 1, count: 1))
        // 0 disables the limit.
        var off = StartLimitWindow()
        for _ in 0..<100 { #expect(off.admit(at: 0, interval: .zero, burst: 5) == true) }
        for _ in 0..<100 { #expect(off.admit(at: 0, interval: interval, burst: 0) == true) }
    }

    @Test func crashLoopHitsTheStartLimitAndFails() {
        var s = RestartSettings()  // 100 ms, burst 5 in 10 s
        s.failureAction = .stop
        var history = RestartHistory()
        var now: UInt64 = 0
        #expect(RestartPolicy.admitStart(history: &history, settings: s, now: now) == true)  // the user's start
        var restarts: UInt32 = 0
        var decisions: [RestartDecision] = []
        for _ in 0..<6 {
            now += 500_000  // crashes half a second after each boot
            let d = RestartPolicy.next(after: .crash, restartsSoFar: restarts, history: history, settings: s, now: now)
            decisions.append(d)
            guard case .restart(let at, _, _) = d else { break }
            now = at
            #expect(RestartPolicy.admitStart(history: &history, settings: s, now: now) == true)
            restarts += 1
        }
        #expect(restarts == 4)  // 1 user start + 4 restarts = the burst of 5
        #expect(decisions.last == .fail(action: .stop))
    }

    @Test func fallbackFirmwareIsBootedOnceThenFailed() {
        var s = RestartSettings()
        s.startLimitBurst = 2
        s.fallbackFirmware = "safe.elf"
        var history = RestartHistory()
        #expect(RestartPolicy.admitStart(history: &history, settings: s, now: 0) == true)
        #expect(RestartPolicy.admitStart(history: &history, settings: s, now: 1_000) == true)
        let hit = RestartPolicy.next(after: .crash, restartsSoFar: 1, history: history, settings: s, now: 2_000)
        #expect(hit == .fallback(firmware: "safe.elf", at: 102_000))
        RestartPolicy.beginFallback(history: &history, now: 102_000)
        #expect(history.fallbackUsed)
        // The fallback gets a fresh window: one more restart fits, then the limit is final.
        #expect(RestartPolicy.next(after: .crash, restartsSoFar: 0, history: history, settings: s, now: 200_000)
            == .restart(at: 300_000, delay: .milliseconds(100), attempt: 1))
        #expect(RestartPolicy.admitStart(history: &history, settings: s, now: 300_000) == true)
        #expect(RestartPolicy.next(after: .crash, restartsSoFar: 1, history: history, settings: s, now: 400_000)
            == .fail(action: .leave))
        history.reset()
        #expect(history == RestartHistory())
    }

    @Test func decisionsBecomeOperations() {
        let restart = RestartDecision.restart(at: 1, delay: .zero, attempt: 1)
        #expect(restart.operation(in: .crashed)! == (.recover, nil))
        #expect(restart.operation(in: .offline)! == (.start, nil))
        #expect(RestartDecision.fallback(firmware: "safe.elf", at: 1).operation(in: .crashed)! == (.restart, "safe.elf"))
        #expect(RestartDecision.fail(action: .stop).operation(in: .crashed)! == (.stop, nil))
        #expect(RestartDecision.fail(action: .stop).operation(in: .offline) == nil)
        #expect(RestartDecision.fail(action: .leave).operation(in: .crashed) == nil)
        #expect(RestartDecision.none.operation(in: .crashed) == nil)
        // Each operation plans from that state (the policy never asks for an impossible one).
        for (decision, state) in [(restart, ProcessorState.crashed), (restart, .offline), (.fallback(firmware: "s", at: 0), .crashed)] {
            let (op, fw) = decision.operation(in: state)!
            let planned = Planner.plan(op, firmware: fw, state: state, job: .idle, facts: ProcessorFacts(kernelFirmware: "fw"))
            #expect((try? planned.get()) != nil, "\(op) from \(state)")
        }
    }
}
