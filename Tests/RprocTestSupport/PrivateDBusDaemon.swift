import Foundation
import Glibc

/// A private message bus for tests: `dbus-daemon` with its own config file, listening on a socket in
/// `directory` (a new temporary directory when none is given). `type` is `system` (the system bus's
/// rules: rprocd's name, sender credentials) or `session`. Everyone may own names and send anything.
public final class PrivateDBusDaemon {
    public let process = Process()
    public let directory: String
    /// The address dbus-daemon printed (`unix:path=…/bus,guid=…`).
    public let address: String
    private let ownsDirectory: Bool

    public init(type: String = "session", directory: String? = nil) throws {
        if let directory {
            self.directory = directory
            ownsDirectory = false
        } else {
            self.directory = NSTemporaryDirectory() + "rprocd-bus-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
            ownsDirectory = true
        }
        let config = self.directory + "/bus.conf"
        try """
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>\(type)</type>
          <listen>unix:path=\(self.directory)/bus</listen>
          <auth>EXTERNAL</auth>
          <policy context="default">
            <allow user="*"/>
            <allow own="*"/>
            <allow send_destination="*" eavesdrop="true"/>
            <allow receive_sender="*"/>
          </policy>
        </busconfig>
        """.write(toFile: config, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        process.arguments = ["--config-file=\(config)", "--nofork", "--nopidfile", "--print-address=1"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        address = String(decoding: line, as: UTF8.self)
    }

    /// dbus-daemon in system mode ignores SIGTERM here: kill it.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        stop()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }
}
