// rproc_coredump (remoteproc_coredump.c) and the devcoredump devices (drivers/base/devcoredump.c).

import RprocFirmware

/// One `devcdM` device.
final class Devcoredump {
    let index: Int
    /// The failing device's path and index.
    let failing: Processor
    /// `enabled`: the whole file. `inline`: only the ELF header and program headers.
    let header: [UInt8]
    let inline: Bool
    /// `inline`: the segments read from device memory at read time.
    let segments: [DumpSegment]
    var deleted = false
    init(index: Int, failing: Processor, header: [UInt8], inline: Bool, segments: [DumpSegment]) {
        self.index = index
        self.failing = failing
        self.header = header
        self.inline = inline
        self.segments = segments
    }
    var path: String { "sys/devices/virtual/devcoredump/devcd\(index)" }
}

extension Kernel {
    /// `rproc_coredump()`: runs inside boot recovery after the stop.
    func coredump(_ p: Processor) -> Flow {
        guard !p.dumpSegments.isEmpty, p.dumpMode != .disabled else { return .done(0) }
        guard let elf = p.description.coredumpElf, elf.elfClass == 1 || elf.elfClass == 2 else {
            logRproc(p, .err, line == .v6_1 ? "Elf class is not set" : "ELF class is not set")
            return .done(0)
        }
        let is64 = elf.elfClass == 2
        let ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32
        var out = [UInt8](repeating: 0, count: ehsize)
        out[0...3] = [0x7f, 0x45, 0x4c, 0x46]
        out[4] = elf.elfClass
        out[5] = 1  // ELFDATA2LSB
        out[6] = 1  // EV_CURRENT
        put(&out, 16, 2, 4)  // ET_CORE
        put(&out, 18, 2, UInt64(elf.machine))
        put(&out, 20, 4, 1)
        let phnum = p.dumpSegments.count
        if is64 {
            put(&out, 24, 8, p.bootAddress)
            put(&out, 32, 8, UInt64(ehsize))
            put(&out, 52, 2, UInt64(ehsize)); put(&out, 54, 2, UInt64(phentsize)); put(&out, 56, 2, UInt64(phnum))
        } else {
            put(&out, 24, 4, p.bootAddress & 0xffff_ffff)
            put(&out, 28, 4, UInt64(ehsize))
            put(&out, 40, 2, UInt64(ehsize)); put(&out, 42, 2, UInt64(phentsize)); put(&out, 44, 2, UInt64(phnum))
        }
        var offset = UInt64(ehsize + phentsize * phnum)
        for s in p.dumpSegments {
            var ph = [UInt8](repeating: 0, count: phentsize)
            put(&ph, 0, 4, 1)  // PT_LOAD
            if is64 {
                put(&ph, 4, 4, 7); put(&ph, 8, 8, offset); put(&ph, 16, 8, s.deviceAddress); put(&ph, 24, 8, s.deviceAddress)
                put(&ph, 32, 8, UInt64(s.size)); put(&ph, 40, 8, UInt64(s.size))
            } else {
                put(&ph, 4, 4, offset); put(&ph, 8, 4, s.deviceAddress); put(&ph, 12, 4, s.deviceAddress)
                put(&ph, 16, 4, UInt64(s.size)); put(&ph, 20, 4, UInt64(s.size)); put(&ph, 24, 4, 7)
            }
            out += ph
            offset += UInt64(s.size)
        }
        if p.dumpMode == .enabled {
            for s in p.dumpSegments { out += copySegment(p, s, offset: 0, size: s.size) }
            _ = createDevcoredump(p, header: out, inline: false)
            return .done(0)
        }
        guard let dump = createDevcoredump(p, header: out, inline: true) else { return .done(0) }
        return .waitDump(dump.index, { .done(0) })
    }

    /// `rproc_copy_segment`: device memory, or 0xff with a log line when not translatable.
    func copySegment(_ p: Processor, _ s: DumpSegment, offset: Int, size: Int) -> [UInt8] {
        guard let (region, off) = p.translate(s.deviceAddress + UInt64(offset), UInt64(size)) else {
            let da = "0x" + String(repeating: "0", count: max(0, 16 - hex(s.deviceAddress).count)) + hex(s.deviceAddress)
            logRproc(p, .err, "invalid copy request for segment \(da) with offset \(offset) and size \(size))")
            return [UInt8](repeating: 0xff, count: size)
        }
        return Array(region.bytes[off..<(off + size)])
    }

    /// `dev_coredumpm`/`dev_coredumpv`: nil when disabled or a dump of this device is pending.
    func createDevcoredump(_ p: Processor, header: [UInt8], inline: Bool) -> Devcoredump? {
        if devcoredumpDisabled { return nil }
        if devcoredumps.contains(where: { $0.failing === p }) { return nil }
        devcoredumpCount += 1
        let d = Devcoredump(index: devcoredumpCount, failing: p, header: header, inline: inline, segments: p.dumpSegments)
        devcoredumps.append(d)
        schedule(afterMs: board.devcoredumpTimeoutMs) { self.deleteDevcoredump(d) }
        treeCache = nil
        return d
    }

    /// `devcd_del`: the device goes away; an inline recovery waiting on it resumes.
    func deleteDevcoredump(_ d: Devcoredump) {
        guard !d.deleted else { return }
        d.deleted = true
        devcoredumps.removeAll { $0 === d }
        treeCache = nil
        if let job = dumpWaiters.removeValue(forKey: d.index) { run(job) }
    }

    /// A read of `data` at `offset` (`devcd_data_read`: `devcd_readv` or `rproc_coredump_read`).
    func readDevcoredump(_ d: Devcoredump, offset: UInt64, count: Int) -> [UInt8] {
        let count = max(0, min(count, 4096))
        if !d.inline {
            guard offset < UInt64(d.header.count) else { return [] }
            let start = Int(offset)
            return Array(d.header[start..<min(d.header.count, start + count)])
        }
        if offset < UInt64(d.header.count) {
            let start = Int(offset)
            return Array(d.header[start..<min(d.header.count, start + count)])
        }
        var out: [UInt8] = []
        var position = offset - UInt64(d.header.count)
        var left = count
        let p = d.failing
        while left > 0 {
            var base: UInt64 = 0
            var found: (DumpSegment, Int)?
            for s in d.segments {
                if position < base + UInt64(s.size) {
                    found = (s, Int(position - base))
                    break
                }
                base += UInt64(s.size)
            }
            guard let (s, segOffset) = found else {
                logRproc(p, .info, "Ramdump done, \(position + UInt64(d.header.count)) bytes read")
                break
            }
            let n = min(left, s.size - segOffset)
            out += copySegment(p, s, offset: segOffset, size: n)
            position += UInt64(n)
            left -= n
        }
        return out
    }
}

/// Stores `value` little-endian in `width` bytes at `at`.
func put(_ bytes: inout [UInt8], _ at: Int, _ width: Int, _ value: UInt64) {
    for i in 0..<width { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
}
