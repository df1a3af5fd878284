import Synchronization
import SystemPackage

/// File operations that pass through to another implementation (by default the real one), record every
/// call, and fail chosen calls with a chosen errno: swift-system's mocking idea as a value you pass in
/// rather than a compile flag.
///
/// ```swift
/// let recorder = RecordingFileOperations()
/// recorder.fail(.write, pathSuffix: "/state", with: .resourceBusy)
/// let kernel = KernelFiles(root: board, operations: recorder)
/// ```
public final class RecordingFileOperations: FileOperations {
    /// A call that can be made to fail.
    public enum Call: Sendable, Hashable {
        case openForReading, openForWriting, read, write, status, directoryEntries, realPath, readLink
    }

    /// One recorded call, in the order made.
    public struct Event: Sendable, Equatable {
        public var call: Call
        public var path: String
        /// The bytes of a write; empty for other calls.
        public var bytes: [UInt8]
        /// The offset of a `pread`, nil for other calls.
        public var offset: Int64?
        /// The errno the call failed with, injected or real.
        public var failure: Errno?
    }

    /// A write that was attempted (a `write(2)` call), whether or not it succeeded.
    public struct AttemptedWrite: Sendable, Equatable {
        public var path: String
        public var bytes: [UInt8]
        public var failure: Errno?
        /// The bytes as text, for assertions.
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    private struct Fault {
        var call: Call
        var pathSuffix: String
        var errno: Errno
        var remaining: Int?
    }

    private struct State {
        var events: [Event] = []
        var faults: [Fault] = []
        var beforeWrite: (@Sendable (String, [UInt8]) -> Void)?
    }

    private let base: any FileOperations
    private let state = Mutex(State())

    public init(passingTo base: any FileOperations = SystemFileOperations()) {
        self.base = base
    }

    /// Makes the next `times` calls of `call` on a path ending in `pathSuffix` fail with `errno` without
    /// reaching the file system (every such call when `times` is nil).
    public func fail(_ call: Call, pathSuffix: String, with errno: Errno, times: Int? = 1) {
        state.withLock { $0.faults.append(Fault(call: call, pathSuffix: pathSuffix, errno: errno, remaining: times)) }
    }

    /// Runs `action` with the path and bytes just before each write reaches the file system (and before an
    /// injected failure): tests use it to play the kernel, e.g. to change `state` when `start` is written.
    public func beforeWrite(_ action: @escaping @Sendable (String, [UInt8]) -> Void) {
        state.withLock { $0.beforeWrite = action }
    }

    /// Every call made so far.
    public var events: [Event] { state.withLock { $0.events } }

    /// Every `write(2)` attempted so far.
    public var writes: [AttemptedWrite] {
        events.filter { $0.call == .write }.map { AttemptedWrite(path: $0.path, bytes: $0.bytes, failure: $0.failure) }
    }

    /// Forgets the recorded calls (the faults stay).
    public func clearEvents() { state.withLock { $0.events.removeAll() } }

    private func record<T>(
        _ call: Call, _ path: String, bytes: [UInt8] = [], offset: Int64? = nil, _ body: () throws -> T
    ) throws -> T {
        let injected: Errno? = state.withLock { state in
            guard let index = state.faults.firstIndex(where: { $0.call == call && path.hasSuffix($0.pathSuffix) }) else {
                return nil
            }
            let errno = state.faults[index].errno
            if let remaining = state.faults[index].remaining {
                if remaining <= 1 { state.faults.remove(at: index) } else { state.faults[index].remaining = remaining - 1 }
            }
            return errno
        }
        let operation = Self.operationName(call)
        if let injected {
            state.withLock { $0.events.append(Event(call: call, path: path, bytes: bytes, offset: offset, failure: injected)) }
            throw SystemError(operation: operation, path: path, errno: injected)
        }
        do {
            let value = try body()
            state.withLock { $0.events.append(Event(call: call, path: path, bytes: bytes, offset: offset, failure: nil)) }
            return value
        } catch let error as SystemError {
            state.withLock { $0.events.append(Event(call: call, path: path, bytes: bytes, offset: offset, failure: error.errno)) }
            throw error
        }
    }

    private static func operationName(_ call: Call) -> String {
        switch call {
        case .openForReading, .openForWriting: "open"
        case .read: "read"
        case .write: "write"
        case .status: "stat"
        case .directoryEntries: "open directory"
        case .realPath: "resolve"
        case .readLink: "read link"
        }
    }

    public func open(
        _ path: String, _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions
    ) throws -> OpenFile {
        let call: Call = access == .readOnly ? .openForReading : .openForWriting
        return try record(call, path) { try base.open(path, access, options: options) }
    }

    public func close(_ file: OpenFile) throws { try base.close(file) }

    public func read(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try record(.read, file.path) { try base.read(file, into: buffer) }
    }

    public func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try record(.read, file.path, offset: offset) { try base.pread(file, into: buffer, at: offset) }
    }

    public func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws -> Int {
        let copy = [UInt8](bytes)
        let hook = state.withLock { $0.beforeWrite }
        hook?(file.path, copy)
        return try record(.write, file.path, bytes: copy) { try base.write(file, bytes) }
    }

    public func status(of path: String, followingSymlinks: Bool) throws -> FileStatus {
        try record(.status, path) { try base.status(of: path, followingSymlinks: followingSymlinks) }
    }

    public func directoryEntries(_ path: String) throws -> [String] {
        try record(.directoryEntries, path) { try base.directoryEntries(path) }
    }

    public func realPath(_ path: String) throws -> String {
        try record(.realPath, path) { try base.realPath(path) }
    }

    public func readLink(_ path: String) throws -> String {
        try record(.readLink, path) { try base.readLink(path) }
    }
}
