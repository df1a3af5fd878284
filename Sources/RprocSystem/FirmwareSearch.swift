import Glibc
import SystemPackage

/// The directories the kernel's firmware loader searches, in its order (kernel-contract.md §6.1,
/// `fw_get_filesystem_firmware` in `drivers/base/firmware_loader/main.c`).
public struct FirmwareSearchPath: Sendable, Equatable {
    /// Where a directory of the search path comes from.
    public enum Origin: Sendable, Equatable {
        /// `firmware_class.path`, `/sys/module/firmware_class/parameters/path`.
        case classPath
        /// `/lib/firmware/updates/<release>`.
        case updatesForRelease
        /// `/lib/firmware/updates`.
        case updates
        /// `/lib/firmware/<release>`.
        case forRelease
        /// `/lib/firmware`.
        case base
    }

    public struct Directory: Sendable, Equatable {
        /// The directory as the kernel sees it (on the board), e.g. `/lib/firmware`.
        public var path: String
        public var origin: Origin
    }

    /// The directories, in search order.
    public var directories: [Directory]
    /// The kernel release (`uname -r`) the release directories use; nil when it could not be found.
    public var release: String?
    /// Things a user should know about this search path (the 6.1 trailing-newline quirk, a missing release).
    public var notes: [String]
}

/// One place the firmware loader would look, and what is there.
public struct FirmwareCandidate: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// A non-empty regular file of this size: the kernel reads this one.
        case found(size: Int64)
        /// Nothing there (`-ENOENT`).
        case missing
        /// An empty file: the kernel skips it (`kernel_read_file` returns `-EINVAL`).
        case empty
        /// Not a regular file (a directory, a device…): skipped with `-EINVAL`.
        case notRegular
        /// `stat` failed with another errno.
        case unreadable(Errno)
        /// A compressed file (`.zst`, `.xz`) the kernel loads only when built with CONFIG_FW_LOADER_COMPRESS_*,
        /// and only when no uncompressed file exists. rprocd cannot validate it.
        case compressed(size: Int64)
    }

    /// The path as the kernel forms it on the board (`"%s/%s"`, dir and name).
    public var path: String
    /// The same path under the root directory.
    public var absolutePath: String
    public var origin: FirmwareSearchPath.Origin
    public var outcome: Outcome
}

/// The result of looking up a firmware name: the file the kernel would load, and every place looked.
public struct FirmwareLookup: Sendable, Equatable {
    public var name: String
    /// Every place looked, in order, up to and including the one found.
    public var candidates: [FirmwareCandidate]
    public var searchPath: FirmwareSearchPath

    /// The file the kernel would load, if any.
    public var found: FirmwareCandidate? {
        candidates.first { if case .found = $0.outcome { true } else { false } }
    }

    /// The board paths looked at, for a "not found" message.
    public var placesLooked: [String] { candidates.map(\.path) }
}

/// A firmware name the kernel refuses before searching (`fw_get_filesystem_firmware` preconditions).
public struct FirmwareNameError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// Empty name: `-EINVAL`.
        case empty
        /// A `..` path component: `-EINVAL`, "Firmware load for '%s' refused, path contains '..' component".
        case dotDotComponent
    }

    public var name: String
    public var reason: Reason

    public var description: String {
        switch reason {
        case .empty: "The firmware name is empty."
        case .dotDotComponent: "Firmware name '\(name)' contains a '..' component, which the kernel refuses."
        }
    }
}

extension KernelFiles {
    /// The kernel release: `uname -r` when the root is `/`, else `proc/sys/kernel/osrelease` under the root.
    public func kernelRelease() -> String? {
        if isHostRoot {
            var names = utsname()
            guard system_uname(&names) == 0 else { return nil }
            return withUnsafeBytes(of: &names.release) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        }
        guard let text = try? readText(path("proc/sys/kernel/osrelease")), !text.isEmpty else { return nil }
        return text
    }

    /// The firmware search path as the running kernel would use it.
    public func firmwareSearchPath() -> FirmwareSearchPath {
        var directories: [FirmwareSearchPath.Directory] = []
        var notes: [String] = []
        let parameter = "/sys/module/firmware_class/parameters/path"
        if let shown = try? operations.readWhole(path(parameter), limit: 4096) {
            // The parameter's show function prints "%s\n"; a value that still ends in a newline was written with
            // one (`echo /x > …/path`), which 6.1 keeps and searches literally; 6.12 strips it on write.
            var value = String(decoding: shown, as: UTF8.self)
            if value.hasSuffix("\n") { value.removeLast() }
            if value.hasSuffix("\n") {
                notes.append(
                    "firmware_class.path '\(value.dropLast())' ends in a newline: a 6.1 kernel searches the directory "
                        + "with the newline in its name, which does not exist; write the path without a newline")
            }
            if !value.isEmpty { directories.append(.init(path: value, origin: .classPath)) }
        }
        let release = kernelRelease()
        if let release {
            directories.append(.init(path: "/lib/firmware/updates/" + release, origin: .updatesForRelease))
        }
        directories.append(.init(path: "/lib/firmware/updates", origin: .updates))
        if let release {
            directories.append(.init(path: "/lib/firmware/" + release, origin: .forRelease))
        } else {
            notes.append("the kernel release is unknown: the release directories are left out")
        }
        directories.append(.init(path: "/lib/firmware", origin: .base))
        return FirmwareSearchPath(directories: directories, release: release, notes: notes)
    }

    /// Looks `name` up the way the kernel does: the first non-empty regular file in search-path order.
    ///
    /// - Throws: `FirmwareNameError` for an empty name or one with a `..` component.
    public func lookUpFirmware(_ name: String, in searchPath: FirmwareSearchPath? = nil) throws -> FirmwareLookup {
        if name.isEmpty { throw FirmwareNameError(name: name, reason: .empty) }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw FirmwareNameError(name: name, reason: .dotDotComponent)
        }
        let searchPath = searchPath ?? firmwareSearchPath()
        var candidates: [FirmwareCandidate] = []
        for directory in searchPath.directories {
            let boardPath = directory.path + "/" + name
            let absolute = path(boardPath)
            let outcome: FirmwareCandidate.Outcome
            do {
                let status = try operations.status(of: absolute, followingSymlinks: true)
                if status.kind != .regular {
                    outcome = .notRegular
                } else if status.size == 0 {
                    outcome = .empty
                } else {
                    outcome = .found(size: status.size)
                }
            } catch let error as SystemError {
                outcome = error.errno == .noSuchFileOrDirectory || error.errno == .notDirectory
                    ? .missing : .unreadable(error.errno)
            }
            candidates.append(
                FirmwareCandidate(path: boardPath, absolutePath: absolute, origin: directory.origin, outcome: outcome))
            if case .found = outcome { break }
        }
        if !candidates.contains(where: { if case .found = $0.outcome { true } else { false } }) {
            // The kernel's second and third passes (kernel-contract.md §6.1 step 4): listed only where a file is.
            for suffix in [".zst", ".xz"] {
                for directory in searchPath.directories {
                    let boardPath = directory.path + "/" + name + suffix
                    let absolute = path(boardPath)
                    guard let status = try? operations.status(of: absolute, followingSymlinks: true),
                        status.kind == .regular, status.size > 0
                    else { continue }
                    candidates.append(
                        FirmwareCandidate(
                            path: boardPath, absolutePath: absolute, origin: directory.origin,
                            outcome: .compressed(size: status.size)))
                }
            }
        }
        return FirmwareLookup(name: name, candidates: candidates, searchPath: searchPath)
    }
}
