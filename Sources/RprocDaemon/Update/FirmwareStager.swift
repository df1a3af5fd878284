// Staged firmware images: an update's file validated against the processor's memory windows, then
// written atomically into the firmware directory under a versioned name
// `<base>-<UTC time>-<sha256 prefix>.elf` (`m4-20261201T085512Z-3f2a9c1d.elf`), the previous
// `KeepFirmware=` images kept and older ones pruned.
//
// Wiring: `UpdateAdapter` calls these on the processor's worker (they block on fsync); the
// manager's `ListFirmwareImages()` calls `list(in:base:current:)` there too.

import Glibc
import RprocBus
import RprocFirmware
import RprocSystem
import SystemPackage

/// One staged image (D-Bus `ListFirmwareImages` → `a(sstb)`).
struct StagedImage: Equatable, Sendable {
    /// The file name, which is also the firmware name the kernel is given.
    var fileName: String
    /// SHA-256 of the file, lower-case hex.
    var sha256: String
    /// When it was staged (µs since the epoch, UTC), from its name.
    var stagedMicroseconds: UInt64
}

extension StagedImage {
    /// `ListFirmwareImages()`'s `a(sstb)`: file name, SHA-256, time staged (µs), current.
    static func busValue(_ images: [(image: StagedImage, current: Bool)]) -> BusValue {
        .array(BusType("(sstb)")!, images.map {
            .structure([.string($0.image.fileName), .string($0.image.sha256), .uint64($0.image.stagedMicroseconds), .bool($0.current)])
        })
    }
}

enum FirmwareStager {
    /// The firmware directory updates stage into: the first directory of the kernel's search path
    /// (kernel-contract.md §6.1) that exists under the root and is writable; normally `lib/firmware`.
    ///
    /// - Returns: the directory as on the board and under the root; nil when none is writable.
    static func directory(_ kernel: KernelFiles) -> (board: String, absolute: String)? {
        for entry in kernel.firmwareSearchPath().directories {
            let absolute = kernel.path(entry.path)
            guard let status = try? kernel.operations.status(of: absolute, followingSymlinks: true), status.kind == .directory,
                access(absolute, W_OK) == 0
            else { continue }
            return (entry.path, absolute)
        }
        return nil
    }

    /// The base of a processor's staged names: its kernel name, with anything but
    /// `[A-Za-z0-9_.]` replaced by `_` (names go into a file name and into `firmware`).
    static func base(forProcessor name: String) -> String {
        let cleaned = String(name.unicodeScalars.map { s -> Character in
            let keep = ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "_" || s == "."
            return keep ? Character(s) : "_"
        })
        return cleaned.isEmpty ? "firmware" : cleaned
    }

    /// `<base>-<YYYYMMDDTHHMMSSZ>-<first 8 hex digits of the SHA-256>.elf`.
    static func versionedName(base: String, stagedMicroseconds: UInt64, sha256: String) -> String {
        "\(base)-\(UTCTime.compactSeconds(stagedMicroseconds))-\(sha256.prefix(8)).elf"
    }

    /// The time a versioned name of `base` carries (µs), nil when `fileName` is not one.
    static func stagedTime(of fileName: String, base: String) -> UInt64? {
        guard fileName.hasPrefix(base + "-"), fileName.hasSuffix(".elf") else { return nil }
        let middle = fileName.dropFirst(base.count + 1).dropLast(4)
        let parts = middle.split(separator: "-")
        guard parts.count == 2, parts[1].count == 8, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return UTCTime.parseCompactSeconds(String(parts[0]))
    }

    /// Why an image would not boot on the processor, before anything stops: the first finding
    /// that every kernel's loader (or the memory windows) refuses, as `FirmwareInvalid`.
    static func validate(_ bytes: [UInt8], memory: [MemoryRegion]?, processor: String, path: String) -> DaemonError? {
        let report = FirmwareCheck.check(bytes, options: CheckOptions(memory: memory))
        let everyKernel = Set(KernelProfile.all)
        guard let fatal = report.errors.first(where: { Set($0.refusedBy).isSuperset(of: everyKernel) }) else { return nil }
        return DaemonError(
            .firmwareInvalid,
            "'\(path)' would not boot on '\(processor)': \(fatal.message) (\(fatal.code)); nothing was stopped. 'rprocctl inspect \(path)' shows every finding.")
    }

    /// Writes `bytes` into `directory` under its versioned name: a temporary file, fsync, rename,
    /// fsync of the directory (`AtomicFile`). Mode 0644, as firmware files are.
    static func stage(_ bytes: [UInt8], base: String, in directory: String, now: UInt64) throws -> StagedImage {
        let digest = SHA256.hex(of: bytes)
        let name = versionedName(base: base, stagedMicroseconds: now, sha256: digest)
        try AtomicFile.write(bytes, to: directory + "/" + name, permissions: 0o644)
        return StagedImage(fileName: name, sha256: digest, stagedMicroseconds: now / 1_000_000 * 1_000_000)
    }

    /// The staged images of `base` in `directory`, oldest first (by the time in the name, then, for
    /// images staged within one second, by modification time).
    static func list(in directory: String, base: String) -> [StagedImage] {
        let operations = SystemFileOperations()
        let names = (try? operations.directoryEntries(directory)) ?? []
        let found = names.compactMap { name -> (StagedImage, Int64)? in
            let path = directory + "/" + name
            var status = stat()
            guard let time = stagedTime(of: name, base: base), stat(path, &status) == 0,
                let bytes = try? operations.readWhole(path, chunkSize: 1 << 16)
            else { return nil }
            let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
            return (StagedImage(fileName: name, sha256: SHA256.hex(of: bytes), stagedMicroseconds: time), modified)
        }
        return found.sorted { ($0.0.stagedMicroseconds, $0.1, $0.0.fileName) < ($1.0.stagedMicroseconds, $1.1, $1.0.fileName) }.map(\.0)
    }

    /// Removes the oldest staged images of `base` so that, besides the images in `keep`, at most
    /// `previous` remain (`KeepFirmware=`).
    ///
    /// - Returns: the file names removed.
    static func prune(in directory: String, base: String, previous: UInt32, keep: Set<String>) throws -> [String] {
        let others = list(in: directory, base: base).filter { !keep.contains($0.fileName) }
        let excess = others.dropLast(Int(previous))
        var removed: [String] = []
        for image in excess {
            let path = directory + "/" + image.fileName
            guard unlink(path) == 0 else {
                throw SystemError(operation: "remove", path: path, errno: Errno(rawValue: errno))
            }
            removed.append(image.fileName)
        }
        return removed
    }

    /// The image to roll back to from `current`: the newest staged image other than it.
    static func previous(in directory: String, base: String, current: String) -> StagedImage? {
        list(in: directory, base: base).last { $0.fileName != current }
    }
}

