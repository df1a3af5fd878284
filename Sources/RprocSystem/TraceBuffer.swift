/// One trace buffer of a running processor: debugfs `sys/kernel/debug/remoteproc/remoteprocN/traceK`, one per
/// `RSC_TRACE` entry (kernel-contract.md §4). Created at boot, kept across recovery, removed at stop.
public struct TraceBuffer: Sendable, Hashable {
    public var device: String
    /// K in `traceK`: the trace entry's order in the resource table.
    public var index: Int
    /// The file under the root.
    public var path: String
}

/// What a read of a trace buffer gave.
public enum TraceContent: Sendable, Equatable {
    /// The bytes up to the first NUL, as text.
    case text(String)
    /// "Trace  not available": the kernel could not translate the buffer's device address.
    case notAvailable
    /// The file is gone: the processor stopped (or debugfs is not mounted).
    case vanished
}

extension KernelFiles {
    /// The debugfs directory of one processor.
    public func debugfsDirectory(_ device: String) throws -> String {
        _ = try remoteprocDirectory(device)  // validates the name
        return path("sys/kernel/debug/remoteproc/" + device)
    }

    /// The trace buffers of a processor, in index order; empty when it has none now (not running, no trace
    /// entries, or debugfs not mounted).
    public func traceBuffers(of device: String) throws -> [TraceBuffer] {
        let directory = try debugfsDirectory(device)
        let entries = try entriesIfPresent(directory)
        return entries.compactMap { entry in
            guard entry.hasPrefix("trace"), let index = Int(entry.dropFirst(5)) else { return nil }
            return TraceBuffer(device: device, index: index, path: directory + "/" + entry)
        }.sorted { $0.index < $1.index }
    }

    /// Reads a trace buffer afresh: the text up to the first NUL (`strnlen(va, len)` in `rproc_trace_read`).
    public func readTrace(_ buffer: TraceBuffer) throws -> TraceContent {
        let bytes: [UInt8]
        do {
            bytes = try operations.readWhole(buffer.path, chunkSize: 1 << 16, limit: 1 << 24)
        } catch let error as SystemError
            where error.errno == .noSuchFileOrDirectory || error.errno == .operationNotSupportedByDevice {
            return .vanished
        }
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        if text == "Trace  not available\n" { return .notAvailable }
        return .text(text)
    }
}
