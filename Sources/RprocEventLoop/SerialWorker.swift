import Glibc

/// A thread that runs blocking work (a kernel write that lasts as long as a boot) one job at a time, in
/// submission order, and hands each result back to the loop.
///
/// The daemon keeps one per processor: writes to one processor are serialized, different processors
/// proceed in parallel, and the loop never blocks. The thread sleeps on a condition variable while idle.
public final class SerialWorker: @unchecked Sendable {
    /// The loop that submits work and receives the results.
    public let loop: EventLoop
    private let lock = ConditionLock()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private var thread: pthread_t?

    /// Starts the worker thread.
    ///
    /// - Parameters:
    ///   - name: the thread's name (at most 15 bytes are kept), e.g. `"rproc-m4"`.
    ///   - loop: where completions run.
    public init(name: String, loop: EventLoop) throws(SyscallError) {
        self.loop = loop
        let t = try spawnThread(name: name) { [unowned self] in self.serve() }
        lock.withLock { thread = t }
    }

    /// The thread holds the worker while it runs: call `shutdown()` to end it.
    deinit { shutdown() }

    /// Runs `work` on the worker thread after the jobs submitted before it, then `completion` with its
    /// result on the loop thread. Call on the loop thread.
    public func submit<T: Sendable>(_ work: @escaping @Sendable () -> T, completion: @escaping (T) -> Void) {
        loop.assertOnLoop()
        // The completion never leaves the loop thread: the job carries only its number.
        let id = nextCompletion
        nextCompletion += 1
        completions[id] = { completion($0 as! T) }
        let loop = self.loop
        enqueue { [self] in
            let result = work()
            loop.post { [self] in self.complete(id, result) }
        }
    }

    private var nextCompletion: UInt64 = 0
    private var completions: [UInt64: (Any) -> Void] = [:]

    private func complete(_ id: UInt64, _ result: any Sendable) {
        completions.removeValue(forKey: id)?(result)
    }

    /// Runs `work` on the worker thread without a completion.
    public func submit(_ work: @escaping @Sendable () -> Void) { enqueue(work) }

    /// Jobs queued or running.
    public var pendingCount: Int { lock.withLock { jobs.count + (busy ? 1 : 0) } }
    private var busy = false

    /// Lets the queued jobs finish, then stops and joins the thread. Idempotent. Completions that are
    /// still to be posted reach the loop only if it keeps running. Keep the worker alive until its last
    /// completion ran.
    public func shutdown() {
        let t: pthread_t? = lock.withLock {
            stopping = true
            defer { thread = nil }
            return thread
        }
        lock.broadcast()
        if let t, pthread_equal(t, pthread_self()) == 0 { pthread_join(t, nil) }
    }

    private func enqueue(_ job: @escaping @Sendable () -> Void) {
        lock.withLock {
            precondition(!stopping, "SerialWorker used after shutdown()")
            jobs.append(job)
        }
        lock.broadcast()
    }

    private func serve() {
        while true {
            let job: (@Sendable () -> Void)? = lock.withLock {
                busy = false
                while jobs.isEmpty && !stopping { lock.wait() }
                if jobs.isEmpty { return nil }
                busy = true
                return jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }
}
