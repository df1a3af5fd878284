import RprocFirmware

/// The simulated remoteproc core of one board: every processor, its files, the kernel log.
///
/// Deterministic: given the same board, firmware and calls with the same times, it produces the
/// same answers. Not thread-safe: the adapter serializes all calls.
public final class Kernel: SimulatedKernel {
    public let board: BoardDescription
    let firmwareSource: FirmwareSource

    /// Registers the board's processors in order (remoteproc0, 1, …) at `now`, as the drivers'
    /// probes do; auto-boot and auto-attach are scheduled, not run (call `advance`).
    public init(board: BoardDescription, firmware: FirmwareSource, now: SimTime = .zero) {
        self.board = board
        self.firmwareSource = firmware
    }

    public func stat(_ path: String) -> Result<SimNode, KernelErrno> { .failure(.ENOENT) }
    public func list(_ path: String) -> Result<[String], KernelErrno> { .failure(.ENOENT) }
    public func readLink(_ path: String) -> Result<String, KernelErrno> { .failure(.ENOENT) }
    public func openCheck(_ path: String, forWriting: Bool) -> Result<Void, KernelErrno> { .failure(.ENOENT) }
    public func read(_ path: String, now: SimTime) -> Result<[UInt8], KernelErrno> { .failure(.ENOENT) }
    public func write(_ path: String, bytes: [UInt8], now: SimTime) -> SimWriteStart { .completed(.failure(.ENOENT)) }
    public func result(of ticket: SimTicket) -> Result<Int, KernelErrno>? { nil }
    public func advance(to now: SimTime) {}
    public var nextDeadline: SimTime? { nil }
    public func kmsgRecord(atOrAfter sequence: UInt64) -> SimKmsgRecord? { nil }
    public var kmsgNextSequence: UInt64 { 0 }
}
