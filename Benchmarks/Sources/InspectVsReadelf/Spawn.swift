// Timing whole processes: posix_spawn, waitpid, CLOCK_MONOTONIC.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A command line to run many times, with stdout and stderr sent to /dev/null.
struct SpawnedCommand {
    let label: String
    let executable: String
    let arguments: [String]

    /// Runs the command once and returns its wall time and its CPU time (user + system, from
    /// `wait4`'s rusage) in nanoseconds, and its exit status. CPU time is less disturbed than wall
    /// time when other work shares the machine.
    func timedRun() -> (nanoseconds: UInt64, cpuNanoseconds: UInt64, status: Int32) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }

        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            fatalError("posix_spawn '\(executable)': \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        clock_gettime(CLOCK_MONOTONIC, &end)
        let cpu = nanoseconds(of: usage.ru_utime) + nanoseconds(of: usage.ru_stime)
        let wall = UInt64(end.tv_sec - start.tv_sec) * 1_000_000_000 + UInt64(end.tv_nsec) - UInt64(start.tv_nsec)
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (wall, cpu, exitStatus)
    }
}

func nanoseconds(of time: timeval) -> UInt64 {
    UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1000
}

/// Median and 99th percentile of a set of samples.
struct Summary {
    let median: Double
    let p99: Double
    let count: Int

    init(_ samples: [UInt64]) {
        let sorted = samples.sorted()
        count = sorted.count
        median = Double(sorted[sorted.count / 2])
        let rank = Int((0.99 * Double(sorted.count)).rounded(.up)) - 1
        p99 = Double(sorted[max(0, min(sorted.count - 1, rank))])
    }
}

/// Runs `command` and fails loudly on a non-zero exit, so a broken binary is never timed.
func runChecked(_ command: String, _ arguments: [String]) {
    let run = SpawnedCommand(label: command, executable: command, arguments: arguments).timedRun()
    guard run.status == 0 else {
        fatalError("'\(([command] + arguments).joined(separator: " "))' exited \(run.status)")
    }
}

/// The first of `candidates` that is an executable file.
func findExecutable(_ candidates: [String]) -> String? {
    candidates.first { access($0, X_OK) == 0 }
}
