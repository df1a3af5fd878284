// The crash watchdog's pieces and how the manager wires them (issue #6). Each type is
// self-contained: the manager owns one set per processor, feeds them the events below on the loop
// thread, and carries out the kernel writes they ask for through its one write path (a Plan from
// RprocModel's Planner, run by `Executor.run` on the processor's worker).
//
// # INTEGRATION (what the manager must do)
//
// Per processor, at adoption (`Manager.adopt`), with `config` = `configuration.processor(name:device:)`:
//   - `detector = CrashDetector(device:, state:, crashCount: counters.crashes)`; then
//     `detector.adopt(at: now)` (a processor adopted `crashed` is one crash, evidence `adopted`).
//   - `driver = RestartDriver(device:, owner: config.recovery.owner, settings: config.restartSettings,
//      timer: LoopRestartTimer(loop:) { [weak driver] in driver?.timerFired() },
//      clock: { loop.now(CLOCK_REALTIME) })`, `driver.delegate = manager`.
//   - `trace = TraceFollower(device:, adoptingExisting: state.isUp)`.
//   - `CrashSettings.startSteps(...)` → run those steps (plan `.setFirmware`-like, job `.idle`) on the
//     processor's worker: `recovery ← disabled` for Owner=rprocd (a crash then stays `crashed`),
//     `recovery ← enabled` for Owner=kernel, `coredump ← Mode=` (left out while crashed: EBUSY;
//     call `startSteps` again after the next recovery).
// Events in (all on the loop):
//   - every `state` sample (`Manager.observe`, poll and the re-read after each write):
//     `detector.observe(state:at:)` → each detection to `driver.handle(_:)` and to the manager's
//     counters (`CrashCount` = `detector.crashCount`, `LastCrashUSec` = event.at, save them).
//   - `KernelLogWatcher.drain`: every `RemoteprocLogLine` of the processor to
//     `detector.kernelLog(line.event, at: now)` (→ `driver.handle`) and `kernelLogTail.append(device:, record.text)`.
//     "crash detected …" / "handling crash #N" are the event-driven path (ms after the crash).
//   - jobs: `detector.jobStarted(operation)` when a plan starts, `detector.jobFinished(state:at:)`
//     when it ends (→ `driver.handle`); a user `start`/`restart` also calls `driver.userStarted()`
//     (and may first call `driver.admitUserStart()`: false → refuse with `Failed`), a user `stop`
//     `driver.userStopped()`, `ResetFailed` `driver.resetFailed()`.
//   - udev (`UdevMonitor`, subsystem `devcoredump`, action `add`), every crash detection and every
//     poll: submit `collector.collect(contexts)` on ONE dedicated SerialWorker ("rproc-coredump",
//     never the processor's worker: an `inline` dump must be read and released while that worker's
//     `recovery ← recover` write is still blocked in the kernel). `contexts` maps each managed device
//     to a `CoredumpContext` (firmware, `driver.lastCrashType`, counters, `kernelLogTail.lines(of:)`,
//     `trace.tail.lines`, `CoredumpRetention(config.coredump)`). For each `collected` entry call
//     `detector.devcoredumpAppeared(at:)` (→ `driver.handle`); log each `problems` line + ", ignoring".
//   - trace: while the processor is up, every second (and before a collection) on the scan worker
//     `TraceFollower.read(kernel, device:)`, then on the loop `trace.ingest(contents, at: now)`:
//     `forward` lines to the journal (fields DEVICE=, NAME=, TRACE_BUFFER=) and as `LogLines(as)`.
// Writes out (`RestartDriverDelegate.restartDriver(_:perform:completion:)`): plan
// `Planner.plan(request.operation, firmware: request.firmware, …)` with `byPolicy` semantics
// (`recover` on a crashed processor is `recovery ← recover`: stop, dump, reload, start; the fallback's
// `restart` on a crashed processor is recover, stop, `firmware ←`, start on CLASSIC), run it like any
// job (JobNew/JobRemoved, Busy for users meanwhile) and call `completion(.succeeded(state:))` or
// `.failed(error:state:)`. `restartDriverState` returns the processor's last state.
// D-Bus (docs/dbus-api.md): `announce` → signals `Crashed(s,u)`, `Recovered(u)`, `Failed(s)` on the
// processor object; properties `RestartCount` = `driver.restartCount`, `Result` = `driver.result`
// (when no job result is newer), `NextRestartUSec` = `driver.nextRestartUSec`, `LastCrashType` =
// `driver.lastCrashTypeString`, `Job` = `failed` while `driver.isFailed`; `GetLog(u n)` =
// `trace.log(last: n)`; Manager `ListCoredumps`/`DescribeCoredump`/`OpenCoredump` from
// `CoredumpStore(stateDirectory:)` (`list`, `describe`, `open`; `NoSuchCoredump` → error
// `org.daybreak.RemoteProc1.Error.NoSuchCoredump`; the fd is sent as `h` and closed after the reply).
// Clean exit (`Daemon` on SIGTERM, after the bus is closed): `CrashSettings.exitSteps(owner:)` on each
// processor's worker, waited for: Owner=rprocd hands recovery back (`recovery ← enabled`, which also
// recovers a processor that is crashed now, so no crash goes unrecovered while rprocd is away).

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
