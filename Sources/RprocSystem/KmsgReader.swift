import SystemPackage

/// What one step of reading `/dev/kmsg` gave.
public enum KmsgRead: Sendable, Equatable {
    /// The next record.
    case record(KmsgRecord)
    /// The ring overwrote records before they were read (`read` failed with EPIPE, or the sequence numbers
    /// jumped): this many were lost. The next call returns the record after the gap.
    case lost(UInt64)
    /// A record that could not be parsed (kept so the caller can say so, ignoring it).
    case malformed(KmsgParseError)
    /// No record now (EAGAIN): wait for the descriptor to become readable.
    case noMoreForNow
}

/// Reads the kernel log, `dev/kmsg` under the root, one record per `read(2)`, without blocking.
///
/// Give `fileDescriptor` to the event loop (poll for input), then call `next()` until it returns
/// `.noMoreForNow`.
public final class KmsgReader {
    public enum Start: Sendable { case oldestRecord, afterLastRecord }

    /// The open `/dev/kmsg` (O_RDONLY | O_NONBLOCK | O_CLOEXEC).
    public let file: OpenFile
    private let operations: any FileOperations
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)  // > CONSOLE_EXT_LOG_MAX (8 KiB): read never EINVAL
    private var pending: KmsgRecord?
    private var overrun = false  // an EPIPE was seen since the last record
    /// The sequence number of the last record returned.
    public private(set) var lastSequence: UInt64?

    /// Opens `dev/kmsg` under the root of `kernel`.
    ///
    /// - Parameter start: `.afterLastRecord` skips what is in the ring now (the records are read and dropped,
    ///   which works on the real device and on a virtual board alike).
    public init(kernel: KernelFiles, start: Start = .afterLastRecord) throws {
        operations = kernel.operations
        file = try operations.open(kernel.path("dev/kmsg"), .readOnly, options: [.nonBlocking])
        if start == .afterLastRecord {
            do {
                while true {
                    let step = try next()
                    if step == .noMoreForNow { break }
                }
            } catch {
                try? operations.close(file)
                throw error
            }
        }
    }

    /// The descriptor for the event loop to poll for input.
    public var fileDescriptor: FileDescriptor { file.descriptor }

    /// Reads the next record, a report of lost records, or `.noMoreForNow`.
    ///
    /// - Throws: `SystemError` for errors other than EAGAIN and EPIPE.
    public func next() throws -> KmsgRead {
        if let record = pending {
            pending = nil
            lastSequence = record.sequence
            return .record(record)
        }
        while true {
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { try operations.read(file, into: $0) }
            } catch let error as SystemError where error.errno == .brokenPipe {
                // The reader fell behind the ring; the kernel has moved it to the oldest record kept.
                overrun = true
                continue
            } catch let error as SystemError
                where error.errno == .resourceTemporarilyUnavailable || error.errno == .wouldBlock {
                return .noMoreForNow
            }
            if count == 0 { return .noMoreForNow }
            let record: KmsgRecord
            do {
                record = try KmsgRecord(parsing: buffer[0..<count])
            } catch let error as KmsgParseError {
                return .malformed(error)
            }
            let gap = lastSequence.map { record.sequence > $0 + 1 ? record.sequence - $0 - 1 : 0 } ?? 0
            overrun = false
            if gap > 0 {
                pending = record
                return .lost(gap)
            }
            lastSequence = record.sequence
            return .record(record)
        }
    }

    deinit { try? operations.close(file) }
}
