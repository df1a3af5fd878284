import CRprocShims
import Glibc

/// A mutex with one condition variable, for the few places that must block a thread
/// (a worker waiting for work, a caller waiting for a spawned loop to come up).
package final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    package init() {
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on the condition; call only inside `withLock`.
    package func wait() { pthread_cond_wait(cond, mutex) }

    /// Wakes every waiter; call inside or outside `withLock`.
    package func broadcast() { pthread_cond_broadcast(cond) }
}

private final class ThreadBody {
    let name: String
    let body: () -> Void
    init(_ name: String, _ body: @escaping () -> Void) { self.name = name; self.body = body }
}

/// Starts a joinable POSIX thread running `body`, named `name` (at most 15 bytes are kept).
package func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) throws(SyscallError) -> pthread_t {
    let arg = Unmanaged.passRetained(ThreadBody(name, body)).toOpaque()
    var thread = pthread_t()
    let r = pthread_create(&thread, nil, { arg in
        let body = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
        rproc_shim_set_thread_name(body.name)
        body.body()
        return nil
    }, arg)
    if r != 0 {
        Unmanaged<ThreadBody>.fromOpaque(arg).release()
        throw SyscallError(operation: "pthread_create", errno: r)
    }
    return thread
}
