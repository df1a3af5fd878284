// rproc-sim: mount a virtual remoteproc board. Thin main over VirtualBoard.

import ArgumentParser
import Glibc
import VirtualBoard

struct RprocSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rproc-sim",
        abstract: "Mount a virtual board that behaves like the Linux kernel's remoteproc files (FUSE).",
        discussion: """
            Runs in the foreground until SIGTERM or SIGINT, then unmounts. The mount point shows \
            sys/class/remoteproc, sys/kernel/debug/remoteproc, sys/class/devcoredump, dev/kmsg, \
            lib/firmware (the firmware directory) and .sim (fault knobs). Board files: see \
            Resources/boards/lab.conf.
            """)

    @Argument(help: "The board file (systemd-style INI).")
    var board: String

    @Argument(help: "An empty directory to mount the board on.")
    var mountPoint: String

    @Option(name: .customLong("firmware-dir"), help: "The host directory shown as lib/firmware (created if missing).")
    var firmwareDirectory: String?

    @Option(name: .customLong("ready-file"), help: "A file to write (the mount point) once the board is mounted.")
    var readyFile: String?

    func run() throws {
        let file = try BoardFile.load(path: board)
        for warning in file.warnings { printError("\(warning)") }
        let directory: String
        if let chosen = firmwareDirectory ?? file.firmwareDirectory {
            if let code = makeDirectories(chosen) {
                throw Failure("cannot create firmware directory '\(chosen)': \(String(cString: strerror(code)))")
            }
            directory = chosen
        } else {
            guard let temporary = makeTemporaryFirmwareDirectory() else {
                throw Failure("cannot create a temporary firmware directory: \(String(cString: strerror(errno)))")
            }
            printError("rproc-sim: firmware directory '\(temporary)'")
            directory = temporary
        }
        let simulator = try Simulator(board: file.board, firmwareDirectory: directory, mountPoint: mountPoint)
        if let readyFile, let code = writeReadyFile(readyFile, mountPoint: mountPoint) {
            simulator.mount.stop()
            throw Failure("cannot write ready file '\(readyFile)': \(String(cString: strerror(code)))")
        }
        notifyReady()
        let result = simulator.mount.runUntilSignalled()
        if result < 0 { throw Failure("FUSE loop failed: \(String(cString: strerror(-result)))") }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func printError(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

RprocSim.main()
