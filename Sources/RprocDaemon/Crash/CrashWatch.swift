// The crash watchdog's pieces and how the manager wires them (issue #6). Each type is
// self-contained: the manager owns one set per processor, feeds them the events below on the loop
// thread, and carries out the kernel writes they ask for through its one write path (a Plan from
// RprocModel's Planner, run by `Executor.run` on the processor's worker).
//
// # INTEGRATION (what the manager must do)
//
// Shortest way: hold one `CrashWatch` (CrashWatchFacade.swift), implement `CrashWatchHost`, and call
//   `adopt(…)` at adoption/Reload (run the returned steps), `remove(device:)`, `mirrorEvents(_:device:…)`
//   from `Manager.apply`, `kernelLog(_:)` from KernelLogWatcher, `udev(_:)`, `poll()` with each poll,
//   `userOperation(_:device:)` before a user job (false → `Failed`), `exitSteps(current:)` at exit,
//   `busMethods(validate:)` for the Manager interface, `driver(_:)`/`log(_:last:)` for properties and
//   GetLog. The rest of this note says what it does inside, for wiring the pieces by hand.
//
// Crash detection. The manager now counts crashes with RprocModel's `ProcessorMirror` (observe,
// noteCrash, noteBoot). Two ways to drive the policy; pick ONE source of `CrashCount`:
//   (a) keep the mirror: pass every `MirrorEvent` that `Manager.apply` handles to
//       `driver.handle(event)` as well (it reacts to `.crashed` and `.crashTypeLearned`; the
//       manager keeps announcing `Crashed`/`Recovered` from the mirror);
//   (b) or replace the mirror's crash counting with `CrashDetector`, which also reads
//       "handling crash #N" (crashes lost between two inputs are counted: `CrashEvent.missed`) and
//       devcoredumps (a dump with no crash seen is one crash): feed it every `state` sample
//       (`detector.observe(state:at:)`), every `RemoteprocLogLine` of the processor
//       (`detector.kernelLog(line.event, at:)`), job begin/end (`jobStarted(_:)`,
//       `jobFinished(state:at:)`), each collected dump (`devcoredumpAppeared(at:)`), and at
//       adoption `detector.adopt(at:)`; pass each `CrashDetection` to `driver.handle(_:)`, which then
//       announces `Crashed`; `CrashCount` = `detector.crashCount`. CrashBoardTests wires (b).
//
// Per processor, at adoption (`Manager.adopt`), with `config` = `configuration.processor(name:device:)`:
//   - `driver = RestartDriver(device:, owner: config.recovery.owner, settings: config.restartSettings,
//      timer: LoopRestartTimer(loop:) { [weak driver] in driver?.timerFired() },
//      clock: { loop.now(CLOCK_REALTIME) })`, `driver.delegate = manager`; `update(owner:settings:)` on Reload.
//   - `trace = TraceFollower(device:, adoptingExisting: state.isUp)`.
//   - `CrashSettings.startSteps(owner:coredump: config.coredump.mode, current:state:)` → run those
//     steps through `Executor.run` on the processor's worker: `recovery ← disabled` for Owner=rprocd
//     (a crash then stays `crashed`, contract §3.3), `recovery ← enabled` for Owner=kernel,
//     `coredump ← Mode=` (left out while crashed: EBUSY; run `startSteps` again after a recovery).
// Jobs: a user `start`/`restart` calls `driver.userStarted()` (and may first call
//   `driver.admitUserStart()`: false → refuse with `Failed`), a user `stop` `driver.userStopped()`,
//   `ResetFailed` `driver.resetFailed()` next to `mirror.resetFailed()`.
// Coredumps: on a udev `add` of subsystem `devcoredump` (`UdevMonitor`), after every crash and with
//   every poll, submit `collector.collect(contexts)` on ONE dedicated SerialWorker ("rproc-coredump",
//   never the processor's worker: an `inline` dump must be read and released while that worker's
//   `recovery ← recover` write is still blocked in the kernel, CrashBoardTests shows it). `contexts`
//   maps each managed device to a `CoredumpContext` (firmware, `driver.lastCrashType`, counters,
//   `kernelLogTail.lines(of:)` — append every RemoteprocLogLine's text to one `KernelLogTail` —,
//   `trace.tail.lines`, `CoredumpRetention(config.coredump)`). Log each `problems` line + ", ignoring".
// Trace: while a processor is up, every `PollIntervalSec=` (and before a collection) on the scan worker
//   `TraceFollower.read(kernel, device:)`, then on the loop `trace.ingest(contents, at: now)`:
//   `forward` lines to the journal (fields DEVICE=, NAME=, TRACE_BUFFER=) and as `LogLines(as)`.
// Writes out (`RestartDriverDelegate.restartDriver(_:perform:completion:)`): plan
//   `Planner.plan(request.operation, firmware: request.firmware, …)`, begin it with
//   `mirror.beginJob(operation, job:, byPolicy: true)` (so the mirror's `RestartCount` agrees with
//   `driver.restartCount`), run it like any job (JobNew/JobRemoved; users get Busy meanwhile) and call
//   `completion(.succeeded(state:))` or `.failed(error:state:)`. A crashed processor's `recover` is
//   `recovery ← recover` (stop, dump, reload, start); the fallback's `restart` on a crashed processor
//   is recover, stop, `firmware ←`, start on CLASSIC kernels (stop on crashed is EINVAL there).
//   `restartDriverState` returns the processor's last state.
// D-Bus (docs/dbus-api.md): `announce` → `.crashed` → observer.crashed (path (b) only),
//   `.recovered` → observer.recovered, `.failed(reason)` → `mirror.enterFailed(result: driver.result,
//   reason:)` + observer.failed. Properties: `NextRestartUSec` = `driver.nextRestartUSec`,
//   `LastCrashType` = `driver.lastCrashTypeString`, `Result` = `driver.result` after a crash or a
//   policy decision, `Job` = `failed` while `driver.isFailed`. `GetLog(u n)` = `trace.log(last: n)`.
//   Manager methods: replace the three coredump placeholders in `BusAPI.managerDescription()` with
//   `CoredumpBusMethods.methods(store: CoredumpStore(stateDirectory:), validate: { _ = try lookup($0) })`.
// Clean exit (`Daemon` on SIGTERM, after the bus is closed): `CrashSettings.exitSteps(owner:…)` on each
//   processor's worker, waited for: Owner=rprocd hands recovery back (`recovery ← enabled`, which also
//   recovers a processor crashed now, so no crash goes unrecovered while rprocd is away).

import RprocModel

/// The kernel settings that `[Recovery] Owner=` and `[Coredump] Mode=` ask for.
public enum CrashSettings {
    /// The `recovery` mode rprocd keeps while it runs: `disabled` when it owns recovery (the
    /// kernel then leaves a crashed processor `crashed`, contract §3.3), else `enabled`.
    public static func recoveryMode(owner: RecoveryOwner) -> RecoveryMode {
        owner == .rprocd ? .disabled : .enabled
    }

    /// The writes to make when rprocd takes a processor over (start, hotplug, `Reload()`): `recovery`
    /// for `owner`, `coredump` for `coredump` (nil: leave it). Writes already in effect are left out,
    /// and so is `coredump` while crashed (EBUSY): call again once it is recovered.
    public static func startSteps(
        owner: RecoveryOwner, coredump: CoredumpMode?, current: (recovery: String, coredump: String), state: ProcessorState
    ) -> [PlanStep] {
        Planner.settings(
            recovery: recoveryMode(owner: owner), coredump: coredump,
            current: (RecoveryMode(sysfs: current.recovery), CoredumpMode(sysfs: current.coredump)), state: state)
    }

    /// The writes to make on a clean exit: Owner=rprocd gives recovery back (`enabled`, which also
    /// recovers a crashed processor now); Owner=kernel changes nothing.
    public static func exitSteps(owner: RecoveryOwner, currentRecovery: String, state: ProcessorState) -> [PlanStep] {
        guard owner == .rprocd else { return [] }
        return Planner.settings(
            recovery: .enabled, coredump: nil, current: (RecoveryMode(sysfs: currentRecovery), nil), state: state)
    }
}
