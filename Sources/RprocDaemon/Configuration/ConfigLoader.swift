// Reading the configuration files from disk: rprocd.conf with rprocd.conf.d/*.conf drop-ins and
// processors.d/*.rproc with <name>.rproc.d/*.conf, in every configuration directory. Parsing is
// pure (SystemdIni / RprocModel); this file only finds and reads.

import Glibc
import RprocSystem
import SystemdIni

/// The configuration files found in the search directories, and what went wrong reading them.
public struct ConfigSnapshot: Sendable {
    public var directories: [String]
    public var files: [ConfigFile]
    /// Files that could not be read: `'path': reason`, logged as warnings.
    public var problems: [String]

    /// The directories `processors.d` lives in.
    public var processorDirectories: [String] { directories.map { $0 + "/processors.d" } }
}

enum ConfigLoader {
    static let maximumFileSize = 1 << 20

    /// Reads every configuration file under `directories` (highest priority first).
    static func load(directories: [String]) -> ConfigSnapshot {
        var snapshot = ConfigSnapshot(directories: directories, files: [], problems: [])
        let operations = SystemFileOperations()
        func read(_ path: String) {
            if let target = try? operations.readLink(path), target == "/dev/null" {
                snapshot.files.append(ConfigFile(path: path, contents: .masked))
                return
            }
            do {
                let bytes = try operations.readWhole(path, limit: maximumFileSize + 1)
                if bytes.count > maximumFileSize {
                    snapshot.problems.append("'\(path)' is larger than 1 MiB")
                    return
                }
                snapshot.files.append(
                    bytes.isEmpty ? ConfigFile(path: path, contents: .masked) : ConfigFile(path: path, text: String(decoding: bytes, as: UTF8.self)))
            } catch let error as SystemError where error.errno == .noSuchFileOrDirectory {
                return
            } catch {
                snapshot.problems.append("\(error)")
            }
        }
        func entries(_ directory: String) -> [String] {
            (try? operations.directoryEntries(directory)) ?? []
        }
        for directory in directories {
            read(directory + "/rprocd.conf")
            for entry in entries(directory + "/rprocd.conf.d") where entry.hasSuffix(".conf") {
                read(directory + "/rprocd.conf.d/" + entry)
            }
            let processors = directory + "/processors.d"
            for entry in entries(processors) {
                if entry.hasSuffix(".rproc") {
                    read(processors + "/" + entry)
                } else if entry.hasSuffix(".rproc.d") {
                    for dropIn in entries(processors + "/" + entry) where dropIn.hasSuffix(".conf") {
                        read(processors + "/" + entry + "/" + dropIn)
                    }
                }
            }
        }
        return snapshot
    }
}
