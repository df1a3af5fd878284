// The crash watchdog wired into the manager (issue #6; the pieces are in Crash/): the manager
// holds one `CrashWatch`, feeds it what it sees, and carries out its writes through its one write
// path on the processor's worker. Processors with no `*.rproc` file are adopted as they are and
// left alone (no `recovery`/`coredump` write, no policy): only a configured processor is watched.

import Glibc
import RprocEventLoop
import RprocModel
import RprocSystem

extension Manager {
    /// The processor's `*.rproc` configuration, if any.
    func config(of processor: ManagedProcessor) -> ProcessorConfig? {
        configuration?.processor(name: processor.name, device: processor.device)
    }

    /// Adoption and `Reload()`: gives the crash watch the processor's `[Recovery]`/`[Coredump]`
    /// and runs the writes that make them so (`recovery ← disabled` for Owner=rprocd, `coredump ←
    /// Mode=`). Unconfigured processors are not watched.
    func watchCrashes(of processor: ManagedProcessor) {
        guard let crashWatch else { return }
        guard let config = config(of: processor) else {
            crashWatch.remove(device: processor.device)
            return
        }
        let steps = crashWatch.adopt(
            device: processor.device, name: processor.name, state: processor.state, recovery: processor.recovery,
            coredump: processor.coredump, config: config)
        runSettings(steps, on: processor)
    }

    /// `Reload()`: every processor takes its (new) configuration.
    public func reloadCrashWatch() {
        loop.assertOnLoop()
        for processor in sortedProcessors { watchCrashes(of: processor) }
    }

    /// Runs setting writes (`recovery`, `coredump`) on the processor's worker, after any job queued there.
    func runSettings(_ steps: [PlanStep], on processor: ManagedProcessor) {
        guard !steps.isEmpty else { return }
        let kernel = self.kernel
        let device = processor.device
        let name = processor.name
        processor.worker.submit({ Executor.run(steps, kernel: kernel, device: device, name: name) }) { [weak self, weak processor] report in
            guard let self, let processor else { return }
            if let after = report.after {
                processor.recovery = after.recovery
                processor.coredump = after.coredump
            }
            if let error = report.error {
                self.logger.warning(
                    "Failed to apply the recovery settings of '\(name)': \(error.message) Ignoring.", metadata: self.metadata(processor))
            }
            self.observer?.processorChanged(processor)
        }
    }

    /// SIGTERM, after the bus is closed: Owner=rprocd hands `recovery` back to `enabled` (which also
    /// recovers a processor crashed now). Queued on each worker; `shutdown()` waits for them.
    public func handBackRecovery() {
        loop.assertOnLoop()
        guard let crashWatch else { return }
        var current: [String: (recovery: String, state: ProcessorState)] = [:]
        for processor in processors.values { current[processor.device] = (processor.recovery, processor.state) }
        let kernel = self.kernel
        for (device, steps) in crashWatch.exitSteps(current: current) where !steps.isEmpty {
            guard let processor = processors[device] else { continue }
            let name = processor.name
            let logger = self.logger
            logger.info("Handing the recovery of '\(name)' back to the kernel.", metadata: metadata(processor))
            processor.worker.submit {
                let report = Executor.run(steps, kernel: kernel, device: device, name: name)
                if let error = report.error {
                    logger.warning("Failed to hand the recovery of '\(name)' back to the kernel: \(error.message)")
                }
            }
        }
    }

    /// A user operation may run (`false` refuses it: the start limit is hit).
    func admitUserOperation(_ operation: Operation, _ processor: ManagedProcessor) -> DaemonError? {
        guard let crashWatch, crashWatch.userOperation(operation, device: processor.device) else {
            return crashWatch == nil
                ? nil
                : DaemonError(
                    .failed,
                    "'\(processor.name)' hit its start limit (StartLimitBurst=) and is failed; run reset-failed first.")
        }
        return nil
    }
}

extension Manager: CrashWatchHost {
    public func crashWatch(perform request: RestartRequest, on device: String, completion: @escaping (RestartOutcome) -> Void) {
        guard let processor = processors[device] else {
            later(completion, .failed(error: "The processor '\(device)' is gone.", state: .offline))
            return
        }
        if request.reason == .fallback, let firmware = request.firmware {
            logger.notice(
                "'\(processor.name)' hit its start limit with '\(processor.firmware)': booting the fallback firmware '\(firmware)' once (FallbackFirmware=).",
                metadata: metadata(processor))
        }
        if case .failureAction(let action) = request.reason { observer?.failureAction(action, processor: processor) }
        let accepted = begin(request.operation, on: processor, argument: request.firmware ?? "", byPolicy: true) {
            [weak processor] result in
            let state = processor?.state ?? .offline
            switch result {
            case .success: completion(.succeeded(state: state))
            case .failure(let error): completion(.failed(error: error.message, state: state))
            }
        }
        if case .failure(let error) = accepted {
            logger.warning(
                "Failed to \(request.operation.sysfsValue) '\(processor.name)' by policy: \(error.message)", metadata: metadata(processor))
            later(completion, .failed(error: error.message, state: processor.state))
        }
    }

    /// Calls `completion` on the loop after this turn (the driver is still deciding now).
    private func later(_ completion: @escaping (RestartOutcome) -> Void, _ outcome: RestartOutcome) {
        let bound = LoopBound(completion, loop: loop)
        loop.post { bound.value(outcome) }
    }

    public func crashWatchState(of device: String) -> ProcessorState {
        processors[device]?.state ?? .offline
    }

    public func crashWatch(announce signal: CrashSignal, on device: String) {
        guard let processor = processors[device] else { return }
        switch signal {
        case .crashed(let type, let count):
            observer?.crashed(processor, type: type, count: count)
        case .recovered(let restarts):
            logger.notice("Recovered '\(processor.name)' (restart #\(restarts)).", metadata: metadata(processor))
            observer?.recovered(processor)
        case .failed(let reason):
            logger.error("Remote processor '\(processor.name)' failed: \(reason)", metadata: metadata(processor))
            let result = crashWatch?.driver(device)?.result ?? .startLimitHit
            apply(processor.mirror.enterFailed(result: result, reason: reason), to: processor)
            saveCounters(processor)
        }
        observer?.processorChanged(processor)
    }

    public func crashWatch(traceLines: [TraceLine], on device: String) {
        guard let processor = processors[device] else { return }
        for line in traceLines {
            logger.info("\(processor.name)\(line.buffer.map { " trace\($0)" } ?? ""): \(line.text)", metadata: metadata(processor))
        }
        observer?.logLines(processor, lines: traceLines.map(\.text))
    }

    public func crashWatch(stored entry: CoredumpEntry, pruned: [String]) {
        logger.notice("Stored the coredump '\(entry.id)' of '\(entry.name)'.")
        for id in pruned { logger.info("Removed the coredump '\(id)' (retention).") }
    }

    public func crashWatch(problem: String) {
        logger.warning("\(problem), ignoring.")
    }

    public func crashWatchChanged(_ device: String) {
        guard let processor = processors[device] else { return }
        observer?.processorChanged(processor)
    }
}
