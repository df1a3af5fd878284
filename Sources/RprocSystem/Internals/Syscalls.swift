// The syscalls funnel: every libc call RprocSystem makes goes through one `system_<call>` function here,
// and every result through `syscall(_:path:retryOnInterrupt:_:)`, which owns the EINTR retry and turns errno
// into `SystemError`. Modelled on swift-system's `Internals/Syscalls.swift` and NIO's `syscall(blocking:)`.

import Glibc
import SystemPackage

// MARK: - One function per libc call

@inline(__always) func system_errno() -> CInt { Glibc.errno }

@inline(__always) func system_open(_ path: UnsafePointer<CChar>, _ flags: CInt, _ mode: mode_t) -> CInt {
    Glibc.open(path, flags, mode)
}

@inline(__always) func system_close(_ fd: CInt) -> CInt { Glibc.close(fd) }

@inline(__always) func system_read(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    Glibc.read(fd, buffer, count)
}

@inline(__always) func system_pread(
    _ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: off_t
) -> Int {
    Glibc.pread(fd, buffer, count, offset)
}

@inline(__always) func system_write(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    Glibc.write(fd, buffer, count)
}

@inline(__always) func system_lseek(_ fd: CInt, _ offset: off_t, _ whence: CInt) -> off_t {
    Glibc.lseek(fd, offset, whence)
}

@inline(__always) func system_fsync(_ fd: CInt) -> CInt { Glibc.fsync(fd) }

@inline(__always) func system_fchmod(_ fd: CInt, _ mode: mode_t) -> CInt { Glibc.fchmod(fd, mode) }

@inline(__always) func system_fstat(_ fd: CInt, _ buffer: UnsafeMutablePointer<stat>) -> CInt {
    fstat(fd, buffer)
}

@inline(__always) func system_stat(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>) -> CInt {
    stat(path, buffer)
}

@inline(__always) func system_lstat(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>) -> CInt {
    lstat(path, buffer)
}

@inline(__always) func system_readlink(
    _ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int
) -> Int {
    Glibc.readlink(path, buffer, size)
}

@inline(__always) func system_realpath(_ path: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>? {
    Glibc.realpath(path, nil)
}

@inline(__always) func system_free(_ pointer: UnsafeMutableRawPointer?) { Glibc.free(pointer) }

@inline(__always) func system_opendir(_ path: UnsafePointer<CChar>) -> OpaquePointer? { Glibc.opendir(path) }

@inline(__always) func system_readdir(_ dir: OpaquePointer) -> UnsafeMutablePointer<dirent>? {
    Glibc.readdir(dir)
}

@inline(__always) func system_closedir(_ dir: OpaquePointer) -> CInt { Glibc.closedir(dir) }

@inline(__always) func system_rename(_ old: UnsafePointer<CChar>, _ new: UnsafePointer<CChar>) -> CInt {
    Glibc.rename(old, new)
}

@inline(__always) func system_unlink(_ path: UnsafePointer<CChar>) -> CInt { Glibc.unlink(path) }

@inline(__always) func system_mmap(
    _ length: Int, _ protection: CInt, _ flags: CInt, _ fd: CInt, _ offset: off_t
) -> UnsafeMutableRawPointer? {
    Glibc.mmap(nil, length, protection, flags, fd, offset)
}

@inline(__always) func system_munmap(_ address: UnsafeMutableRawPointer, _ length: Int) -> CInt {
    Glibc.munmap(address, length)
}

@inline(__always) func system_uname(_ buffer: UnsafeMutablePointer<utsname>) -> CInt { Glibc.uname(buffer) }

@inline(__always) func system_access(_ path: UnsafePointer<CChar>, _ mode: CInt) -> CInt {
    Glibc.access(path, mode)
}

// MARK: - The one result helper

/// Runs `body` until it does not fail with EINTR (unless `retryOnInterrupt` is false) and returns its value,
/// or throws `SystemError` with `operation`, `path` and the errno.
///
/// EBADF and EFAULT can only mean a bug in rprocd (a closed descriptor, a bad buffer): they stop the
/// process with a precondition instead of being thrown, as NIO does.
@inline(__always)
func syscall<T: FixedWidthInteger>(
    _ operation: String, path: String?, retryOnInterrupt: Bool = true, _ body: () -> T
) throws -> T {
    while true {
        let value = body()
        if value != -1 { return value }
        if let error = failure(operation, path: path, retryOnInterrupt: retryOnInterrupt) { throw error }
    }
}

/// `syscall` for calls that report failure with a NULL pointer.
@inline(__always)
func syscallPointer<P>(
    _ operation: String, path: String?, retryOnInterrupt: Bool = true, _ body: () -> P?
) throws -> P {
    while true {
        if let pointer = body() { return pointer }
        if let error = failure(operation, path: path, retryOnInterrupt: retryOnInterrupt) { throw error }
    }
}

/// The error for the errno just set, or nil when the call is to be retried (EINTR).
@inline(__always)
private func failure(_ operation: String, path: String?, retryOnInterrupt: Bool) -> SystemError? {
    let code = system_errno()
    if code == EINTR && retryOnInterrupt { return nil }
    precondition(code != EBADF && code != EFAULT, "\(operation)(\(path ?? "")) failed with a programming error: errno \(code)")
    return SystemError(operation: operation, path: path, errno: Errno(rawValue: code))
}
