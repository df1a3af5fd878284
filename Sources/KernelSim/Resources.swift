// Resource-table handling (§6.6), carveouts, and the virtio/rpmsg subdevices (§7).

import RprocFirmware

let addrAny = resourceAddressAny

extension Kernel {
    /// `rproc_handle_resources` over `rproc->table_ptr`: RprocFirmware checks the entries, the
    /// model applies them (carveout registration, trace files, rproc-virtio devices, notify ids).
    /// Returns 0, a negative errno, or CLASSIC's positive quirk value; logs the kernel's lines.
    func handleResources(_ p: Processor) -> Int32 {
        guard let table = p.tablePtr else { return 0 }
        let bytes = table.bytes
        switch loader.handleResources(bytes, hasIOMMU: p.description.hasIOMMU) {
        case .failure(let f):
            // The kernel handled the entries before the failing one; apply those first (their own
            // failures, e.g. a carveout name clash, come first), from the table cut to them.
            if let k = f.index, k > 0, bytes.count >= 8 {
                var cut = bytes
                for i in 0..<4 { cut[4 + i] = UInt8(truncatingIfNeeded: UInt32(k) >> (8 * UInt32(i))) }
                if case .success(let before) = loader.handleResources(cut, hasIOMMU: p.description.hasIOMMU) {
                    let r = apply(p, before, table)
                    if r != 0 { return r }
                }
            }
            logLines(p, f.log)
            return f.returnValue
        case .success(let plan):
            logLines(p, plan.log)
            return apply(p, plan, table)
        }
    }

    /// The model's half of resource handling: carveout registration, trace files, rproc-virtio
    /// devices, in table order; logs "Failed to process resources: %d" on a failure.
    func apply(_ p: Processor, _ plan: ResourcePlan, _ table: TableRef) -> Int32 {
        enum Step { case carveout(PlannedCarveout), trace(PlannedTrace), vdev(PlannedVdev), devmem }
        var steps: [(Int, Step)] = plan.carveouts.map { ($0.entryIndex, .carveout($0)) }
        steps += plan.traces.map { ($0.entryIndex, .trace($0)) }
        steps += plan.vdevs.map { ($0.entryIndex, .vdev($0)) }
        steps += plan.mappings.map { ($0.entryIndex, .devmem) }
        for (_, step) in steps.sorted(by: { $0.0 < $1.0 }) {
            var r: Int32 = 0
            switch step {
            case .carveout(let c): r = applyCarveout(p, c)
            case .trace(let t):
                p.traces.append(
                    TraceBuffer(fileName: "trace\(t.index)", deviceAddress: UInt64(t.resource.da), length: Int(t.resource.length)))
            case .vdev(let v): r = applyVdev(p, v, table)
            case .devmem: p.devmemMappings += 1
            }
            if r != 0 {
                logRproc(p, .err, "Failed to process resources: \(r)")
                return r
            }
        }
        return 0
    }

    /// The registration half of `rproc_handle_carveout`.
    func applyCarveout(_ p: Processor, _ planned: PlannedCarveout) -> Int32 {
        let m = planned.resource
        if let existing = p.carveouts.first(where: { $0.name == m.name }) {
            if existing.tableOffset != nil {
                logRproc(p, .err, "Carveout already associated to resource table")
                return KernelErrno.ENOMEM.negative
            }
            if checkCarveoutAddress(p, existing, m.da, Int(m.length)) != 0 { return KernelErrno.ENOMEM.negative }
            existing.tableOffset = planned.tableOffset
            existing.flags = m.flags
            return 0
        }
        p.carveouts.append(
            Carveout(name: m.name, deviceAddress: UInt64(m.da), length: Int(m.length), flags: m.flags, tableOffset: planned.tableOffset))
        return 0
    }

    /// `rproc_check_carveout_da`.
    func checkCarveoutAddress(_ p: Processor, _ mem: Carveout, _ da: UInt32, _ len: Int) -> Int32 {
        if len > mem.length {
            logRproc(p, .err, "Registered carveout doesn't fit len request")
            return KernelErrno.EINVAL.negative
        }
        if da != addrAny && mem.deviceAddress == UInt64(addrAny) { return KernelErrno.EINVAL.negative }
        if da != addrAny && mem.deviceAddress != UInt64(addrAny) {
            let delta = Int64(da) - Int64(mem.deviceAddress)
            if delta < 0 {
                logRproc(p, .err, "Registered carveout doesn't fit da request")
                return KernelErrno.EINVAL.negative
            }
            if delta + Int64(len) > Int64(mem.length) {
                logRproc(p, .err, "Registered carveout doesn't fit len request")
                return KernelErrno.EINVAL.negative
            }
        }
        return 0
    }

    /// The device half of `rproc_handle_vdev`: the rproc-virtio platform device and its probe.
    func applyVdev(_ p: Processor, _ planned: PlannedVdev, _ t: TableRef) -> Int32 {
        var id = 0
        while platformIds.contains(id) { id += 1 }
        platformIds.insert(id)
        let dev = VirtioPlatformDevice(
            platformId: id, vdevIndex: planned.index, tableOffset: planned.tableOffset, deviceId: planned.device.id)
        p.vdevs.append(dev)
        dev.vringCount = Int(planned.device.vringCount)
        let failure: Int32?
        if let line = planned.probeFailure {
            logLines(p, [line])
            failure = KernelErrno.EINVAL.negative
        } else {
            failure = probeVirtio(p, dev, planned.device.vrings, t)
        }
        if let r = failure {
            log.append(.warn, nil, "rproc-virtio: probe of \(dev.name) failed with error \(r)", at: now)
        } else {
            dev.probed = true
        }
        return 0
    }

    /// `rproc_virtio_probe` after the vring sanity check: vring carveouts and notify ids.
    /// Returns the error, or nil.
    private func probeVirtio(_ p: Processor, _ dev: VirtioPlatformDevice, _ vrings: [Vring], _ t: TableRef) -> Int32? {
        for (j, vring) in vrings.enumerated() {
            let v = dev.tableOffset + 24 + 20 * j
            let da = vring.da
            let size = vring.allocationSize()
            let name = "vdev\(dev.vdevIndex)vring\(j)"
            if let mem = p.carveouts.first(where: { $0.name == name }) {
                if checkCarveoutAddress(p, mem, da, Int(size)) != 0 { return KernelErrno.ENOMEM.negative }
                dev.vringCarveouts.append(mem)
            } else {
                let mem = Carveout(name: name, deviceAddress: UInt64(da), length: Int(size), flags: 0, tableOffset: nil)
                p.carveouts.append(mem)
                dev.vringCarveouts.append(mem)
            }
            var notify = 0
            while p.notifyIds.contains(notify) { notify += 1 }
            p.notifyIds.insert(notify)
            t.setU32(v + 12, UInt32(notify))
        }
        return nil
    }

    /// `rproc_alloc_registered_carveouts`: allocate, then write pa/da/len back into the table.
    func allocateCarveouts(_ p: Processor) -> Int32 {
        for c in p.carveouts {
            if c.memory == nil {
                guard let dma = allocateDMA(c.length) else {
                    logParent(p, .err, "failed to allocate dma memory: len 0x\(hex(c.length))")
                    logRproc(p, .err, "Unable to allocate carveout \(c.name): \(KernelErrno.ENOMEM.negative)")
                    return KernelErrno.ENOMEM.negative
                }
                c.dmaAddress = dma
                c.memory = DeviceMemory(deviceAddress: dma, length: c.length)
                if c.deviceAddress != UInt64(addrAny) {
                    if !p.description.hasIOMMU && c.deviceAddress != dma & 0xffff_ffff {
                        logParent(p, .warn, "Allocated carveout doesn't fit device address request")
                    }
                } else {
                    if dma >> 32 != 0 { logRproc(p, .warn, "DMA address cast in 32bit to fit resource table format") }
                    c.deviceAddress = dma & 0xffff_ffff
                }
            }
            if let off = c.tableOffset, let t = p.tablePtr {
                let pa = c.dmaAddress ?? 0
                if pa >> 32 != 0 { logRproc(p, .warn, "Physical address cast in 32bit to fit resource table format") }
                t.setU32(off + 4, UInt32(truncatingIfNeeded: pa))
                t.setU32(off, UInt32(truncatingIfNeeded: c.deviceAddress))
                t.setU32(off + 8, UInt32(truncatingIfNeeded: c.length))
            }
        }
        return 0
    }

    /// First-fit allocation of page-aligned DMA memory from the board's pool.
    func allocateDMA(_ length: Int) -> UInt64? {
        let used = processors.flatMap { $0.carveouts.compactMap { c in c.dmaAddress.map { ($0, pageAlign(UInt64(c.length))) } } }
            .sorted { $0.0 < $1.0 }
        var candidate = board.dmaBase
        let need = max(pageAlign(UInt64(length)), 4096)
        for (start, len) in used {
            if candidate + need <= start { break }
            candidate = max(candidate, start + len)
        }
        return candidate + need <= board.dmaBase + board.dmaPoolSize ? candidate : nil
    }

    /// `rproc_resource_cleanup`: traces, mappings, carveouts, rproc-virtio devices, dump segments.
    func resourceCleanup(_ p: Processor) {
        p.traces = []
        p.devmemMappings = 0
        p.carveouts = []
        for dev in p.vdevs {
            if let v = dev.virtio { removeVirtio(p, dev, v) }
            platformIds.remove(dev.platformId)
        }
        p.vdevs = []
        p.notifyIds = []
        p.dumpSegments = []
        treeCache = nil
    }

    // MARK: Subdevices: virtio and rpmsg

    /// `rproc_start_subdevices`: registers `virtioM` for every probed vdev; rpmsg comes online.
    func startSubdevices(_ p: Processor) {
        for dev in p.vdevs where dev.probed {
            var m = board.firstVirtioIndex
            while virtioIds.contains(m) { m += 1 }
            virtioIds.insert(m)
            let t = p.tablePtr
            let base = dev.tableOffset
            let dfeatures = t?.u32(base + 8) ?? 0
            let isRpmsg = dev.deviceId == 7 && dev.vringCount == 2
            let v = VirtioState(index: m, deviceId: dev.deviceId, rpmsg: isRpmsg)
            dev.virtio = v
            for (j, c) in dev.vringCarveouts.enumerated() where isRpmsg {
                t?.setU32(base + 24 + 20 * j, UInt32(truncatingIfNeeded: c.deviceAddress))
            }
            t?.setU32(base + 12, isRpmsg ? dfeatures & 1 : 0)
            v.features = UInt64(isRpmsg ? dfeatures & 1 : 0)
            t?.setByte(base + 20, isRpmsg ? 0x0f : 0x01)
            // `rproc_add_virtio_dev` logs the registration after the driver's probe has run.
            defer {
                log.append(
                    .info, .platform(driver: "rproc-virtio", name: dev.name),
                    "registered virtio\(m) (type \(dev.deviceId))", at: now)
            }
            guard isRpmsg else { continue }
            v.rpmsgDevices.append(
                RpmsgDevice(name: "rpmsg_ctrl", src: 0, dst: 0, announce: false, driverOverride: "rpmsg_ctrl", driver: "rpmsg_ctrl"))
            let hasNS = dfeatures & 1 != 0
            if hasNS {
                v.rpmsgDevices.append(
                    RpmsgDevice(name: "rpmsg_ns", src: 53, dst: 53, announce: false, driverOverride: "rpmsg_ns", driver: "rpmsg_ns"))
            }
            log.append(.info, .virtio(m), "rpmsg host is online", at: now)
            guard hasNS, !p.description.rpmsgChannels.isEmpty else { continue }
            let delay: UInt64?
            if let knob = p.knobs.announceDelayMs {
                delay = knob
            } else if case .after(let ms) = p.description.announce {
                delay = ms
            } else {
                delay = nil
            }
            guard let delay else { continue }
            schedule(afterMs: delay) {
                guard dev.virtio === v, !p.removed else { return }
                self.announceChannels(p, v)
                self.treeCache = nil
            }
        }
        treeCache = nil
    }

    /// The remote's name-service messages: `rpmsg_ns_cb` creating one channel each.
    func announceChannels(_ p: Processor, _ v: VirtioState) {
        for channel in p.description.rpmsgChannels {
            let name = String(decoding: Array(channel.name.utf8).prefix(31), as: UTF8.self)
            log.append(.info, .virtio(v.index), "creating channel \(name) addr 0x\(hex(channel.address))", at: now)
            if v.rpmsgDevices.contains(where: { $0.name == name && $0.dst == channel.address }) {
                log.append(
                    .err, .virtio(v.index),
                    "channel \(name):\(hex(addrAny)):\(hex(channel.address)) already exist", at: now)
                continue
            }
            let charNames = line == .v6_1 ? ["rpmsg-raw"] : ["rpmsg-raw", "rpmsg_chrdev"]
            let d = RpmsgDevice(name: name, src: addrAny, dst: channel.address, announce: false, driverOverride: nil, driver: nil)
            if charNames.contains(name) {
                d.driver = "rpmsg_chrdev"
                var addr: UInt32 = 1024
                while v.rpmsgDevices.contains(where: { $0.src == addr }) { addr += 1 }
                d.src = addr
                var n = 0
                while rpmsgCharIds.contains(n) { n += 1 }
                rpmsgCharIds.insert(n)
                goneRpmsgChars.remove("dev/rpmsg\(n)")
                d.charIndex = n
            }
            v.rpmsgDevices.append(d)
        }
    }

    /// `rproc_stop_subdevices`: every virtio device (and its rpmsg devices) goes away.
    func stopSubdevices(_ p: Processor) {
        for dev in p.vdevs {
            if let v = dev.virtio { removeVirtio(p, dev, v) }
        }
        treeCache = nil
    }

    private func removeVirtio(_ p: Processor, _ dev: VirtioPlatformDevice, _ v: VirtioState) {
        // virtio_reset_device → rproc_virtio_reset: status = 0 in the table in use.
        p.tablePtr?.setByte(dev.tableOffset + 20, 0)
        for r in v.rpmsgDevices {
            r.registered = false
            if let n = r.charIndex {
                rpmsgCharIds.remove(n)
                goneRpmsgChars.insert("dev/rpmsg\(n)")
            }
        }
        virtioIds.remove(v.index)
        dev.virtio = nil
    }
}

func pageAlign(_ v: UInt64) -> UInt64 { (v &+ 4095) & ~4095 }
