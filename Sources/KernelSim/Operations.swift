// The remoteproc core's operations (remoteproc_core.c), each as a `Flow` run under rproc->lock.

import RprocFirmware

extension Kernel {
    // MARK: rproc_boot / rproc_shutdown / rproc_detach (§2.2, §2.8)

    /// `rproc_boot()`, after the lock is taken.
    func boot(_ p: Processor) -> Flow {
        if flavour == .classic && p.state == .deleted {
            logRproc(p, .err, "can't boot deleted rproc \(p.name)")
            return .done(KernelErrno.ENODEV.negative)
        }
        if flavour.isNew && p.deleting {
            logRproc(p, .err, "can't boot deleting rproc \(p.name)")
            return .done(KernelErrno.ENODEV.negative)
        }
        p.power += 1
        if p.power > 1 { return .done(0) }
        let flow: Flow
        if p.state == .detached {
            logRproc(p, .info, "attaching to \(p.name)")
            flow = attach(p)
        } else {
            logRproc(p, .info, "powering up \(p.name)")
            switch requestFirmware(p) {
            case .failure(let e):
                logRproc(p, .err, "request_firmware failed: \(e.negative)")
                flow = .done(e.negative)
            case .success(let image):
                flow = firmwareBoot(p, image)
            }
        }
        return bind(flow) { r in
            if r != 0 { p.power -= 1 }
            return .done(r)
        }
    }

    /// `rproc_shutdown()`, after the lock is taken.
    func shutdown(_ p: Processor) -> Flow {
        let allowed = p.state == .running || p.state == .attached || (flavour.isNew && p.state == .crashed)
        guard allowed else { return .done(KernelErrno.EINVAL.negative) }
        return releasePower(p) { self.stop(p, crashed: p.state == .crashed) }
    }

    /// `rproc_detach()`, after the lock is taken.
    func detach(_ p: Processor) -> Flow {
        guard p.state == .attached else { return .done(KernelErrno.EINVAL.negative) }
        return releasePower(p) { self.detachDevice(p) }
    }

    /// The common tail of shutdown and detach: `atomic_dec_and_test(&power)`; at zero run
    /// `operation`, re-increment on its failure, else free every resource and the table.
    func releasePower(_ p: Processor, _ operation: @escaping () -> Flow) -> Flow {
        p.power -= 1
        if p.power != 0 { return .done(0) }
        return bind(operation()) { r in
            if r != 0 {
                p.power += 1
                return .done(r)
            }
            self.resourceCleanup(p)
            self.freeTables(p)
            return .done(0)
        }
    }

    // MARK: Boot (§2.4)

    /// Logs the lines a RprocFirmware stage reports against remoteprocN.
    func logLines(_ p: Processor, _ lines: [KernelLogLine]) {
        for l in lines {
            let level: LogLevel = l.level == .error ? .err : l.level == .warning ? .warn : .info
            logRproc(p, level, l.text)
        }
    }

    /// `rproc_fw_boot()`.
    func firmwareBoot(_ p: Processor, _ bytes: [UInt8]) -> Flow {
        let image: FirmwareImage
        switch loader.sanityCheck(bytes) {
        case .failure(let f):
            logLines(p, f.log)
            return .done(f.returnValue)
        case .success(let i): image = i
        }
        logRproc(p, .info, "Booting fw image \(String(decoding: p.firmware, as: UTF8.self)), size \(bytes.count)")
        p.bootAddress = loader.bootAddress(of: image)
        switch loader.loadResourceTable(image) {
        case .failure(let f):
            logLines(p, f.log)
            return .done(f.returnValue)
        case .success(let table):
            let cached = DeviceMemory(copying: table)
            p.cachedTable = cached
            p.tablePtr = TableRef(region: cached, offset: 0, size: table.count)
        }
        if let r = prepareResources(p) { return .done(r) }
        return bind(startProcessor(p, bytes)) { r in
            if r != 0 {
                self.resourceCleanup(p)
                self.freeTables(p)
            }
            return .done(r)
        }
    }

    /// Resource handling and carveout allocation, shared by boot and attach; a failure has
    /// already cleaned up.
    func prepareResources(_ p: Processor) -> Int32? {
        p.notifyIds = []
        var r = handleResources(p)
        treeCache = nil  // trace files, rproc-virtio devices
        if r == 0 {
            r = allocateCarveouts(p)
            if r != 0 { logRproc(p, .err, "Failed to allocate associated carveouts: \(r)") }
        }
        guard r != 0 else { return nil }
        resourceCleanup(p)
        freeTables(p)
        return r
    }

    /// `rproc_start()`: load, install the table, `ops->start`, start subdevices → running.
    func startProcessor(_ p: Processor, _ bytes: [UInt8]) -> Flow {
        guard let image = try? FirmwareImage(parsing: bytes) else {
            logRproc(p, .err, "Failed to load program segments: \(KernelErrno.EINVAL.negative)")
            return .done(KernelErrno.EINVAL.negative)
        }
        let mapped = { (da: UInt64, len: UInt64) in p.translate(da, len) != nil }
        switch loader.loadSegments(image, isMapped: mapped) {
        case .failure(let f):
            logLines(p, f.log)
            return .done(f.returnValue)
        case .success(let loads):
            for load in loads { copySegment(bytes, load, into: p) }
            if p.description.dumpLoadedSegments {
                p.dumpSegments = loads.map { DumpSegment(deviceAddress: $0.da, size: Int($0.memorySize)) }
            }
        }
        if let table = p.tablePtr, let da = loader.loadedResourceTableAddress(image, isMapped: mapped),
            let (region, off) = p.translate(da, UInt64(table.size))
        {
            let content = table.bytes
            for i in 0..<content.count { region.bytes[off + i] = content[i] }
            p.tablePtr = TableRef(region: region, offset: off, size: table.size)
        }
        return bind(driverStart(p)) { r in
            if r != 0 {
                self.logRproc(p, .err, "can't start rproc \(p.name): \(r)")
                if let c = p.cachedTable, let t = p.tablePtr { p.tablePtr = TableRef(region: c, offset: 0, size: t.size) }
                return .done(r)
            }
            self.startSubdevices(p)
            p.state = .running
            self.logRproc(p, .info, "remote processor \(p.name) is now up")
            return .done(0)
        }
    }

    /// Copies one checked segment into device memory and zeroes the rest of `p_memsz`.
    func copySegment(_ image: [UInt8], _ load: SegmentLoad, into p: Processor) {
        guard let (region, off) = p.translate(load.da, load.memorySize) else { return }
        var i = off
        for b in image[load.fileRange] {
            region.bytes[i] = b
            i += 1
        }
        while i < off + Int(load.memorySize) {
            region.bytes[i] = 0
            i += 1
        }
    }

    // MARK: Stop, detach, attach (§2.5)

    /// A driver op followed by the core's bookkeeping: on failure logs `"<failed>: <ret>"` and
    /// returns the error; on success runs `then`.
    func driverStep(_ p: Processor, _ op: Flow, failed: String, then: @escaping () -> Void) -> Flow {
        bind(op) { r in
            if r != 0 {
                self.logRproc(p, .err, "\(failed): \(r)")
                return .done(r)
            }
            then()
            return .done(0)
        }
    }

    /// `rproc_stop(crashed)`.
    func stop(_ p: Processor, crashed: Bool) -> Flow {
        stopSubdevices(p)
        resetTableOnStop(p)
        return driverStep(p, driverStop(p), failed: "can't stop rproc") {
            p.state = .offline
            self.logRproc(p, .info, "stopped remote processor \(p.name)")
        }
    }

    /// `rproc_reset_rsc_table_on_stop`.
    func resetTableOnStop(_ p: Processor) {
        guard let t = p.tablePtr else { return }
        if p.cachedTable == nil { p.cachedTable = DeviceMemory(copying: t.bytes) }
        p.tablePtr = TableRef(region: p.cachedTable!, offset: 0, size: t.size)
    }

    /// `__rproc_detach`.
    func detachDevice(_ p: Processor) -> Flow {
        guard p.description.hasDetach else { return .done(KernelErrno.EINVAL.negative) }
        stopSubdevices(p)
        if let t = p.tablePtr {
            if p.cachedTable != nil {
                resetTableOnStop(p)
            } else if let clean = p.cleanTable {
                for i in 0..<min(clean.count, t.size) { t.setByte(i, clean[i]) }
                let c = DeviceMemory(copying: clean)
                p.cachedTable = c
                p.tablePtr = TableRef(region: c, offset: 0, size: t.size)
            }
        }
        return driverStep(p, driverDetach(p), failed: "can't detach from rproc") {
            p.state = .detached
            self.logRproc(p, .info, "detached remote processor \(p.name)")
        }
    }

    /// `rproc_attach()`.
    func attach(_ p: Processor) -> Flow {
        if let loc = p.loadedTableLocation, let (region, off) = p.translate(loc.address, UInt64(loc.size)) {
            let t = TableRef(region: region, offset: off, size: loc.size)
            if p.description.hasDetach { p.cleanTable = t.bytes }
            p.cachedTable = nil
            p.tablePtr = t
        }
        if let r = prepareResources(p) { return .done(r) }
        return bind(attachDevice(p)) { r in
            if r != 0 {
                self.resourceCleanup(p)
                self.freeTables(p)
            }
            return .done(r)
        }
    }

    /// `__rproc_attach`.
    func attachDevice(_ p: Processor) -> Flow {
        driverStep(p, driverAttach(p), failed: "can't attach to rproc \(p.name)") {
            self.startSubdevices(p)
            p.state = .attached
            self.logRproc(p, .info, "remote processor \(p.name) is now attached")
        }
    }

    /// Frees the cached table (`kfree(cached_table)`, `table_ptr = NULL`).
    func freeTables(_ p: Processor) {
        p.cachedTable = nil
        p.tablePtr = nil
        p.cleanTable = nil
    }

    // MARK: The simulated driver's ops (start/stop/attach/detach with the fault knobs)

    func driverStart(_ p: Processor) -> Flow {
        after(p.knobs.startDelayMs) {
            if p.knobs.failNextStart > 0 {
                p.knobs.failNextStart -= 1
                return .done(KernelErrno.EIO.negative)
            }
            self.remoteStarted(p)
            return .done(0)
        }
    }

    func driverAttach(_ p: Processor) -> Flow { driverStart(p) }

    func driverStop(_ p: Processor) -> Flow {
        after(p.knobs.stopDelayMs) {
            if p.knobs.failNextStop > 0 {
                p.knobs.failNextStop -= 1
                return .done(KernelErrno.EIO.negative)
            }
            p.runGeneration &+= 1
            return .done(0)
        }
    }

    func driverDetach(_ p: Processor) -> Flow { driverStop(p) }

    /// The remote starts running: it writes its trace line, and the watchdog is armed.
    func remoteStarted(_ p: Processor) {
        p.runGeneration &+= 1
        let generation = p.runGeneration
        if let text = p.description.traceText, let trace = p.traces.first,
            let (region, off) = p.translate(trace.deviceAddress, UInt64(trace.length))
        {
            let bytes = Array(text.utf8).prefix(max(trace.length - 1, 0)) + [0]
            for (i, b) in bytes.enumerated() where i < trace.length { region.bytes[off + i] = b }
        }
        if let ms = p.knobs.crashAfterMs, ms > 0 {
            schedule(afterMs: ms) {
                guard p.runGeneration == generation, !p.removed else { return }
                self.reportCrash(p, type: 1)
            }
        }
    }

    // MARK: Crash and recovery (§3)

    /// `rproc_report_crash()`.
    func reportCrash(_ p: Processor, type: UInt32) {
        if flavour.isNew && p.deleting { return }
        let names = ["mmufault", "watchdog", "fatal error"]
        let typeName = type < 3 ? names[Int(type)] : "unknown"
        logRproc(p, .err, "crash detected in \(p.name): type \(typeName)")
        guard !p.crashWorkQueued else { return }
        p.crashWorkQueued = true
        schedule(at: now) {
            p.crashWorkQueued = false
            guard !p.removed else { return }
            self.work(p, { self.crashHandler(p) }) { handled in
                if handled == 1 && !p.recoveryDisabled { self.work(p, { self.triggerRecovery(p) }) }
            }
        }
    }

    /// `rproc_crash_handler_work`, under the lock; returns 1 when the crash was taken.
    func crashHandler(_ p: Processor) -> Flow {
        if flavour.isNew && p.deleting { return .done(0) }
        if p.state == .crashed || p.state == .offline { return .done(0) }
        p.state = .crashed
        p.crashCount += 1
        logRproc(p, .err, "handling crash #\(p.crashCount) in \(p.name)")
        return .done(1)
    }

    /// `rproc_trigger_recovery()`, under the lock.
    func triggerRecovery(_ p: Processor) -> Flow {
        if flavour.isNew && p.deleting { return .done(KernelErrno.ENODEV.negative) }
        guard p.state == .crashed else { return .done(0) }
        logRproc(p, .err, "recovering \(p.name)")
        if p.description.attachOnRecovery { return attachRecovery(p) }
        return bind(stop(p, crashed: true)) { r in
            guard r == 0 else { return .done(r) }
            return bind(self.coredump(p)) { _ in
                switch self.requestFirmware(p) {
                case .failure(let e):
                    self.logRproc(p, .err, "request_firmware failed: \(e.negative)")
                    return .done(e.negative)
                case .success(let image):
                    return self.startProcessor(p, image)
                }
            }
        }
    }

    /// `rproc_attach_recovery`: detach then attach (NEW+: full cleanup, then `rproc_attach`).
    func attachRecovery(_ p: Processor) -> Flow {
        bind(detachDevice(p)) { r in
            guard r == 0 else { return .done(r) }
            if self.flavour == .newPlus {
                self.resourceCleanup(p)
                self.freeTables(p)
                return self.attach(p)
            }
            return self.attachDevice(p)
        }
    }

    // MARK: Firmware loader (§6.1)

    /// `request_firmware(rproc->firmware)` against remoteprocN, with the loader's log lines.
    func requestFirmware(_ p: Processor) -> Result<[UInt8], KernelErrno> {
        searchFirmware(p.firmware, logging: p)
    }

    /// The firmware search; `logging` nil = silent (the simulated bootloader).
    func searchFirmware(_ name: [UInt8], logging p: Processor?) -> Result<[UInt8], KernelErrno> {
        if name.isEmpty { return .failure(.EINVAL) }
        let nameText = String(decoding: name, as: UTF8.self)
        let components = name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if components.contains(where: { Array($0) == [0x2e, 0x2e] }) {
            if let p { logRproc(p, .warn, "Firmware load for '\(nameText)' refused, path contains '..' component") }
            return .failure(.EINVAL)
        }
        // 6.12 strips a trailing newline off firmware_class.path when searching (the parameter
        // keeps it); 6.1 searches with it.
        var searchPath = firmwarePath
        if line == .v6_12, searchPath.last == 0x0a { searchPath.removeLast() }
        let release = board.osrelease
        let dirs = [
            String(decoding: searchPath, as: UTF8.self), "/lib/firmware/updates/\(release)",
            "/lib/firmware/updates", "/lib/firmware/\(release)", "/lib/firmware",
        ]
        var error = KernelErrno.ENOENT
        for dir in dirs where !dir.isEmpty {
            let path = "\(dir)/\(nameText)"
            if path.utf8.count >= 4096 {
                error = .ENAMETOOLONG
                break
            }
            switch firmwareSource.readFirmware(at: path) {
            case .success(let bytes):
                // Debian 6.1 logs every read with dev_info (main.c:551); 6.12 with dev_dbg.
                if line == .v6_1, let p { logRproc(p, .info, "firmware: direct-loading firmware \(nameText)") }
                return .success(bytes)
            case .failure(let e):
                error = e
                if e != .ENOENT, let p { logRproc(p, .warn, "loading \(path) failed with error \(e.negative)") }
            }
        }
        if let p {
            // `fw_get_filesystem_firmware` logs "failed to load" (and 6.1's one-time Debian hint)
            // before `_request_firmware` logs "Direct firmware load" (both kernels' records).
            if line == .v6_1 {
                logRproc(p, .err, "firmware: failed to load \(nameText) (\(error.negative))")
                if error == .ENOENT && !debianHintShown {
                    debianHintShown = true
                    log.append(
                        .err, nil,
                        "firmware_class: See https://wiki.debian.org/Firmware for information about missing firmware",
                        at: now)
                }
            } else {
                logRproc(p, .info, "firmware: failed to load \(nameText) (\(error.negative))")
            }
            logRproc(p, .warn, "Direct firmware load for \(nameText) failed with error \(error.negative)")
        }
        return .failure(error)
    }
}
