// Threads, one mutex with a condition variable, and the monotonic clock: the few pthread and clock
// calls the adapter needs, wrapped once.

import Glibc
import KernelSim

/// A recursive pthread mutex with one condition variable whose timed waits use `CLOCK_MONOTONIC`.
///
/// Recursive because libfuse may call an interrupt callback (which takes this lock) from inside
/// `fuse_req_interrupt_func`, which the adapter calls with the lock held.
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        var mutexAttributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&mutexAttributes)
        pthread_mutexattr_settype(&mutexAttributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &mutexAttributes)
        pthread_mutexattr_destroy(&mutexAttributes)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the mutex held.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Waits (the mutex held once by the caller) until signalled, or until the monotonic clock reaches
    /// `deadline` (nanoseconds of `CLOCK_MONOTONIC`); nil waits without a time limit.
    func wait(untilMonotonic deadline: UInt64?) {
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return
        }
        var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        pthread_cond_timedwait(condition, mutex, &time)
    }

    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Reads `CLOCK_MONOTONIC` in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// The board's clock: `SimTime` is the monotonic time since the board was mounted.
struct BoardClock: Sendable {
    let originNanoseconds: UInt64

    init() { originNanoseconds = monotonicNanoseconds() }

    var now: SimTime { SimTime(nanoseconds: monotonicNanoseconds() &- originNanoseconds) }

    /// The monotonic-clock reading at which the board reaches `time`.
    func monotonic(at time: SimTime) -> UInt64 { originNanoseconds &+ time.nanoseconds }
}

/// Starts a detached-from-Swift pthread running `body`; returns its id for `pthread_join`.
func startThread(_ body: @escaping () -> Void) -> pthread_t {
    final class Box { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    precondition(result == 0, "pthread_create failed: \(result)")
    return thread
}
