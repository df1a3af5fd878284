// A firmware update as a state machine: events in (kernel results, readiness, crash, timer),
// operations out. No I/O and no clock, so every path is tested without a board; `UpdateAdapter`
// runs it against the manager.
//
//   validate and stage (done before the runner starts: an invalid image is refused before
//   anything stops) → stop (when up) → start with the new image → wait for readiness →
//   probation (`UpdateProbationSec=`) → kept.
//   A failed start, a readiness timeout, or a crash during probation → roll back: stop (when
//   up) → start with the previous image → `Result=rolled-back`.
//
// Wiring: see `UpdateAdapter`. Every `.record` is one journal entry with the processor's fields
// (`UPDATE_STEP=`, `UPDATE_OUTCOME=`, `FIRMWARE=`).

import RprocModel

public struct UpdateRunner: Equatable {
    /// What the runner asks for.
    enum Command: Equatable {
        /// Enqueue `stop` on the processor.
        case stop
        /// Enqueue `start` with this firmware (the planner writes `firmware`, then `start`).
        case start(firmware: String)
        /// Arm the probation timer (µs from now).
        case armProbation(UInt64)
        /// Cancel it.
        case cancelProbation
        /// A journal entry.
        case record(step: String, outcome: String, firmware: String)
        /// The update is over.
        case finish(Outcome)
    }

    /// What it comes in with.
    enum Event: Equatable {
        /// The `stop` or `start` the runner asked for ended (error: the job's failure message).
        case stopped(error: String?)
        case started(error: String?)
        /// Every `ReadyOn=` channel is announced (or none is configured).
        case ready
        /// `ReadyTimeoutSec=` passed.
        case readinessTimedOut(missing: [String])
        /// The processor crashed.
        case crashed(type: String)
        /// The probation timer fired.
        case probationElapsed
    }

    public enum Outcome: Equatable, Sendable {
        /// The new image came up and survived probation.
        case kept(firmware: String)
        /// It did not; the previous image runs again (`Result=rolled-back`).
        case rolledBack(to: String, reason: String)
        /// The rollback itself failed: the processor is left as it is, `reason` says why.
        case failed(reason: String)
    }

    enum Phase: Equatable {
        case stoppingForUpdate, startingNew, awaitingReady, probation
        case stoppingForRollback(reason: String), startingPrevious(reason: String)
        case done
    }

    let newFirmware: String
    let previousFirmware: String
    let probation: UInt64?
    private(set) var phase: Phase

    /// - Parameters:
    ///   - isUp: whether the processor is up now (then it is stopped first).
    ///   - probation: `UpdateProbationSec=` in µs; nil or 0: kept as soon as it is ready.
    init(newFirmware: String, previousFirmware: String, probation: UInt64?, isUp: Bool) {
        self.newFirmware = newFirmware
        self.previousFirmware = previousFirmware
        self.probation = probation
        phase = isUp ? .stoppingForUpdate : .startingNew
    }

    /// The first commands.
    func begin() -> [Command] {
        phase == .stoppingForUpdate ? [.record(step: "stop", outcome: "begin", firmware: previousFirmware), .stop] : startNew()
    }

    private func startNew() -> [Command] {
        [.record(step: "start", outcome: "begin", firmware: newFirmware), .start(firmware: newFirmware)]
    }

    var isDone: Bool { phase == .done }

    /// Takes in one event.
    mutating func handle(_ event: Event) -> [Command] {
        switch (phase, event) {
        case (.stoppingForUpdate, .stopped(let error)):
            if let error {
                phase = .done
                return [.record(step: "stop", outcome: "failed", firmware: previousFirmware),
                        .finish(.failed(reason: "Stopping it for the update failed: \(error)"))]
            }
            phase = .startingNew
            return [.record(step: "stop", outcome: "done", firmware: previousFirmware)] + startNew()
        case (.startingNew, .started(let error)):
            if let error { return rollBack("the new image did not start: \(error)", isUp: false, step: "start") }
            phase = .awaitingReady
            return [.record(step: "start", outcome: "done", firmware: newFirmware)]
        case (.awaitingReady, .ready):
            guard let probation, probation > 0 else { return keep() }
            phase = .probation
            return [.record(step: "ready", outcome: "done", firmware: newFirmware), .armProbation(probation)]
        case (.awaitingReady, .readinessTimedOut(let missing)):
            return rollBack("readiness timed out waiting for \(missing.map { "'\($0)'" }.joined(separator: ", "))", isUp: true, step: "ready")
        case (.awaitingReady, .crashed(let type)), (.startingNew, .crashed(let type)):
            return rollBack("the new image crashed (\(type)) before it was ready", isUp: true, step: "ready")
        case (.probation, .crashed(let type)):
            return [.cancelProbation] + rollBack("the new image crashed (\(type)) during probation", isUp: true, step: "probation")
        case (.probation, .probationElapsed):
            return keep()
        case (.stoppingForRollback(let reason), .stopped(let error)):
            if let error {
                phase = .done
                return [.record(step: "rollback-stop", outcome: "failed", firmware: newFirmware),
                        .finish(.failed(reason: "\(reason); stopping it to roll back failed: \(error)"))]
            }
            phase = .startingPrevious(reason: reason)
            return [.record(step: "rollback-stop", outcome: "done", firmware: newFirmware),
                    .record(step: "rollback-start", outcome: "begin", firmware: previousFirmware),
                    .start(firmware: previousFirmware)]
        case (.startingPrevious(let reason), .started(let error)):
            phase = .done
            if let error {
                return [.record(step: "rollback-start", outcome: "failed", firmware: previousFirmware),
                        .finish(.failed(reason: "\(reason); the previous image '\(previousFirmware)' did not start either: \(error)"))]
            }
            return [.record(step: "rollback-start", outcome: "done", firmware: previousFirmware),
                    .finish(.rolledBack(to: previousFirmware, reason: reason))]
        default:
            // Late or duplicate events (a crash while stopping for the rollback): nothing to do.
            return []
        }
    }

    private mutating func keep() -> [Command] {
        phase = .done
        return [.record(step: "keep", outcome: "done", firmware: newFirmware), .finish(.kept(firmware: newFirmware))]
    }

    private mutating func rollBack(_ reason: String, isUp: Bool, step: String) -> [Command] {
        let failed = Command.record(step: step, outcome: "failed", firmware: newFirmware)
        if isUp {
            phase = .stoppingForRollback(reason: reason)
            return [failed, .record(step: "rollback-stop", outcome: "begin", firmware: newFirmware), .stop]
        }
        phase = .startingPrevious(reason: reason)
        return [failed, .record(step: "rollback-start", outcome: "begin", firmware: previousFirmware), .start(firmware: previousFirmware)]
    }
}
