// Where the daemon verbs find rprocd: its private socket (the default), or the system bus.

import ArgumentParser
import RprocBus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `--socket PATH` and `--system`, shared by every verb that talks to rprocd.
struct ConnectionOptions: ParsableArguments {
    /// rprocd's default control socket (`[Daemon] SocketPath=`).
    static let defaultSocket = "/run/rprocd/control"
    /// The variable that overrides ``defaultSocket``.
    static let socketVariable = "RPROCD_SOCKET"

    @Option(
        name: .customLong("socket"),
        help: ArgumentHelp(
            "rprocd's private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).", valueName: "path"),
        completion: .file())
    var socket: String?

    @Flag(name: .customLong("system"), help: "Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.")
    var system = false

    init() {}

    /// The socket path in effect: `--socket`, else `$RPROCD_SOCKET`, else the default.
    var socketPath: String { Self.socketPath(given: socket) }

    static func socketPath(given socket: String?) -> String {
        if let socket { return socket }
        if let value = getenv(socketVariable), value.pointee != 0 { return String(cString: value) }
        return defaultSocket
    }

    /// Where to connect, and how messages name it.
    var endpoint: DaemonEndpoint { system ? .systemBus : .socket(socketPath) }

    /// The endpoint `words` (a command line being completed) name with `--socket PATH`,
    /// `--socket=PATH` and `--system`, for the shell completion of processor names.
    static func endpoint(words: [String]) -> DaemonEndpoint {
        var socket: String?
        for (index, word) in words.enumerated() {
            if word == "--system" { return .systemBus }
            if word.hasPrefix("--socket=") { socket = String(word.dropFirst("--socket=".count)) }
            if word == "--socket", index + 1 < words.count { socket = words[index + 1] }
        }
        return .socket(socketPath(given: socket))
    }
}

/// Where rprocd is reached.
enum DaemonEndpoint: Equatable {
    case socket(String)
    case systemBus
}

/// Shell completion of a NAME argument: the names and devices rprocd lists that start with the
/// word being completed. Nothing when rprocd cannot be asked.
@Sendable func completeProcessorNames(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
    guard let daemon = try? DaemonClient(ConnectionOptions.endpoint(words: words), codes: .action),
        let processors = try? daemon.listProcessors()
    else { return [] }
    var candidates: [String] = []
    for processor in processors {
        for candidate in [processor.name, processor.device] where candidate.hasPrefix(prefix) && !candidates.contains(candidate) {
            candidates.append(candidate)
        }
    }
    return candidates
}
