// Calls systemd's manager over D-Bus, off the event loop (a blocking `BusClient` on its own
// worker thread), and says as a value whether it could.
//
// Wiring: the manager creates one `SystemdManager(loop:)` at startup (tests pass the address of a
// private bus) and calls `perform(_:completion:)` with the calls `ReadyTargets` returns; the
// completion runs on the loop with the outcome for the manager to log (libraries never log).

import RprocBus
import RprocEventLoop

/// What became of one `SystemdCall`.
enum SystemdCallOutcome: Equatable, Sendable {
    /// systemd queued the job (its object path).
    case done(job: String)
    /// No systemd manager is reachable on the bus. `reason` is set the first time only, so that
    /// the manager logs one line, not one per call.
    case skipped(reason: String?)
    /// systemd answered with an error (`org.freedesktop.systemd1.NoSuchUnit`, AccessDenied…).
    case failed(name: String, message: String)
}

/// systemd's manager on a message bus. Loop-owned; the calls run on its worker.
final class SystemdManager {
    static let destination = "org.freedesktop.systemd1"
    static let path = "/org/freedesktop/systemd1"
    static let interface = "org.freedesktop.systemd1.Manager"

    private let worker: SerialWorker
    private let connection: Connection

    /// - Parameter address: the system bus, or a private bus's address in tests.
    init(loop: EventLoop, address: BusClient.Address = .systemBus) throws(SyscallError) {
        worker = try SerialWorker(name: "rproc-systemd", loop: loop)
        connection = Connection(address: address)
    }

    /// Makes `call`, then calls `completion` on the loop.
    func perform(_ call: SystemdCall, completion: @escaping (SystemdCallOutcome) -> Void) {
        let connection = self.connection
        worker.submit({ connection.perform(call) }, completion: completion)
    }

    /// Waits for the calls in flight, then stops the worker.
    func shutdown() { worker.shutdown() }

    /// The client, touched only on the worker thread (`BusClient` is single-threaded).
    private final class Connection: @unchecked Sendable {
        let address: BusClient.Address
        var client: BusClient?
        var reportedUnreachable = false

        init(address: BusClient.Address) { self.address = address }

        func perform(_ call: SystemdCall) -> SystemdCallOutcome {
            do throws(BusError) {
                let client: BusClient
                if let existing = self.client {
                    client = existing
                } else {
                    client = try BusClient(address)
                    self.client = client
                }
                let reply = try client.call(
                    destination: SystemdManager.destination, path: SystemdManager.path, interface: SystemdManager.interface,
                    member: call.member, arguments: [.string(call.unit), .string(call.mode)], timeoutMicroseconds: 10_000_000)
                return .done(job: reply.first?.string ?? "")
            } catch {
                if Self.meansUnreachable(error) {
                    client = nil
                    defer { reportedUnreachable = true }
                    let reason = error.name == BusError.Name.noServer || error.name == BusError.Name.disconnected
                        ? "the bus is not reachable" : "nothing owns '\(SystemdManager.destination)' on the bus"
                    return .skipped(reason: reportedUnreachable ? nil : reason)
                }
                return .failed(name: error.name, message: error.message)
            }
        }

        /// No bus, or no systemd on it (a container, an initramfs, a test machine).
        static func meansUnreachable(_ error: BusError) -> Bool {
            [
                BusError.Name.noServer, BusError.Name.disconnected, "org.freedesktop.DBus.Error.ServiceUnknown",
                BusError.Name.nameHasNoOwner, "org.freedesktop.DBus.Error.FileNotFound",
            ].contains(error.name)
        }
    }
}
