// Follows the remote's own log: the debugfs `traceN` buffers (kernel-contract.md §4), rings the
// remote writes into and the kernel shows up to the first NUL. Each read is compared with the
// previous one to find what is new (growth, wrap-around, a buffer zeroed by a new boot); a buffer
// that vanishes (stop, failed boot) ends its partial line. New lines go to the journal
// rate-limited; the last ones are kept for `GetLog` and the coredump metadata.

import RprocSystem

/// The last `capacity` lines of something, oldest first.
public struct LineRing: Sendable, Hashable {
    public let capacity: Int
    private var storage: [String] = []
    private var start = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public mutating func append(_ line: String) {
        if storage.count < capacity {
            storage.append(line)
        } else {
            storage[start] = line
            start = (start + 1) % capacity
        }
    }

    /// Oldest first.
    public var lines: [String] { Array(storage[start...] + storage[..<start]) }

    /// The last `count` lines (all when `count` is 0 or larger than what is kept).
    public func last(_ count: Int) -> [String] {
        let all = lines
        return count == 0 || count >= all.count ? all : Array(all.suffix(count))
    }

    public var count: Int { storage.count }
}

/// The kernel log lines of each processor, kept for the coredump metadata ("the lines around the
/// crash"). Loop-owned: feed it every `RemoteprocLogLine`.
public struct KernelLogTail: Sendable {
    public let capacity: Int
    private var rings: [String: LineRing] = [:]

    public init(capacity: Int = 50) { self.capacity = capacity }

    public mutating func append(device: String, _ text: String) {
        rings[device, default: LineRing(capacity: capacity)].append(text)
    }

    public func lines(of device: String) -> [String] { rings[device]?.lines ?? [] }

    /// A processor that went away.
    public mutating func forget(_ device: String) { rings[device] = nil }
}

/// A trace line to forward.
public struct TraceLine: Hashable, Sendable {
    /// K of `traceK`; nil for rprocd's own "N lines suppressed" notice.
    public var buffer: Int?
    public var text: String
}

/// What one `ingest` found.
public struct TraceOutput: Hashable, Sendable {
    /// For the journal (with the processor's fields) and the `LogLines` signal, after rate limiting.
    public var forward: [TraceLine] = []
    /// Every new line, before rate limiting (all went into the tail).
    public var newLineCount = 0
    /// Buffers that wrapped around since the last read (their boundary line may be cut).
    public var wrapped: [Int] = []
    /// Buffers that vanished (the processor stopped).
    public var vanished: [Int] = []
}

/// The trace follower of one processor. Loop-owned, and so are its reads (`read(_:device:)`).
public struct TraceFollower: Sendable {
    public let device: String
    /// Lines per window forwarded; more are counted and announced as suppressed.
    public var rateBurst: Int
    /// µs.
    public var rateInterval: UInt64
    /// The last lines of every buffer (not rate-limited): `GetLog`, coredump metadata.
    public private(set) var tail: LineRing

    private var buffers: [Int: BufferState] = [:]
    private var windowStart: UInt64?
    private var windowCount = 0
    private var suppressed = 0

    struct BufferState: Sendable {
        var previous: [UInt8] = []
        var partial: [UInt8] = []
        /// The content seen at adoption: kept in the tail, not forwarded again.
        var primed: Bool
    }

    /// - Parameters:
    ///   - adoptingExisting: the processor was already running when rprocd adopted it: what its
    ///     buffers hold now goes into the tail but is not forwarded again (a previous rprocd did).
    public init(device: String, adoptingExisting: Bool, tailLines: Int = 200, rateBurst: Int = 100, rateInterval: UInt64 = 10_000_000) {
        self.device = device
        self.tail = LineRing(capacity: tailLines)
        self.rateBurst = rateBurst
        self.rateInterval = rateInterval
        self.adopting = adoptingExisting
    }

    private var adopting: Bool

    /// Off the loop: reads every trace buffer of `device`.
    public static func read(_ kernel: KernelFiles, device: String) -> [Int: TraceContent] {
        guard let buffers = try? kernel.traceBuffers(of: device) else { return [:] }
        var contents: [Int: TraceContent] = [:]
        for buffer in buffers { contents[buffer.index] = (try? kernel.readTrace(buffer)) ?? .vanished }
        return contents
    }

    /// Takes one read of the buffers (`read(_:device:)`): buffers absent from `contents` vanished.
    public mutating func ingest(_ contents: [Int: TraceContent], at now: UInt64) -> TraceOutput {
        var output = TraceOutput()
        var fresh: [TraceLine] = []
        for index in buffers.keys.sorted() where contents[index] == nil || contents[index] == .vanished {
            if let state = buffers.removeValue(forKey: index), !state.partial.isEmpty {
                fresh.append(TraceLine(buffer: index, text: String(decoding: state.partial, as: UTF8.self)))
            }
            output.vanished.append(index)
        }
        for index in contents.keys.sorted() {
            guard case .text(let text) = contents[index] else { continue }
            var state = buffers[index] ?? BufferState(primed: adopting)
            let current = Array(text.utf8)
            let (new, wrapped) = Self.difference(previous: state.previous, current: current)
            if wrapped { output.wrapped.append(index) }
            state.previous = current
            var stream = state.partial + new
            var lines: [String] = []
            while let newline = stream.firstIndex(of: 0x0A) {
                lines.append(String(decoding: stream[..<newline], as: UTF8.self))
                stream.removeSubrange(...newline)
            }
            // A last line without its newline is held for one read; unchanged at the next, it is
            // complete (remotes often write text without a final newline).
            if !stream.isEmpty, new.isEmpty, !wrapped {
                lines.append(String(decoding: stream, as: UTF8.self))
                stream = []
            }
            state.partial = stream
            if state.primed {
                for line in lines { tail.append(line) }
                state.primed = false
            } else {
                fresh += lines.map { TraceLine(buffer: index, text: $0) }
            }
            buffers[index] = state
        }
        adopting = false
        output.newLineCount = fresh.count
        for line in fresh { tail.append(line.text) }
        output.forward = rateLimit(fresh, at: now)
        return output
    }

    /// The bytes written since `previous`, in the order written. The buffer is read from offset 0
    /// each time, so a byte keeps its position: what changed is the region `a..<w` where `current`
    /// and `previous` differ (widened to whole lines, since a rewritten byte can equal the old one),
    /// plus any bytes past the previous end. After a wrap-around those were written first (the
    /// remote filled the end, then rewrote the start). A buffer zeroed and refilled by a new boot
    /// differs everywhere, or repeats the old start and is shorter: it comes out whole.
    static func difference(previous: [UInt8], current: [UInt8]) -> (new: ArraySlice<UInt8>, wrapped: Bool) {
        if current.starts(with: previous) { return (current[previous.count...], false) }
        let newline = UInt8(ascii: "\n")
        let common = min(previous.count, current.count)
        var a = 0
        while a < common, current[a] == previous[a] { a += 1 }
        if a == common { return (current[...], true) }  // shorter, agreeing: a restart with the same start
        var w = common
        while w > a + 1, current[w - 1] == previous[w - 1] { w -= 1 }
        while a > 0, current[a - 1] != newline { a -= 1 }
        while w < common, current[w - 1] != newline { w += 1 }
        if w == common { return (current[a...], true) }
        let appended = current.count > previous.count ? current[previous.count...] : []
        return (appended + current[a..<w], true)
    }

    /// The processor booted again (a recovery, a restart): the kernel allocates the trace buffers
    /// anew at every boot (`rproc_handle_trace`), so what the next read shows is new even when it
    /// reads as the last one did (the same banner in the same place, rewritten between two polls).
    /// A line held incomplete is complete now.
    ///
    /// - Returns: the held lines to forward.
    public mutating func rebooted(at now: UInt64) -> [TraceLine] {
        var held: [TraceLine] = []
        for index in buffers.keys.sorted() where !(buffers[index]?.partial.isEmpty ?? true) {
            held.append(TraceLine(buffer: index, text: String(decoding: buffers[index]!.partial, as: UTF8.self)))
        }
        buffers = [:]
        adopting = false
        for line in held { tail.append(line.text) }
        return rateLimit(held, at: now)
    }

    /// systemd-journald's style: `burst` lines per `interval`, then one notice for the rest.
    mutating func rateLimit(_ lines: [TraceLine], at now: UInt64) -> [TraceLine] {
        var out: [TraceLine] = []
        for line in lines {
            if windowStart == nil || now < windowStart! || now - windowStart! >= rateInterval {
                if suppressed > 0 { out.append(suppressionNotice()) }
                windowStart = now
                windowCount = 0
            }
            if windowCount < rateBurst {
                windowCount += 1
                out.append(line)
            } else {
                suppressed += 1
            }
        }
        if lines.isEmpty, suppressed > 0, let start = windowStart, now >= start, now - start >= rateInterval {
            out.append(suppressionNotice())
            windowStart = nil
        }
        return out
    }

    private mutating func suppressionNotice() -> TraceLine {
        defer { suppressed = 0 }
        return TraceLine(buffer: nil, text: "\(suppressed) trace lines of '\(device)' suppressed (more than \(rateBurst) in \(rateInterval / 1_000_000)s).")
    }

    /// `GetLog(u lines)`: the last `count` lines (0: all kept).
    public func log(last count: Int) -> [String] { tail.last(count) }
}
