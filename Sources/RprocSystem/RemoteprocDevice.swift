import RprocModel
import SystemPackage

/// One remote processor as discovered in `sys/class/remoteproc` (kernel-contract.md §1.1).
public struct RemoteprocDevice: Sendable, Hashable {
    /// The class device name, `remoteprocN`. N is allocation-order dependent and reused: identify a
    /// processor by `name` and `devicePath`, not by N.
    public var device: String
    /// The driver-chosen name (sysfs `name`); not necessarily unique.
    public var name: String
    /// The device directory with the class symlink resolved, as the board sees it:
    /// `/sys/devices/platform/<parent>/remoteproc/remoteprocN`.
    public var devicePath: String
    /// The attributes whose mode has no write bit (drivers setting `sysfs_read_only` make `state`,
    /// `firmware`, `recovery` and `coredump` 0444; `name` always is).
    public var readOnlyAttributes: Set<Attribute>

    public init(device: String, name: String, devicePath: String, readOnlyAttributes: Set<Attribute>) {
        self.device = device
        self.name = name
        self.devicePath = devicePath
        self.readOnlyAttributes = readOnlyAttributes
    }

    /// Whether `attribute` can be written (its mode has a write bit).
    public func isWritable(_ attribute: Attribute) -> Bool { !readOnlyAttributes.contains(attribute) }

    /// The N of `remoteprocN`, when the name has that form.
    public var index: Int? {
        device.hasPrefix("remoteproc") ? Int(device.dropFirst("remoteproc".count)) : nil
    }
}

/// Everything the attribute files of one processor say, read one after the other.
public struct RemoteprocStatus: Sendable, Hashable {
    public var state: ProcessorState
    public var firmware: String
    public var recovery: RecoveryMode
    public var coredump: CoredumpMode
    public var name: String
}

/// The result of one command: what was written and the `state` read just before and just after.
public struct KernelWriteOutcome: Sendable, Equatable {
    public var device: String
    public var write: AttributeWrite
    /// The count `write(2)` returned (the whole buffer on success).
    public var bytesWritten: Int
    /// `state` read just before the write.
    public var stateBefore: ProcessorState
    /// `state` read just after the write; nil when it could not be read (see `stateAfterError`).
    public var stateAfter: ProcessorState?
    /// Why `state` could not be read after the write (the device went away, typically ENODEV or ENOENT).
    public var stateAfterError: SystemError?
}

extension KernelFiles {
    /// `sys/class/remoteproc` under the root.
    public var remoteprocClassDirectory: String { path("sys/class/remoteproc") }

    /// The class directory of one processor, `sys/class/remoteproc/remoteprocN` under the root.
    public func remoteprocDirectory(_ device: String) throws -> String {
        guard !device.isEmpty, !device.contains("/"), device != ".", device != ".." else {
            throw SystemError(operation: "find remote processor", path: device, errno: .invalidArgument)
        }
        return remoteprocClassDirectory + "/" + device
    }

    /// The path of one attribute file.
    public func attributePath(_ attribute: Attribute, of device: String) throws -> String {
        try remoteprocDirectory(device) + "/" + attribute.fileName
    }

    /// Lists the remote processors: every entry of `sys/class/remoteproc`, in the order of N. An absent class
    /// directory (a kernel without remoteproc) gives an empty list; a device that vanishes during the scan is
    /// left out.
    public func remoteprocDevices() throws -> [RemoteprocDevice] {
        let entries = try entriesIfPresent(remoteprocClassDirectory)
        var devices: [RemoteprocDevice] = []
        for entry in entries {
            do {
                devices.append(try remoteprocDevice(entry))
            } catch let error as SystemError
                where error.errno == .noSuchFileOrDirectory || error.errno == .operationNotSupportedByDevice {
                continue
            }
        }
        return devices.sorted { ($0.index ?? Int.max, $0.device) < ($1.index ?? Int.max, $1.device) }
    }

    /// Describes one processor by its device name (`remoteproc0`).
    public func remoteprocDevice(_ device: String) throws -> RemoteprocDevice {
        let directory = try remoteprocDirectory(device)
        let resolved = try operations.realPath(directory)
        var readOnly: Set<Attribute> = []
        for attribute in Attribute.allAttributes {
            let status = try operations.status(of: directory + "/" + attribute.fileName, followingSymlinks: true)
            if !status.hasWriteBit { readOnly.insert(attribute) }
        }
        let name = try readText(directory + "/name")
        return RemoteprocDevice(device: device, name: name, devicePath: boardPath(resolved), readOnlyAttributes: readOnly)
    }

    /// The character device numbers of the processors (CONFIG_REMOTEPROC_CDEV), keyed the way kmsg's `DEVICE=`
    /// field spells them (`"c250:0": "remoteproc0"`), for `RemoteprocLogLine(_:characterDevices:)`. Processors
    /// without a `dev` file are left out.
    public func remoteprocCharacterDevices() throws -> [String: String] {
        var result: [String: String] = [:]
        for device in try entriesIfPresent(remoteprocClassDirectory) {
            if let number = try? readText(remoteprocClassDirectory + "/" + device + "/dev"), !number.isEmpty {
                result["c" + number] = device
            }
        }
        return result
    }

    // MARK: Reads

    /// Reads one attribute afresh (open, pread at 0, close), without its trailing newline.
    public func read(_ attribute: Attribute, of device: String) throws -> String {
        try readText(attributePath(attribute, of: device))
    }

    /// Reads `state`. Mirrors `state_show`.
    public func state(of device: String) throws -> ProcessorState { ProcessorState(sysfs: try read(.state, of: device)) }

    /// Reads `firmware`: the firmware name, or `unknown` while attached. Mirrors `firmware_show`.
    public func firmware(of device: String) throws -> String { try read(.firmware, of: device) }

    /// Reads `recovery`. Mirrors `recovery_show`.
    ///
    /// - Throws: `UnexpectedAttributeValueError` for a string other than `enabled`/`disabled`.
    public func recovery(of device: String) throws -> RecoveryMode { try read(.recovery, of: device, as: RecoveryMode.self) }

    /// Reads `coredump`. Mirrors `coredump_show`.
    ///
    /// - Throws: `UnexpectedAttributeValueError` for a string other than `disabled`/`enabled`/`inline`.
    public func coredump(of device: String) throws -> CoredumpMode { try read(.coredump, of: device, as: CoredumpMode.self) }

    func read<Value: KernelString>(_ attribute: Attribute, of device: String, as type: Value.Type) throws -> Value {
        let text = try read(attribute, of: device)
        guard let value = Value(sysfs: text) else {
            throw UnexpectedAttributeValueError(device: device, attribute: attribute, value: text)
        }
        return value
    }

    /// Reads `name`. Mirrors `name_show`.
    public func name(of device: String) throws -> String { try read(.name, of: device) }

    /// Reads every attribute of one processor.
    public func status(of device: String) throws -> RemoteprocStatus {
        RemoteprocStatus(
            state: try state(of: device), firmware: try firmware(of: device), recovery: try recovery(of: device),
            coredump: try coredump(of: device), name: try name(of: device))
    }

    /// Opens `state` (or another attribute) once, for polling with `pread` at offset 0.
    public func keepOpen(_ attribute: Attribute, of device: String) throws -> KeptFile {
        try KeptFile(attributePath(attribute, of: device), operations: operations)
    }

    // MARK: Writes

    /// Carries out one of the planner's typed writes: `perform(AttributeWrite(write), on: device)`.
    public func perform(_ write: KernelWrite, on device: String) throws -> KernelWriteOutcome {
        try perform(AttributeWrite(write), on: device)
    }

    /// Sends one command to the kernel: reads `state`, writes the command's bytes with a single `write(2)`,
    /// and reads `state` again.
    ///
    /// The write blocks for as long as the kernel's operation takes (a `start` returns after the boot); call it
    /// off the event loop.
    ///
    /// - Throws: `InvalidKernelWriteError` for a value that cannot be one command (nothing is opened);
    ///   `SystemError` when `state` cannot be read before, or the attribute cannot be opened;
    ///   `ReadOnlyAttributeError` when the open fails with EACCES on a file whose mode has no write bit;
    ///   `KernelWriteError` when the kernel refuses the write.
    public func perform(_ write: AttributeWrite, on device: String) throws -> KernelWriteOutcome {
        if let problem = write.problem { throw InvalidKernelWriteError(device: device, write: write, problem: problem) }
        let path = try attributePath(write.attribute, of: device)
        let before = try state(of: device)
        let file: OpenFile
        do {
            file = try operations.open(path, .writeOnly, options: [])
        } catch let error as SystemError where error.errno == .permissionDenied {
            if let status = try? operations.status(of: path, followingSymlinks: true), !status.hasWriteBit {
                throw ReadOnlyAttributeError(
                    device: device, attribute: write.attribute, value: write.value, path: path,
                    permissions: status.permissions, stateBefore: before)
            }
            throw error
        }
        let bytes = write.bytes
        let written: Int
        do {
            written = try bytes.withUnsafeBytes { try operations.write(file, $0) }
        } catch let error as SystemError {
            try? operations.close(file)
            throw KernelWriteError(
                device: device, attribute: write.attribute, value: write.value, path: path, errno: error.errno,
                stateBefore: before, stateAfter: try? state(of: device))
        }
        try? operations.close(file)
        var outcome = KernelWriteOutcome(
            device: device, write: write, bytesWritten: written, stateBefore: before, stateAfter: nil, stateAfterError: nil)
        do {
            outcome.stateAfter = try state(of: device)
        } catch let error as SystemError {
            outcome.stateAfterError = error
        }
        return outcome
    }
}
