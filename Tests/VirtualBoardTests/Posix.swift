// Plain open/read/write/poll through a mounted board, returning errno values, for black-box tests.

import Glibc

/// Why a system call failed.
struct Errno: Error, Equatable, CustomStringConvertible {
    let code: Int32
    var description: String { String(cString: strerror(code)) + " (\(code))" }
    static let ENOENT = Errno(code: Glibc.ENOENT), EINVAL = Errno(code: Glibc.EINVAL)
    static let EACCES = Errno(code: Glibc.EACCES), EBUSY = Errno(code: Glibc.EBUSY)
    static let EAGAIN = Errno(code: Glibc.EAGAIN), EPERM = Errno(code: Glibc.EPERM)
    static let ETXTBSY = Errno(code: Glibc.ETXTBSY), EINTR = Errno(code: Glibc.EINTR)
    static let ENODEV = Errno(code: Glibc.ENODEV), EIO = Errno(code: Glibc.EIO)
}

/// An open file descriptor, closed on deinit.
final class FD {
    let raw: Int32
    init(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(Errno) {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Errno(code: errno) }
        raw = fd
    }
    deinit { close(raw) }

    /// One read(2).
    func read(_ size: Int = 4096) throws(Errno) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: size)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(raw, $0.baseAddress, size) }
        guard count >= 0 else { throw Errno(code: errno) }
        return Array(buffer[0..<count])
    }

    /// One pread(2).
    func pread(_ size: Int = 4096, at offset: Int) throws(Errno) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: size)
        let count = buffer.withUnsafeMutableBytes { Glibc.pread(raw, $0.baseAddress, size, off_t(offset)) }
        guard count >= 0 else { throw Errno(code: errno) }
        return Array(buffer[0..<count])
    }

    /// One write(2).
    @discardableResult
    func write(_ bytes: [UInt8]) throws(Errno) -> Int {
        let count = bytes.withUnsafeBytes { Glibc.write(raw, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw Errno(code: errno) }
        return count
    }

    /// poll(2) for `events`; returns the revents (0 on timeout).
    func poll(_ events: Int32 = Int32(POLLIN), timeoutMilliseconds: Int32) -> Int32 {
        var entry = pollfd(fd: raw, events: Int16(events), revents: 0)
        let result = Glibc.poll(&entry, 1, timeoutMilliseconds)
        return result > 0 ? Int32(entry.revents) : 0
    }
}

/// open + one read + close, as text.
func readText(_ path: String) throws(Errno) -> String {
    let fd = try FD(path, O_RDONLY)
    return String(decoding: try fd.read(), as: UTF8.self)
}

/// open + one write(2) + close; returns the byte count.
@discardableResult
func writeText(_ path: String, _ text: String, create: Bool = false) throws(Errno) -> Int {
    let fd = try FD(path, create ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY)
    return try fd.write(Array(text.utf8))
}

/// The errno of `body`, or nil when it succeeded.
func errnoOf<T>(_ body: () throws -> T) -> Errno? {
    do {
        _ = try body()
        return nil
    } catch let error as Errno {
        return error
    } catch {
        return Errno(code: -1)
    }
}

func lstatMode(_ path: String) throws(Errno) -> stat {
    var info = stat()
    guard lstat(path, &info) == 0 else { throw Errno(code: errno) }
    return info
}

/// Whether FUSE can be used here (the reason when not).
let fuseMissingReason: String? = {
    if access("/dev/fuse", F_OK) != 0 { return "/dev/fuse is missing (modprobe fuse; apt-get install fuse3)" }
    let fd = Glibc.open("/dev/fuse", O_RDWR)
    if fd < 0 { return "/dev/fuse cannot be opened: \(String(cString: strerror(errno)))" }
    close(fd)
    return nil
}()

let fuseAvailable: Bool = {
    if let reason = fuseMissingReason { print("Skipping FUSE tests: \(reason)") }
    return fuseMissingReason == nil
}()

/// A fresh temporary directory.
func makeTemporaryDirectory(_ label: String) -> String {
    var template = Array("/tmp/\(label).XXXXXX".utf8CString)
    let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(result != nil, "mkdtemp failed")
    return String(cString: result!)
}
