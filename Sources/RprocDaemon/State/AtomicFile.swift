// Small files written atomically. TEMPORARY private helper: replaced by RprocSystem's atomic
// files once the `sys` branch lands.

import Glibc
import SystemPackage

/// A failed file operation in the state directory.
public struct StateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Errno

    public var description: String { "\(operation) '\(path)': \(errno)" }
}

enum AtomicFile {
    /// The whole file as UTF-8 text, or nil when it does not exist.
    static func readIfPresent(path: String) throws(StateFileError) -> String? {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch Errno.noSuchFileOrDirectory {
            return nil
        } catch {
            throw StateFileError(operation: "open", path: path, errno: error as? Errno ?? .ioError)
        }
        defer { try? fd.close() }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
            } catch {
                throw StateFileError(operation: "read", path: path, errno: error as? Errno ?? .ioError)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > 1 << 20 { throw StateFileError(operation: "read", path: path, errno: .fileTooLarge) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces `path` with `contents`: a temporary file beside it, fsync, rename, fsync of the
    /// directory. A crash at any point leaves either the old or the new file.
    static func write(path: String, contents: [UInt8]) throws(StateFileError) {
        let temporary = path + ".tmp\(getpid())"
        func fail(_ operation: String, _ file: String, _ error: any Error) -> StateFileError {
            StateFileError(operation: operation, path: file, errno: error as? Errno ?? .ioError)
        }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch { throw fail("open", temporary, error) }
        do {
            _ = try fd.writeAll(contents)
            guard fsync(fd.rawValue) == 0 else { throw Errno(rawValue: errno) }
            try fd.close()
        } catch {
            try? fd.close()
            unlink(temporary)
            throw fail("write", temporary, error)
        }
        guard rename(temporary, path) == 0 else {
            let error = Errno(rawValue: errno)
            unlink(temporary)
            throw StateFileError(operation: "rename", path: path, errno: error)
        }
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if let dirfd = try? FileDescriptor.open(FilePath(directory.isEmpty ? "/" : directory), .readOnly, options: [.directory, .closeOnExec]) {
            _ = fsync(dirfd.rawValue)
            try? dirfd.close()
        }
    }

    /// `mkdir -p`, mode 0755.
    static func makeDirectories(_ path: String) throws(StateFileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw StateFileError(operation: "mkdir", path: current, errno: Errno(rawValue: errno))
            }
        }
    }
}
