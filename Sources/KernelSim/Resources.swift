// Resource-table handling (§6.6), carveouts, and the virtio/rpmsg subdevices (§7).

import RprocFirmware

let addrAny: UInt32 = 0xffff_ffff

extension Kernel {
    /// `rproc_handle_resources` over `rproc->table_ptr`; 0 or a negative errno.
    func handleResources(_ p: Processor) -> Int32 {
        guard let table = p.tablePtr else { return 0 }
        let size = table.size
        let count = Int(table.u32(4))
        for i in 0..<count {
            let offset = Int(table.u32(16 + 4 * i))
            let truncated: Bool
            if flavour.isNew {
                truncated = offset < 16 || offset >= size || size - offset < 4
            } else {
                truncated = offset > Int(Int32.max) || size - offset - 4 < 0
            }
            if truncated {
                logRproc(p, .err, "rsc table is truncated")
                return KernelErrno.EINVAL.negative
            }
            let avail = size - offset - 4
            let type = table.u32(offset)
            let payload = offset + 4
            if type >= 128 && type <= 512 {
                logRproc(p, .warn, "unsupported vendor resource \(type)")
                continue
            }
            if type >= 4 {
                logRproc(p, .warn, "unsupported resource \(type)")
                continue
            }
            let r: Int32
            switch type {
            case 0: r = handleCarveout(p, table, payload, avail)
            case 1: r = handleDevmem(p, table, payload, avail)
            case 2: r = handleTrace(p, table, payload, avail)
            default: r = handleVdev(p, table, payload, avail)
            }
            if r != 0 { return r }
        }
        return 0
    }

    private func invalid(_ p: Processor, _ message: String) -> Int32 {
        logRproc(p, .err, message)
        return KernelErrno.EINVAL.negative
    }

    /// `rproc_handle_carveout`.
    func handleCarveout(_ p: Processor, _ t: TableRef, _ at: Int, _ avail: Int) -> Int32 {
        if avail < 52 { return invalid(p, "carveout rsc is truncated") }
        if t.u32(at + 16) != 0 { return invalid(p, "carveout rsc has non zero reserved bytes") }
        let name = t.name(at + 20)
        let da = t.u32(at), len = t.u32(at + 8), flags = t.u32(at + 12)
        if let existing = p.carveouts.first(where: { $0.name == name }) {
            if existing.tableOffset != nil {
                logRproc(p, .err, "Carveout already associated to resource table")
                return KernelErrno.ENOMEM.negative
            }
            if checkCarveoutAddress(p, existing, da, Int(len)) != 0 { return KernelErrno.ENOMEM.negative }
            existing.tableOffset = at
            existing.flags = flags
            return 0
        }
        p.carveouts.append(
            Carveout(name: name, deviceAddress: UInt64(da), length: Int(len), flags: flags, tableOffset: at))
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

    /// `rproc_handle_devmem`.
    func handleDevmem(_ p: Processor, _ t: TableRef, _ at: Int, _ avail: Int) -> Int32 {
        guard p.description.hasIOMMU else { return KernelErrno.EINVAL.negative }
        if avail < 52 { return invalid(p, "devmem rsc is truncated") }
        if t.u32(at + 16) != 0 { return invalid(p, "devmem rsc has non zero reserved bytes") }
        p.devmemMappings += 1
        return 0
    }

    /// `rproc_handle_trace`.
    func handleTrace(_ p: Processor, _ t: TableRef, _ at: Int, _ avail: Int) -> Int32 {
        if avail < 44 { return invalid(p, "trace rsc is truncated") }
        if t.u32(at + 8) != 0 { return invalid(p, "trace rsc has non zero reserved bytes") }
        let name = String("trace\(p.traces.count)".prefix(14))
        p.traces.append(TraceBuffer(fileName: name, deviceAddress: UInt64(t.u32(at)), length: Int(t.u32(at + 4))))
        return 0
    }

    /// `rproc_handle_vdev`, including the synchronous rproc-virtio probe.
    func handleVdev(_ p: Processor, _ t: TableRef, _ at: Int, _ avail: Int) -> Int32 {
        let vrings = Int(t.byte(at + 21))
        let configLength = Int(t.u32(at + 16))
        if 24 + 20 * vrings + configLength > avail { return invalid(p, "vdev rsc is truncated") }
        if t.byte(at + 22) != 0 || t.byte(at + 23) != 0 { return invalid(p, "vdev rsc has non zero reserved bytes") }
        if vrings > 2 { return invalid(p, "too many vrings: \(vrings)") }
        var id = 0
        while platformIds.contains(id) { id += 1 }
        platformIds.insert(id)
        let dev = VirtioPlatformDevice(platformId: id, vdevIndex: p.vdevs.count, tableOffset: at, deviceId: t.u32(at))
        p.vdevs.append(dev)
        dev.vringCount = vrings
        if let r = probeVirtio(p, dev, t) {
            log.append(.warn, nil, "rproc-virtio: probe of \(dev.name) failed with error \(r)", at: now)
        } else {
            dev.probed = true
        }
        return 0
    }

    /// `rproc_virtio_probe`: vring sanity, vring carveouts, notify ids. Returns the error, or nil.
    private func probeVirtio(_ p: Processor, _ dev: VirtioPlatformDevice, _ t: TableRef) -> Int32? {
        for j in 0..<dev.vringCount {
            let v = dev.tableOffset + 24 + 20 * j
            let align = t.u32(v + 4), num = t.u32(v + 8)
            if num == 0 || align == 0 {
                logRproc(p, .err, "invalid qsz (\(num)) or alignment (\(align))")
                return KernelErrno.EINVAL.negative
            }
        }
        for j in 0..<dev.vringCount {
            let v = dev.tableOffset + 24 + 20 * j
            let da = t.u32(v), align = t.u32(v + 4), num = t.u32(v + 8)
            let size = pageAlign(vringSize(num: UInt64(num), align: UInt64(align)))
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
                c.memory = MemoryRegion(deviceAddress: dma, length: c.length)
                if c.deviceAddress != UInt64(addrAny) {
                    if !p.description.hasIOMMU && c.deviceAddress != dma & 0xffff_ffff {
                        logParent(p, .warn, "Allocated carveout doesn't fit device address request")
                    }
                } else {
                    if dma >> 32 != 0 { logParent(p, .warn, "DMA address cast in 32bit to fit resource table format") }
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
            let v = VirtioDevice(index: m, deviceId: dev.deviceId, rpmsg: isRpmsg)
            dev.virtio = v
            for (j, c) in dev.vringCarveouts.enumerated() where isRpmsg {
                t?.setU32(base + 24 + 20 * j, UInt32(truncatingIfNeeded: c.deviceAddress))
            }
            t?.setU32(base + 12, isRpmsg ? dfeatures & 1 : 0)
            t?.setByte(base + 20, isRpmsg ? 0x0f : 0x01)
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
    func announceChannels(_ p: Processor, _ v: VirtioDevice) {
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

    private func removeVirtio(_ p: Processor, _ dev: VirtioPlatformDevice, _ v: VirtioDevice) {
        // virtio_reset_device → rproc_virtio_reset: status = 0 in the table in use.
        p.tablePtr?.setByte(dev.tableOffset + 20, 0)
        virtioIds.remove(v.index)
        dev.virtio = nil
    }
}

/// `vring_size(num, align)` (include/uapi/linux/virtio_ring.h).
func vringSize(num: UInt64, align: UInt64) -> UInt64 {
    ((16 &* num &+ 2 &* (3 &+ num) &+ align &- 1) & ~(align &- 1)) &+ 6 &+ 8 &* num
}

func pageAlign(_ v: UInt64) -> UInt64 { (v &+ 4095) & ~4095 }
