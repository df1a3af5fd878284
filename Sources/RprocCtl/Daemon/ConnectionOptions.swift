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
    var socketPath: String {
        if let socket { return socket }
        if let value = getenv(Self.socketVariable), value.pointee != 0 { return String(cString: value) }
        return Self.defaultSocket
    }

    /// Where to connect, and how messages name it.
    var endpoint: DaemonEndpoint { system ? .systemBus : .socket(socketPath) }

    /// The options as given in `words` (a command line being completed): `--socket PATH`,
    /// `--socket=PATH` and `--system`, for the shell completion of processor names.
    static func parsing(words: [String]) -> ConnectionOptions {
        var options = ConnectionOptions()
        var index = words.startIndex
        while index < words.endIndex {
            let word = words[index]
            if word == "--system" { options.system = true }
            if word.hasPrefix("--socket=") { options.socket = String(word.dropFirst("--socket=".count)) }
            if word == "--socket", index + 1 < words.endIndex { options.socket = words[index + 1] }
            index += 1
        }
        return options
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
    guard let daemon = try? DaemonClient(ConnectionOptions.parsing(words: words).endpoint, codes: .action),
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
