import Foundation
import Testing

@testable import RprocSystem

/// A temporary directory standing in for a board's root: plain files, directories and symlinks laid out as
/// sysfs lays them out. Removed when the value goes.
final class FakeTree {
    let root: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        root = base + "/rprocsystem-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The absolute path of a board path.
    func path(_ relative: String) -> String { root + "/" + relative.drop(while: { $0 == "/" }) }

    @discardableResult
    func file(_ relative: String, _ text: String, mode: Int = 0o644) throws -> String {
        try bytes(relative, Array(text.utf8), mode: mode)
    }

    @discardableResult
    func bytes(_ relative: String, _ content: [UInt8], mode: Int = 0o644) throws -> String {
        let path = path(relative)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Replaces a file's content in place (same inode), as a kernel attribute changes under an open fd.
    func overwrite(_ relative: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path(relative)))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    /// A symlink at `relative` whose stored target is `target` (relative targets, as sysfs uses).
    func link(_ relative: String, to target: String) throws {
        let path = path(relative)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: path(relative)) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// A remote processor as the kernel lays it out: the device directory under its platform parent,
    /// the class symlink, `subsystem` pointing at the class, and the five attributes.
    func remoteproc(
        _ index: Int, name: String, parent: String, state: String = "offline", firmware: String = "rproc-fw",
        readOnly: Bool = false
    ) throws {
        let device = "remoteproc\(index)"
        let deviceDirectory = "sys/devices/platform/\(parent)/remoteproc/\(device)"
        let writable = readOnly ? 0o444 : 0o644
        try file(deviceDirectory + "/name", name + "\n", mode: 0o444)
        try file(deviceDirectory + "/state", state + "\n", mode: writable)
        try file(deviceDirectory + "/firmware", firmware + "\n", mode: writable)
        try file(deviceDirectory + "/recovery", "enabled\n", mode: writable)
        try file(deviceDirectory + "/coredump", "disabled\n", mode: writable)
        try directory("sys/class/remoteproc")
        try link(deviceDirectory + "/subsystem", to: "../../../../../class/remoteproc")
        try link("sys/class/remoteproc/\(device)", to: "../../devices/platform/\(parent)/remoteproc/\(device)")
    }

    var kernel: KernelFiles { KernelFiles(root: root) }
}
