// start, stop, restart, detach, attach, recover: queue a job with EnqueueJob, wait for its
// JobRemoved, and print the state the kernel settled in (docs/dbus-api.md, Manager).

import ArgumentParser
import RprocBus
import RprocJSON

/// The options of a job verb.
struct JobOptions: ParsableArguments {
    @OptionGroup var daemon: DaemonOptions

    @Flag(name: .customLong("no-block"), help: "Return once the job is queued, without waiting for it to finish.")
    var noBlock = false
}

/// One job and how it ended.
struct JobOutcome {
    var id: UInt32
    var operation: String
    var path: String
    var device: String
    var name: String
    /// The settled kernel state, after the job (nil with --no-block).
    var state: String?
    /// The processor's `Result` after the job (nil with --no-block).
    var result: String?
    var errorName: String = ""
    var errorMessage: String = ""

    var json: JSONValue {
        .object(JSONObject([
            ("job", .number(id)), ("device", .string(device)), ("name", .string(name)), ("operation", .string(operation)),
            ("result", .string(orNull: result)), ("state", .string(orNull: state)),
            ("errorName", .string(errorName)), ("errorMessage", .string(errorMessage)),
        ]))
    }
}

/// Queues `operation` on each of `names`, waits for every accepted job unless `--no-block`, and
/// prints a table of the jobs. Returns the exit code of the first failure.
func runJobs(_ operation: String, on names: [String], argument: String = "", _ options: JobOptions, _ context: OutputContext) throws
    -> ExitStatus
{
    let out = options.daemon
    let daemon = try out.connect()
    /// JobRemoved arguments by job id; subscribed before queueing, since a job that needs no
    /// kernel write is over before EnqueueJob even replies.
    final class Removed { var byID: [UInt32: [BusValue]] = [:] }
    let removed = Removed()
    let subscription = options.noBlock ? nil : try daemon.subscribe(interface: DaemonClient.managerInterface, member: "JobRemoved") { signal in
        if let id = signal.arguments.first?.uint32 { removed.byID[id] = signal.arguments }
    }
    defer { subscription?.cancel() }
    var firstFailure: ExitStatus?
    var jobs: [JobOutcome] = []
    if operation == "stop", !options.noBlock {
        // Stop() first stops the processors that Requires= this one: every job it runs is shown.
        final class Started { var jobs: [(id: UInt32, device: String, operation: String)] = [] }
        let started = Started()
        let new = try daemon.subscribe(interface: DaemonClient.managerInterface, member: "JobNew") { signal in
            let a = signal.arguments
            if a.count == 3, let id = a[0].uint32, let device = a[1].string, let op = a[2].string { started.jobs.append((id, device, op)) }
        }
        defer { new.cancel() }
        for name in names {
            let before = started.jobs.count
            do {
                let path = try daemon.processorPath(name)
                _ = try daemon.call(path, DaemonClient.processorInterface, "Stop", timeoutMicroseconds: 10 * 60 * 1_000_000)
            } catch {
                _ = try? daemon.wait(timeoutMicroseconds: 0)
                // A job that ran and failed is reported with its JobRemoved below.
                if started.jobs.count == before { report(error) }
                firstFailure = firstFailure ?? error.status
            }
        }
        _ = try daemon.wait(timeoutMicroseconds: 0)
        for job in started.jobs where job.operation == "stop" {
            let path = ObjectPath.encode(prefix: DaemonClient.processorPrefix, id: job.device)
            jobs.append(JobOutcome(id: job.id, operation: job.operation, path: path, device: job.device, name: job.device))
        }
    } else {
        for name in names {
            do {
                let (id, path) = try daemon.enqueueJob(name, operation, argument)
                jobs.append(JobOutcome(id: id, operation: operation, path: path, device: DaemonClient.device(ofPath: path) ?? "", name: name))
            } catch {
                report(error)
                firstFailure = firstFailure ?? error.status
            }
        }
    }
    if !options.noBlock {
        while !jobs.allSatisfy({ removed.byID[$0.id] != nil }) {
            try daemon.wait(timeoutMicroseconds: 1_000_000)
        }
    }
    for index in jobs.indices {
        let properties = try daemon.properties(jobs[index].path)
        jobs[index].device = properties.device
        jobs[index].name = properties.name
        guard let signal = removed.byID[jobs[index].id], signal.count == 6 else { continue }
        jobs[index].state = properties.state
        jobs[index].result = signal[3].string ?? ""
        jobs[index].errorName = signal[4].string ?? ""
        jobs[index].errorMessage = signal[5].string ?? ""
        if !jobs[index].errorName.isEmpty {
            let failure = CommandFailure(
                "Failed to \(operation) '\(jobs[index].name)': \(jobs[index].errorMessage)",
                status: daemon.codes.status(forErrorName: jobs[index].errorName))
            report(failure)
            firstFailure = firstFailure ?? failure.status
        }
    }
    if jobs.isEmpty { return firstFailure ?? .success }
    if !out.printJSON(.array(jobs.map(\.json))) {
        var columns: [Table.Column] = [.init("JOB", .right), .init("DEVICE"), .init("NAME"), .init("OPERATION")]
        if !options.noBlock { columns += [.init("RESULT"), .init("STATE")] }
        var table = Table(columns)
        for job in jobs {
            var cells = [Table.Cell("\(job.id)"), Table.Cell(job.device), Table.Cell(terminalSafe(job.name)), Table.Cell(job.operation)]
            if let result = job.result, let state = job.state {
                cells += [Table.Cell(result, style: outcomeStyle(result)), stateCell(state)]
            }
            table.append(cells)
        }
        let legend = "\(jobs.count) job\(jobs.count == 1 ? "" : "s") \(options.noBlock ? "queued" : "finished")."
        out.print(out.render(table, legend: legend, styler: context.styler))
    }
    return firstFailure ?? .success
}

/// The `NAME…` argument of the job verbs.
private let namesHelp = ArgumentHelp("Processors: names (m4) or devices (remoteproc0).", valueName: "name")
private let nameHelp = ArgumentHelp("The processor: its name (m4) or device (remoteproc0).", valueName: "name")
private let firmwareHelp = ArgumentHelp(
    "Boot this firmware (a name in the kernel's firmware search path) instead of the one set.", valueName: "file")
private let waitDiscussion = """
    Waits until the job is over and prints the job, its result and the kernel state it left; \
    --no-block returns once the job is queued. With --json, an array of {"job", "device", "name", \
    "operation", "result", "state", "errorName", "errorMessage"} (result and state null with --no-block).
    """

struct StartCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Boot offline processors, or attach detached ones.", discussion: waitDiscussion)
    @OptionGroup var options: JobOptions
    @Option(name: .customLong("firmware"), help: firmwareHelp) var firmware: String = ""
    @Argument(help: namesHelp, completion: .custom(completeProcessorNames)) var names: [String]
    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        try runJobs("start", on: names, argument: firmware, options, context)
    }
}

struct StopCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop running, attached or crashed processors.", discussion: waitDiscussion)
    @OptionGroup var options: JobOptions
    @Argument(help: namesHelp, completion: .custom(completeProcessorNames)) var names: [String]
    mutating func execute(_ context: OutputContext) throws -> ExitStatus { try runJobs("stop", on: names, options, context) }
}

struct RestartCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Stop processors, then boot them again.", discussion: waitDiscussion)
    @OptionGroup var options: JobOptions
    @Option(name: .customLong("firmware"), help: firmwareHelp) var firmware: String = ""
    @Argument(help: namesHelp, completion: .custom(completeProcessorNames)) var names: [String]
    mutating func execute(_ context: OutputContext) throws -> ExitStatus {
        try runJobs("restart", on: names, argument: firmware, options, context)
    }
}

struct DetachCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "detach", abstract: "Detach from an attached processor, leaving its firmware running.", discussion: waitDiscussion)
    @OptionGroup var options: JobOptions
    @Argument(help: nameHelp, completion: .custom(completeProcessorNames)) var name: String
    mutating func execute(_ context: OutputContext) throws -> ExitStatus { try runJobs("detach", on: [name], options, context) }
}

struct AttachCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Attach to a detached processor's running firmware.", discussion: waitDiscussion)
    @OptionGroup var options: JobOptions
    @Argument(help: nameHelp, completion: .custom(completeProcessorNames)) var name: String
    mutating func execute(_ context: OutputContext) throws -> ExitStatus { try runJobs("attach", on: [name], options, context) }
}

struct RecoverCommand: VerbCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover", abstract: "Recover a crashed processor through the kernel's recovery.", discussion: waitDiscussion)
    @OptionGroup var options: JobOptions
    @Argument(help: nameHelp, completion: .custom(completeProcessorNames)) var name: String
    mutating func execute(_ context: OutputContext) throws -> ExitStatus { try runJobs("recover", on: [name], options, context) }
}
