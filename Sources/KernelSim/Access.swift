// The seam's file calls: lookup, permission check, read (show) and write (store).

import RprocFirmware

extension Kernel {
    func normalize(_ path: String) -> String {
        if !path.hasPrefix("/") && !path.hasSuffix("/") && !path.contains("//") { return path }
        return String(path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/"))
    }

    /// The errno for a path that does not resolve: ENODEV (sysfs) or EIO (debugfs) inside a
    /// removed processor's directory (an fd opened before the removal), else ENOENT.
    func missing(_ path: String) -> KernelErrno {
        for r in removedPaths where path == r || path.hasPrefix(r + "/") {
            return path.hasPrefix("sys/kernel/debug/") ? .EIO : .ENODEV
        }
        // An endpoint device opened before its channel went away: rpmsg_eptdev's `ept` is NULL.
        if goneRpmsgChars.contains(path) { return .EPIPE }
        return .ENOENT
    }

    public func stat(_ path: String) -> Result<SimNode, KernelErrno> {
        let path = normalize(path)
        guard let node = tree.nodes[path] else { return .failure(.ENOENT) }
        switch node {
        // The debugfs mount point is 0700 (debugfs' default mount mode); everything else 0755.
        case .directory: return .success(.directory(mode: path == "sys/kernel/debug" ? 0o700 : 0o755))
        case .file(let mode, let size, _): return .success(.file(mode: mode, size: size))
        case .symlink(let target): return .success(.symlink(target: target))
        case .characterDevice(let mode, _): return .success(.characterDevice(mode: mode))
        }
    }

    public func list(_ path: String) -> Result<[String], KernelErrno> {
        let path = normalize(path)
        guard let node = tree.nodes[path] else { return .failure(.ENOENT) }
        guard case .directory = node else { return .failure(.ENOTDIR) }
        return .success(tree.children[path] ?? [])
    }

    public func readLink(_ path: String) -> Result<String, KernelErrno> {
        guard let node = tree.nodes[normalize(path)] else { return .failure(.ENOENT) }
        guard case .symlink(let target) = node else { return .failure(.EINVAL) }
        return .success(target)
    }

    public func openCheck(_ path: String, forWriting: Bool) -> Result<Void, KernelErrno> {
        let path = normalize(path)
        guard let node = tree.nodes[path] else { return .failure(.ENOENT) }
        switch node {
        case .directory: return forWriting ? .failure(.EISDIR) : .success(())
        case .symlink, .characterDevice: return .success(())
        case .file(let mode, _, _):
            // kernfs refuses a missing permission bit at open even for root; debugfs, proc and the
            // rest leave it to the VFS (root passes), and the missing file operation answers EINVAL.
            let kernfs = path.hasPrefix("sys/") && !path.hasPrefix("sys/kernel/debug/")
            let modeBits: UInt16 = forWriting ? 0o222 : 0o444
            if mode & modeBits == 0 && (kernfs || path.hasPrefix("proc/")) { return .failure(.EACCES) }
            return .success(())
        }
    }

    func fileKind(_ path: String) -> Result<(FileKind, UInt16), KernelErrno> {
        let path = normalize(path)
        guard let node = tree.nodes[path] else { return .failure(missing(path)) }
        switch node {
        case .directory: return .failure(.EISDIR)
        case .symlink: return .failure(.ENOENT)
        case .characterDevice(let mode, let kind):
            guard let kind else { return .failure(.EINVAL) }
            return .success((kind, mode))
        case .file(let mode, _, let kind): return .success((kind, mode))
        }
    }

    // MARK: Reads

    public func read(_ path: String, now time: SimTime) -> Result<[UInt8], KernelErrno> {
        advance(to: time)
        return fileKind(path).flatMap { kind, mode in
            if mode & 0o444 == 0 { return .failure(.EINVAL) }
            return show(kind)
        }
    }

    public func readRange(_ path: String, offset: UInt64, count: Int, now time: SimTime) -> Result<[UInt8], KernelErrno>? {
        advance(to: time)
        switch fileKind(path) {
        case .failure(let e): return .failure(e)
        case .success((.devcdData(let d), _)):
            return .success(readDevcoredump(d, offset: offset, count: count))
        case .success((.rpmsgChar(_, let r), _)):
            return readRpmsgChar(r, count: count)
        case .success((.trace(let p, let i), _)):
            let content = traceContent(p, p.traces[i])
            guard offset < UInt64(content.count) else { return .success([]) }
            let start = Int(offset)
            return .success(Array(content[start..<min(content.count, start + max(count, 0))]))
        default: return nil
        }
    }

    /// The show functions.
    func show(_ kind: FileKind) -> Result<[UInt8], KernelErrno> {
        func emit(_ s: String) -> Result<[UInt8], KernelErrno> { .success(Array(Array(s.utf8).prefix(4095))) }
        switch kind {
        case .rproc(let p, let attr):
            switch attr {
            case .name: return emit(p.name + "\n")
            case .firmware:
                if p.state == .attached { return emit("unknown\n") }
                return .success(Array((p.firmware + [0x0a]).prefix(4095)))
            case .state: return emit(stateString(p.state) + "\n")
            case .recovery: return emit(p.recoveryDisabled ? "disabled\n" : "enabled\n")
            case .coredump: return emit(p.dumpMode.sysfsValue + "\n")
            }
        case .powerControl(let p): return emit(p.powerControlOn ? "on\n" : "auto\n")
        case .debug(let p, let attr):
            switch attr {
            case .name: return .success(Array(Array(p.name.utf8).prefix(98)) + [0x0a])
            case .recovery: return emit(p.recoveryDisabled ? "disabled\n" : "enabled\n")
            case .crash: return .failure(.EINVAL)
            case .resourceTable: return emit(resourceTableDump(p))
            case .carveoutMemories: return emit(carveoutDump(p))
            case .coredump: return emit(p.dumpMode.sysfsValue + "\n")
            }
        case .trace(let p, let i): return .success(traceContent(p, p.traces[i]))
        case .devcdData(let d): return .success(readDevcoredump(d, offset: 0, count: 4096))
        case .devcdDisabled: return emit(devcoredumpDisabled ? "1\n" : "0\n")
        case .firmwarePath: return .success(Array((firmwarePath + [0x0a]).prefix(4095)))
        case .knob(let p, let knob): return emit("\(knobValue(p, knob))\n")
        case .simAdd, .simRemove: return .success([])
        case .rpmsg(let r, let attr):
            switch attr {
            case .name: return emit(r.name + "\n")
            case .src: return emit("0x\(hex(r.src))\n")
            case .dst: return emit("0x\(hex(r.dst))\n")
            case .announce: return emit(r.announce ? "true\n" : "false\n")
            case .modalias: return emit("rpmsg:\(r.name)\n")
            case .driverOverride: return .success((r.driverOverride ?? Array("(null)".utf8)) + [0x0a])
            case .uevent: return emit((r.driver.map { "DRIVER=\($0)\n" } ?? "") + "MODALIAS=rpmsg:\(r.name)\n")
            }
        case .cdev: return .failure(.EINVAL)
        case .rpmsgChar: return .failure(.EAGAIN)
        case .virtioStatus(let p, let vdev):
            return emit("0x\(pad(hex(p.tablePtr?.byte(vdev.tableOffset + 20) ?? 0), 8))\n")
        case .uevent(let bytes), .text(let bytes): return .success(bytes)
        }
    }

    /// `rproc_state_string[state]` (the CLASSIC table has `deleted`).
    func stateString(_ s: ProcessorStateValue) -> String {
        if s == .deleted && flavour.isNew { return "invalid" }
        return s.sysfsValue
    }

    func knobValue(_ p: Processor, _ knob: Knob) -> String {
        switch knob {
        case .startDelayMs: return "\(p.knobs.startDelayMs)"
        case .stopDelayMs: return "\(p.knobs.stopDelayMs)"
        case .failNextStart: return "\(p.knobs.failNextStart)"
        case .failNextStop: return "\(p.knobs.failNextStop)"
        case .crashAfterMs: return "\(p.knobs.crashAfterMs ?? 0)"
        case .announceDelayMs:
            if let v = p.knobs.announceDelayMs { return "\(v)" }
            if case .after(let ms) = p.description.announce { return "\(ms)" }
            return "never"
        }
    }

    /// `rproc_trace_read`: the buffer up to its first NUL, or the "not available" text.
    func traceContent(_ p: Processor, _ trace: TraceBuffer) -> [UInt8] {
        guard let (region, off) = p.translate(trace.deviceAddress, UInt64(trace.length)) else {
            return textBytes("Trace  not available\n")
        }
        let slice = region.bytes[off..<(off + trace.length)]
        let end = slice.firstIndex(of: 0) ?? slice.endIndex
        return Array(slice[..<end])
    }

    /// `rproc_rsc_table_show`.
    func resourceTableDump(_ p: Processor) -> String {
        guard let t = p.tablePtr else { return "No resource table found\n" }
        var out = ""
        let types = ["carveout", "devmem", "trace", "vdev"]
        func d(_ v: UInt32) -> String { "\(Int32(bitPattern: v))" }
        // The kernel trusts `num`; the model stops where the offset array leaves the table.
        for i in 0..<min(Int(t.u32(4)), max(0, (t.size - 16) / 4)) {
            let offset = Int(t.u32(16 + 4 * i))
            let type = t.u32(offset)
            let r = offset + 4
            switch type {
            case 0, 1:
                out += "Entry \(i) is of type \(types[Int(type)])\n"
                out += "  Device Address 0x\(hex(t.u32(r)))\n  Physical Address 0x\(hex(t.u32(r + 4)))\n"
                out += "  Length 0x\(hex(t.u32(r + 8))) Bytes\n  Flags 0x\(hex(t.u32(r + 12)))\n"
                out += "  Reserved (should be zero) [\(d(t.u32(r + 16)))]\n  Name \(t.name(r + 20))\n\n"
            case 2:
                out += "Entry \(i) is of type trace\n"
                out += "  Device Address 0x\(hex(t.u32(r)))\n  Length 0x\(hex(t.u32(r + 4))) Bytes\n"
                out += "  Reserved (should be zero) [\(d(t.u32(r + 8)))]\n  Name \(t.name(r + 12))\n\n"
            case 3:
                let n = Int(t.byte(r + 21))
                out += "Entry \(i) is of type vdev\n"
                out += "  ID \(d(t.u32(r)))\n  Notify ID \(d(t.u32(r + 4)))\n"
                out += "  Device features 0x\(hex(t.u32(r + 8)))\n  Guest features 0x\(hex(t.u32(r + 12)))\n"
                out += "  Config length 0x\(hex(t.u32(r + 16)))\n  Status 0x\(hex(t.byte(r + 20)))\n"
                out += "  Number of vrings \(n)\n  Reserved (should be zero) [\(t.byte(r + 22))][\(t.byte(r + 23))]\n\n"
                for j in 0..<n {
                    let v = r + 24 + 20 * j
                    out += "  Vring \(j)\n    Device Address 0x\(hex(t.u32(v)))\n    Alignment \(d(t.u32(v + 4)))\n"
                    out += "    Number of buffers \(d(t.u32(v + 8)))\n    Notify ID \(d(t.u32(v + 12)))\n"
                    out += "    Physical Address 0x\(hex(t.u32(v + 16)))\n\n"
                }
            default:
                out += "Unknown resource type found: \(d(type)) [hdr: \(hashedPointer(UInt64(offset) &+ 0xffff_8880_0000_0000))]\n"
            }
        }
        return out
    }

    /// `rproc_carveouts_show`.
    func carveoutDump(_ p: Processor) -> String {
        var out = ""
        for c in p.carveouts {
            out += "Carveout memory entry:\n\tName: \(c.name)\n"
            out += "\tVirtual address: \(hashedPointer(c.dmaAddress ?? 0))\n"
            out += "\tDMA address: 0x\(pad(hex(c.dmaAddress ?? 0), 16))\n"
            out += "\tDevice address: 0x\(hex(UInt32(truncatingIfNeeded: c.deviceAddress)))\n"
            out += "\tLength: 0x\(hex(c.length)) Bytes\n\n"
        }
        return out
    }

    /// `%pK`/`%p`: a hashed pointer, 16 hex digits (stable per value here; never parse it).
    func hashedPointer(_ v: UInt64) -> String {
        var x = v ^ 0x9e37_79b9_7f4a_7c15
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        return pad(hex((x ^ (x >> 31)) & 0xffff_ffff), 16)
    }
}
