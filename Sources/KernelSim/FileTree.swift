// The files the model shows: a tree rebuilt from the state after every change.

import RprocFirmware

/// What reading/writing a file does.
enum FileKind {
    case rproc(Processor, RprocAttribute)
    case powerControl(Processor)
    case debug(Processor, DebugAttribute)
    case trace(Processor, Int)
    case devcdData(Devcoredump)
    case devcdDisabled
    case firmwarePath
    case knob(Processor, Knob)
    case simAdd, simRemove
    case rpmsg(RpmsgDevice, RpmsgAttribute)
    /// `dev/remoteprocN` (remoteproc_cdev.c).
    case cdev(Processor)
    /// `dev/rpmsgN` (rpmsg_char.c's endpoint device) of an rpmsg device of processor `p`.
    case rpmsgChar(Processor, RpmsgDevice)
    /// virtio `status`: the status byte of the vdev entry in the table in use.
    case virtioStatus(Processor, VirtioPlatformDevice)
    case uevent([UInt8])
    case text([UInt8])
}

enum RprocAttribute { case name, firmware, state, recovery, coredump }
enum DebugAttribute { case name, recovery, crash, resourceTable, carveoutMemories, coredump }
enum RpmsgAttribute { case name, src, dst, announce, modalias, driverOverride, uevent }

/// A fault knob in `.sim/remoteprocN/`.
enum Knob: CaseIterable {
    case startDelayMs, stopDelayMs, failNextStart, failNextStop, crashAfterMs, announceDelayMs
    static let table: [(Knob, String)] = [
        (.startDelayMs, "start_delay_ms"), (.stopDelayMs, "stop_delay_ms"), (.failNextStart, "fail_next_start"),
        (.failNextStop, "fail_next_stop"), (.crashAfterMs, "crash_after_ms"), (.announceDelayMs, "announce_delay_ms"),
    ]
    var fileName: String { Self.table.first { $0.0 == self }!.1 }
}

enum TreeNode {
    case directory
    case file(mode: UInt16, size: UInt64, kind: FileKind)
    case symlink(String)
    /// `dev/kmsg` (kind nil) or a remoteproc cdev.
    case characterDevice(mode: UInt16, kind: FileKind?)
}

struct FileTree {
    var nodes: [String: TreeNode] = ["": .directory]
    var children: [String: [String]] = ["": []]

    mutating func add(_ path: String, _ node: TreeNode) {
        guard nodes[path] == nil else { return }
        let (parent, name) = split(path)
        if nodes[parent] == nil { add(parent, .directory) }
        nodes[path] = node
        children[parent, default: []].append(name)
        if case .directory = node { children[path] = [] }
    }
    mutating func dir(_ path: String) { add(path, .directory) }
    mutating func file(_ path: String, _ mode: UInt16, _ kind: FileKind, size: UInt64 = 4096) {
        add(path, .file(mode: mode, size: size, kind: kind))
    }
    /// A symlink at `path` pointing at `target` (both relative to the mount root), stored relative.
    mutating func link(_ path: String, to target: String) { add(path, .symlink(relativeLink(from: path, to: target))) }
}

private func split(_ path: String) -> (String, String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[..<slash]), String(path[path.index(after: slash)...]))
}

/// The relative target sysfs writes for a link at `from` to `to` (`kernfs_get_target_path`: up
/// to the first ancestor of the link's directory that contains the target's parent).
func relativeLink(from: String, to: String) -> String {
    let a = from.split(separator: "/").dropLast()
    let b = to.split(separator: "/")
    var common = 0
    while common < a.count, common < b.count - 1, a[a.startIndex + common] == b[common] { common += 1 }
    let ups = Array(repeating: "..", count: a.count - common)
    return (ups + b[common...].map(String.init)).joined(separator: "/")
}

func textBytes(_ s: String) -> [UInt8] { Array(s.utf8) }

extension Kernel {
    var tree: FileTree {
        if let t = treeCache { return t }
        let t = buildTree()
        treeCache = t
        return t
    }

    func buildTree() -> FileTree {
        var t = FileTree()
        for d in [
            "sys/class/remoteproc", "sys/class/devcoredump", "sys/bus/rpmsg/devices", "sys/bus/platform/devices",
            "sys/bus/virtio/devices", "sys/devices/platform", "sys/devices/virtual/devcoredump",
            "sys/kernel/debug/remoteproc", "sys/module/firmware_class/parameters", "proc/sys/kernel", "dev", ".sim",
        ] { t.dir(d) }
        for d in ["rpmsg_chrdev", "rpmsg_ns", "rpmsg_ctrl"] { t.dir("sys/bus/rpmsg/drivers/\(d)") }
        t.dir("sys/bus/virtio/drivers/virtio_rpmsg_bus")
        t.dir("sys/bus/platform/drivers/rproc-virtio")
        t.file("sys/class/devcoredump/disabled", 0o644, .devcdDisabled)
        t.file("sys/module/firmware_class/parameters/path", 0o644, .firmwarePath)
        t.file("proc/sys/kernel/osrelease", 0o444, .text(textBytes(board.osrelease + "\n")), size: 0)
        t.add("dev/kmsg", .characterDevice(mode: 0o644, kind: nil))
        t.file(".sim/add", 0o200, .simAdd)
        t.file(".sim/remove", 0o200, .simRemove)
        for p in processors { addProcessor(p, to: &t) }
        for d in devcoredumps {
            t.file("\(d.path)/data", 0o600, .devcdData(d), size: 0)
            t.link("\(d.path)/failing_device", to: d.failing.devicePath)
            t.link("\(d.path)/subsystem", to: "sys/class/devcoredump")
            t.file("\(d.path)/uevent", 0o644, .uevent([]))
            t.link("sys/class/devcoredump/devcd\(d.index)", to: d.path)
            if !d.failing.removed { t.link("\(d.failing.devicePath)/devcoredump", to: d.path) }
        }
        return t
    }

    private func addProcessor(_ p: Processor, to t: inout FileTree) {
        let d = p.description
        let parentPath = "sys/devices/platform/\(d.parent)"
        let parentName = String(d.parent.split(separator: "/").last ?? Substring(d.parent))
        t.file("\(parentPath)/uevent", 0o644, .uevent(textBytes("DRIVER=\(d.driverName)\nMODALIAS=platform:\(parentName)\n")))
        t.file("\(parentPath)/modalias", 0o444, .text(textBytes("platform:\(parentName)\n")))
        t.dir("sys/bus/platform/drivers/\(d.driverName)")
        t.link("\(parentPath)/driver", to: "sys/bus/platform/drivers/\(d.driverName)")
        t.link("\(parentPath)/subsystem", to: "sys/bus/platform")
        t.link("sys/bus/platform/devices/\(parentName)", to: parentPath)

        let dev = p.devicePath
        let rw: UInt16 = d.sysfsReadOnly ? 0o444 : 0o644
        t.file("\(dev)/coredump", rw, .rproc(p, .coredump))
        t.file("\(dev)/recovery", rw, .rproc(p, .recovery))
        t.file("\(dev)/firmware", rw, .rproc(p, .firmware))
        t.file("\(dev)/state", rw, .rproc(p, .state))
        t.file("\(dev)/name", 0o444, .rproc(p, .name))
        if let major = p.cdevMajor {
            t.file("\(dev)/uevent", 0o644, .uevent(textBytes(
                "MAJOR=\(major)\nMINOR=\(p.index)\nDEVNAME=\(p.deviceName)\nDEVTYPE=remoteproc\n")))
            t.file("\(dev)/dev", 0o444, .text(textBytes("\(major):\(p.index)\n")))
            t.add("dev/\(p.deviceName)", .characterDevice(mode: 0o600, kind: .cdev(p)))
        } else {
            t.file("\(dev)/uevent", 0o644, .uevent(textBytes("DEVTYPE=remoteproc\n")))
        }
        t.link("\(dev)/device", to: parentPath)
        t.link("\(dev)/subsystem", to: "sys/class/remoteproc")
        t.file("\(dev)/power/control", 0o644, .powerControl(p))
        t.file("\(dev)/power/runtime_status", 0o444, .text(textBytes("unsupported\n")))
        t.link("sys/class/remoteproc/\(p.deviceName)", to: dev)

        for vdev in p.vdevs {
            let vdir = "\(dev)/\(vdev.name)"
            t.file("\(vdir)/uevent", 0o644, .uevent(textBytes((vdev.probed ? "DRIVER=rproc-virtio\n" : "") + "MODALIAS=platform:rproc-virtio\n")))
            t.file("\(vdir)/modalias", 0o444, .text(textBytes("platform:rproc-virtio\n")))
            t.link("\(vdir)/subsystem", to: "sys/bus/platform")
            if vdev.probed { t.link("\(vdir)/driver", to: "sys/bus/platform/drivers/rproc-virtio") }
            t.link("sys/bus/platform/devices/\(vdev.name)", to: vdir)
            guard let v = vdev.virtio else { continue }
            let vd = "\(vdir)/virtio\(v.index)"
            let modalias = "virtio:d\(pad(hex(v.deviceId).uppercased(), 8))v00000000"
            t.file("\(vd)/uevent", 0o644, .uevent(textBytes((v.rpmsg ? "DRIVER=virtio_rpmsg_bus\n" : "") + "MODALIAS=\(modalias)\n")))
            t.file("\(vd)/device", 0o444, .text(textBytes("0x\(pad(hex(v.deviceId), 4))\n")))
            t.file("\(vd)/vendor", 0o444, .text(textBytes("0x0000\n")))
            t.file("\(vd)/status", 0o444, .virtioStatus(p, vdev))
            t.file("\(vd)/modalias", 0o444, .text(textBytes(modalias + "\n")))
            // virtio's features_show: the 64 bits of `features` as 0/1 characters, bit 0 first.
            let bits = (0..<64).map { v.features >> UInt64($0) & 1 == 1 ? "1" : "0" }.joined()
            t.file("\(vd)/features", 0o444, .text(textBytes(bits + "\n")))
            // CONFIG_PM: every device has power/ (runtime PM never enabled for virtio).
            t.file("\(vd)/power/control", 0o644, .text(textBytes("auto\n")))
            t.file("\(vd)/power/runtime_status", 0o444, .text(textBytes("unsupported\n")))
            t.link("\(vd)/subsystem", to: "sys/bus/virtio")
            if v.rpmsg { t.link("\(vd)/driver", to: "sys/bus/virtio/drivers/virtio_rpmsg_bus") }
            t.link("sys/bus/virtio/devices/virtio\(v.index)", to: vd)
            for r in v.rpmsgDevices {
                let name = v.deviceName(r)
                let rd = "\(vd)/\(name)"
                t.file("\(rd)/name", 0o444, .rpmsg(r, .name))
                t.file("\(rd)/src", 0o444, .rpmsg(r, .src))
                t.file("\(rd)/dst", 0o444, .rpmsg(r, .dst))
                t.file("\(rd)/announce", 0o444, .rpmsg(r, .announce))
                t.file("\(rd)/modalias", 0o444, .rpmsg(r, .modalias))
                t.file("\(rd)/driver_override", 0o644, .rpmsg(r, .driverOverride))
                t.file("\(rd)/uevent", 0o644, .rpmsg(r, .uevent))
                t.link("\(rd)/subsystem", to: "sys/bus/rpmsg")
                if let drv = r.driver { t.link("\(rd)/driver", to: "sys/bus/rpmsg/drivers/\(drv)") }
                t.link("sys/bus/rpmsg/devices/\(name)", to: rd)
                if let n = r.charIndex { t.add("dev/rpmsg\(n)", .characterDevice(mode: 0o600, kind: .rpmsgChar(p, r))) }
            }
        }

        let dbg = p.debugPath
        t.file("\(dbg)/name", 0o400, .debug(p, .name), size: 0)
        t.file("\(dbg)/recovery", 0o600, .debug(p, .recovery), size: 0)
        t.file("\(dbg)/crash", 0o200, .debug(p, .crash), size: 0)
        t.file("\(dbg)/resource_table", 0o400, .debug(p, .resourceTable), size: 0)
        t.file("\(dbg)/carveout_memories", 0o400, .debug(p, .carveoutMemories), size: 0)
        t.file("\(dbg)/coredump", 0o600, .debug(p, .coredump), size: 0)
        for (i, trace) in p.traces.enumerated() { t.file("\(dbg)/\(trace.fileName)", 0o400, .trace(p, i), size: 0) }

        for knob in Knob.allCases { t.file(".sim/\(p.deviceName)/\(knob.fileName)", 0o644, .knob(p, knob)) }
    }
}

