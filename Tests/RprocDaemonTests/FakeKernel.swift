// A fake kernel for the manager's unit tests: a temporary directory laid out like
// /sys/class/remoteproc, and file operations that answer writes to `state`, `firmware` and
// `recovery` the way remoteproc_core.c does (kernel-contract.md §2.8, NEW flavour), with the
// hidden power refcount. Every attempted write is recorded. A `start` can be held in flight.

import Foundation
import RprocTestSupport
import RprocSystem
import SystemPackage
import Synchronization

final class FakeKernel: FileOperations, @unchecked Sendable {
    struct Device {
        var state: String
        var power: Int
        var firmware: String
        var recovery = "enabled"
        var readOnly = false
    }

    let root: String
    private let base = SystemFileOperations()
    private let lock = NSLock()
    private var devices: [String: Device] = [:]
    private var writes: [(device: String, attribute: String, value: String)] = []
    private var startGate: DispatchSemaphore?
    private var heldGate: DispatchSemaphore?
    /// Signalled when a held `start` has begun (the write is in the kernel).
    let startEntered = DispatchSemaphore(value: 0)

    init() throws {
        root = NSTemporaryDirectory() + "rprocd-fake-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/sys/class/remoteproc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/lib/firmware", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var kernelFiles: KernelFiles { KernelFiles(root: root, operations: self) }

    /// Adds `remoteprocN` named `name` under platform device `parent`.
    func add(_ device: String, name: String, parent: String, state: String = "offline", power: Int? = nil,
             firmware: String = "fw.elf", readOnly: Bool = false) throws {
        let directory = root + "/sys/devices/platform/\(parent)/remoteproc/\(device)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/sys/class/remoteproc/\(device)", withDestinationPath: "../../devices/platform/\(parent)/remoteproc/\(device)")
        let entry = Device(
            state: state, power: power ?? (state == "offline" || state == "detached" ? 0 : 1), firmware: firmware, readOnly: readOnly)
        lock.withLock { devices[device] = entry }
        try publish(device, entry)
        try write(directory + "/name", name + "\n", mode: 0o444)
    }

    /// Puts a firmware file in `lib/firmware`: a valid remoteproc image loaded at 0x10000000, or
    /// `bytes`.
    func installFirmware(_ name: String, bytes: [UInt8] = ElfBuilder.minimalRemoteproc().build()) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/lib/firmware/" + name))
    }

    /// Changes what the kernel shows, as a crash or another user would.
    func set(_ device: String, state: String? = nil, power: Int? = nil) throws {
        let entry: Device = lock.withLock {
            if let state { devices[device]!.state = state }
            if let power { devices[device]!.power = power }
            return devices[device]!
        }
        try publish(device, entry)
    }

    func device(_ name: String) -> Device { lock.withLock { devices[name]! } }

    /// The writes attempted so far, as `remoteproc0/state=start`.
    var attemptedWrites: [String] { lock.withLock { writes.map { "\($0.device)/\($0.attribute)=\($0.value)" } } }

    /// The next `start` waits until `releaseStart()`.
    func holdStart() { lock.withLock { startGate = DispatchSemaphore(value: 0); heldGate = startGate } }
    func releaseStart() { lock.withLock { heldGate }?.signal() }

    // MARK: FileOperations

    func open(_ path: String, _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions) throws -> OpenFile {
        try base.open(path, access, options: options)
    }
    func close(_ file: OpenFile) throws { try base.close(file) }
    func read(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try base.read(file, into: buffer) }
    func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try base.pread(file, into: buffer, at: offset)
    }
    func status(of path: String, followingSymlinks: Bool) throws -> FileStatus { try base.status(of: path, followingSymlinks: followingSymlinks) }
    func directoryEntries(_ path: String) throws -> [String] { try base.directoryEntries(path) }
    func realPath(_ path: String) throws -> String { try base.realPath(path) }
    func readLink(_ path: String) throws -> String { try base.readLink(path) }

    func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws -> Int {
        let components = file.path.split(separator: "/")
        let attribute = String(components.last!)
        let device = String(components[components.count - 2])
        var value = String(decoding: bytes, as: UTF8.self)
        if value.hasSuffix("\n") { value.removeLast() }
        lock.withLock { writes.append((device, attribute, value)) }
        func fail(_ errno: Errno) -> SystemError { SystemError(operation: "write", path: file.path, errno: errno) }
        if attribute == "state" && value == "start" {
            if let gate = lock.withLock({ () -> DispatchSemaphore? in defer { startGate = nil }; return startGate }) {
                startEntered.signal()
                gate.wait()
            }
        }
        let result: Device = try lock.withLock {
            var d = devices[device]!
            switch (attribute, value) {
            case ("state", "start"):
                d.power += 1
                if d.power == 1 {
                    if d.state == "detached" {
                        d.state = "attached"
                    } else if !FileManager.default.fileExists(atPath: root + "/lib/firmware/" + d.firmware) {
                        d.power -= 1
                        throw fail(.noSuchFileOrDirectory)
                    } else {
                        d.state = "running"
                    }
                }
            case ("state", "stop"):
                guard ["running", "attached", "crashed"].contains(d.state) else { throw fail(.invalidArgument) }
                d.power -= 1
                if d.power == 0 { d.state = "offline" }
            case ("state", "detach"):
                guard d.state == "attached" else { throw fail(.invalidArgument) }
                d.power -= 1
                if d.power == 0 { d.state = "detached" }
            case ("firmware", _):
                guard d.state == "offline" else { throw fail(.resourceBusy) }
                d.firmware = value
            case ("recovery", "recover"):
                if d.state == "crashed" { d.state = "running" }
            default:
                throw fail(.invalidArgument)
            }
            devices[device] = d
            return d
        }
        try publish(device, result)
        return bytes.count
    }

    // MARK: Files

    private func directory(of device: String) -> String {
        (try? base.realPath(root + "/sys/class/remoteproc/" + device)) ?? root + "/sys/class/remoteproc/" + device
    }

    private func publish(_ device: String, _ entry: Device) throws {
        let directory = directory(of: device)
        let mode: Int16 = entry.readOnly ? 0o444 : 0o644
        try write(directory + "/state", entry.state + "\n", mode: mode)
        try write(directory + "/firmware", (entry.state == "attached" ? "unknown" : entry.firmware) + "\n", mode: mode)
        try write(directory + "/recovery", entry.recovery + "\n", mode: mode)
        try write(directory + "/coredump", "disabled\n", mode: mode)
    }

    private func write(_ path: String, _ text: String, mode: Int16) throws {
        if FileManager.default.fileExists(atPath: path) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
