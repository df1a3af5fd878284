// The store functions: one write(2) = one call with the whole buffer.

import RprocFirmware

/// The bytes a store function sees as a C string (the buffer is NUL-terminated at `count`).
func cString(_ bytes: [UInt8]) -> [UInt8] {
    if let nul = bytes.firstIndex(of: 0) { return Array(bytes[..<nul]) }
    return bytes
}

/// `sysfs_streq`: equal, except for one trailing newline on either side.
func sysfsStreq(_ buffer: [UInt8], _ keyword: String) -> Bool {
    let s = cString(buffer), k = Array(keyword.utf8)
    return s == k || s == k + [0x0a]
}

/// `strncmp(buffer, keyword, n) == 0` with the buffer's `n` bytes.
func strncmpEqual(_ buffer: [UInt8], _ keyword: String, _ n: Int) -> Bool {
    let k = Array(keyword.utf8)
    for i in 0..<n {
        let a = i < buffer.count ? buffer[i] : 0
        let b = i < k.count ? k[i] : 0
        if a != b { return false }
        if a == 0 { return true }
    }
    return true
}

/// `kstrtouint(s, 0)`: 0x/0 prefixes, optional `+`, one trailing newline; EINVAL or ERANGE.
func kstrtouint(_ buffer: [UInt8]) -> Result<UInt32, KernelErrno> {
    var s = cString(buffer)[...]
    if s.first == UInt8(ascii: "+") { s = s.dropFirst() }
    var base: UInt64 = 10
    if s.first == UInt8(ascii: "0") {
        let next = s.dropFirst().first.map { $0 | 0x20 }
        if next == UInt8(ascii: "x"), let third = s.dropFirst(2).first, hexDigit(third) != nil {
            base = 16
            s = s.dropFirst(2)
        } else {
            base = 8
        }
    }
    var value: UInt64 = 0
    var digits = 0
    var overflow = false
    while let c = s.first, let d = hexDigit(c), UInt64(d) < base {
        let (m, o1) = value.multipliedReportingOverflow(by: base)
        let (a, o2) = m.addingReportingOverflow(UInt64(d))
        if o1 || o2 { overflow = true }
        value = a
        digits += 1
        s = s.dropFirst()
    }
    if overflow { return .failure(.ERANGE) }
    if digits == 0 { return .failure(.EINVAL) }
    if s.first == 0x0a { s = s.dropFirst() }
    if !s.isEmpty { return .failure(.EINVAL) }
    guard value <= UInt64(UInt32.max) else { return .failure(.ERANGE) }
    return .success(UInt32(value))
}

private func hexDigit(_ c: UInt8) -> Int? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(c - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(c - UInt8(ascii: "A") + 10)
    default: return nil
    }
}

extension Kernel {
    public func write(_ path: String, bytes: [UInt8], now time: SimTime) -> SimWriteStart {
        advance(to: time)
        let path = normalize(path)
        if path == "dev/kmsg" { return .completed(writeKmsg(bytes)) }
        switch fileKind(path) {
        case .failure(let e): return .completed(.failure(e))
        case .success((let kind, let mode)):
            if case .cdev(let p) = kind { return storeCdev(p, bytes) }
            if case .rpmsgChar(let p, let r) = kind { return .completed(sendRpmsgChar(p, r, bytes)) }
            let debugfs = path.hasPrefix("sys/kernel/debug/")
            if mode & 0o222 == 0 { return .completed(.failure(debugfs ? .EINVAL : .EACCES)) }
            if debugfs { return store(kind, bytes) }
            // kernfs: a 0-byte write never reaches the store; longer than PAGE_SIZE is cut.
            if bytes.isEmpty { return .completed(.success(0)) }
            return store(kind, Array(bytes.prefix(4096)))
        }
    }

    func store(_ kind: FileKind, _ bytes: [UInt8]) -> SimWriteStart {
        let count = bytes.count
        func ok() -> SimWriteStart { .completed(.success(count)) }
        func fail(_ e: KernelErrno) -> SimWriteStart { .completed(.failure(e)) }
        switch kind {
        case .rproc(let p, let attr):
            switch attr {
            case .name: return fail(.EACCES)
            case .state: return storeState(p, bytes)
            case .firmware: return storeFirmware(p, bytes)
            case .recovery:
                if sysfsStreq(bytes, "enabled") {
                    p.recoveryDisabled = false
                    return recover(p, count)
                } else if sysfsStreq(bytes, "disabled") {
                    p.recoveryDisabled = true
                    return ok()
                } else if sysfsStreq(bytes, "recover") {
                    return recover(p, count)
                }
                return fail(.EINVAL)
            case .coredump:
                if p.state == .crashed {
                    logRproc(p, .err, "can't change coredump configuration")
                    return fail(.EBUSY)
                }
                guard let mode = CoredumpMode.table.first(where: { sysfsStreq(bytes, $0.1) })?.0 else {
                    logRproc(p, .err, "Invalid coredump configuration")
                    return fail(.EINVAL)
                }
                p.dumpMode = mode
                return ok()
            }
        case .powerControl(let p):
            if sysfsStreq(bytes, "on") {
                p.powerControlOn = true
            } else if sysfsStreq(bytes, "auto") {
                p.powerControlOn = false
            } else {
                return fail(.EINVAL)
            }
            return ok()
        case .debug(let p, let attr):
            switch attr {
            case .recovery:
                guard (1...10).contains(count) else { return fail(.EINVAL) }
                var buf = bytes
                if buf[count - 1] == 0x0a { buf[count - 1] = 0 }
                if strncmpEqual(buf, "enabled", count) {
                    p.recoveryDisabled = false
                    return recover(p, count)
                } else if strncmpEqual(buf, "disabled", count) {
                    p.recoveryDisabled = true
                    return ok()
                } else if strncmpEqual(buf, "recover", count) {
                    return recover(p, count)
                }
                return fail(.EINVAL)
            case .coredump:
                guard (1...20).contains(count) else { return fail(.EINVAL) }
                var buf = bytes
                if buf[count - 1] == 0x0a { buf[count - 1] = 0 }
                if p.state == .crashed {
                    logRproc(p, .err, "can't change coredump configuration")
                    return fail(.EBUSY)
                }
                guard let mode = CoredumpMode.table.first(where: { strncmpEqual(buf, $0.1, count) })?.0 else {
                    logRproc(p, .err, "Invalid coredump configuration")
                    return fail(.EINVAL)
                }
                p.dumpMode = mode
                return ok()
            case .crash:
                switch kstrtouint(Array(bytes.prefix(22))) {
                case .failure(let e): return fail(e)
                case .success(let type):
                    reportCrash(p, type: type)
                    return ok()
                }
            case .name, .resourceTable, .carveoutMemories: return fail(.EACCES)
            }
        case .devcdData(let d):
            if count > 0 { deleteDevcoredump(d) }
            return ok()
        case .devcdDisabled:
            guard simpleStrtol(bytes) == 1 else { return fail(.EINVAL) }
            devcoredumpDisabled = true
            for d in devcoredumps { deleteDevcoredump(d) }
            return ok()
        case .firmwarePath:
            let value = cString(bytes)
            if value.count + 1 > 256 {
                log.append(.err, nil, "firmware_class.path: string doesn't fit in 255 chars.", at: now)
                return fail(.ENOSPC)
            }
            firmwarePath = value
            return ok()
        case .knob(let p, let knob):
            var text = cString(bytes)
            if text.last == 0x0a { text.removeLast() }
            guard let v = UInt64(String(decoding: text, as: UTF8.self)) else { return fail(.EINVAL) }
            switch knob {
            case .startDelayMs: p.knobs.startDelayMs = v
            case .stopDelayMs: p.knobs.stopDelayMs = v
            case .failNextStart: p.knobs.failNextStart = v
            case .failNextStop: p.knobs.failNextStop = v
            case .crashAfterMs: p.knobs.crashAfterMs = v == 0 ? nil : v
            case .announceDelayMs: p.knobs.announceDelayMs = v
            }
            return ok()
        case .simAdd:
            var text = cString(bytes)
            if text.last == 0x0a { text.removeLast() }
            let line = String(decoding: text, as: UTF8.self)
            let description =
                board.templates.first { $0.name == line }
                ?? (board.addLineParser.map { $0(line) } ?? ProcessorDescription(line: line))
            guard let description else { return fail(.EINVAL) }
            register(description)
            return ok()
        case .simRemove:
            var text = cString(bytes)
            if text.last == 0x0a { text.removeLast() }
            let name = String(decoding: text, as: UTF8.self)
            guard let p = processors.first(where: { $0.deviceName == name }) else { return fail(.ENODEV) }
            if p.deleting || p.state == .deleted { return fail(.EBUSY) }
            let (ticket, complete) = pendingControl()
            unregister(p) { complete(.success(count)) }
            if let r = results[ticket.rawValue] {
                results[ticket.rawValue] = nil
                return .completed(r)
            }
            return .pending(ticket)
        case .rpmsg(let r, let attr):
            guard attr == .driverOverride else { return fail(.EACCES) }
            if count >= 4095 { return fail(.EINVAL) }
            let s = cString(bytes)
            if s.isEmpty {
                r.driverOverride = nil
            } else if let nl = s.firstIndex(of: 0x0a) {
                r.driverOverride = nl == 0 ? nil : Array(s[..<nl])
            } else {
                r.driverOverride = s
            }
            return ok()
        case .uevent:
            let words = ["add", "remove", "change", "move", "online", "offline", "bind", "unbind"]
            let s = cString(bytes)
            let first = Array(s.prefix { $0 != 0x20 && $0 != 0x0a })
            guard words.contains(String(decoding: first, as: UTF8.self)) else { return fail(.EINVAL) }
            return ok()
        case .trace, .text, .virtioStatus, .cdev, .rpmsgChar: return fail(.EACCES)
        }
    }

    /// `state_store`.
    func storeState(_ p: Processor, _ bytes: [UInt8]) -> SimWriteStart {
        let count = bytes.count
        let body: () -> Flow
        if sysfsStreq(bytes, "start") {
            body = {
                bind(self.boot(p)) { r in
                    if r != 0 { self.logRproc(p, .err, "Boot failed: \(r)") }
                    return .done(r)
                }
            }
        } else if sysfsStreq(bytes, "stop") {
            body = { self.shutdown(p) }
        } else if sysfsStreq(bytes, "detach") {
            body = { self.detach(p) }
        } else {
            log.append(.err, p.log, textBytes("Unrecognised option: ") + cString(bytes), at: now)
            return .completed(.failure(.EINVAL))
        }
        return submitCommand(p, body, count)
    }

    /// Runs a `start`/`stop`/`detach` under the lock; an interrupted lock wait is EINTR with
    /// "can't lock rproc %s: %d".
    func submitCommand(_ p: Processor, _ body: @escaping () -> Flow, _ count: Int) -> SimWriteStart {
        submitLocked(
            p, body: body, result: { r in storeReturn(r, count) },
            interrupted: {
                self.logRproc(p, .err, "can't lock rproc \(p.name): \(KernelErrno.EINTR.negative)")
                return .failure(.EINTR)
            })
    }

    /// `rproc_cdev_write`: 1…10 bytes compared with `strncmp(cmd, keyword, len)`, so prefixes match
    /// and a newline does not; no "Boot failed" line.
    func storeCdev(_ p: Processor, _ bytes: [UInt8]) -> SimWriteStart {
        let count = bytes.count
        guard (1...10).contains(count) else { return .completed(.failure(.EINVAL)) }
        let body: () -> Flow
        if strncmpEqual(bytes, "start", count) {
            body = { self.boot(p) }
        } else if strncmpEqual(bytes, "stop", count) {
            body = { self.shutdown(p) }
        } else if strncmpEqual(bytes, "detach", count) {
            body = { self.detach(p) }
        } else {
            logRproc(p, .err, "Unrecognized option")
            return .completed(.failure(.EINVAL))
        }
        return submitCommand(p, body, count)
    }

    /// `rproc_set_firmware`.
    func storeFirmware(_ p: Processor, _ bytes: [UInt8]) -> SimWriteStart {
        let count = bytes.count
        let name = Array(cString(bytes).prefix { $0 != 0x0a })
        return submitLocked(
            p,
            body: {
                if p.state != .offline {
                    self.logParent(p, .err, "can't change firmware while running")
                    return .done(KernelErrno.EBUSY.negative)
                }
                if name.isEmpty {
                    self.logParent(p, .err, "can't provide empty string for firmware name")
                    return .done(KernelErrno.EINVAL.negative)
                }
                p.firmware = name
                return .done(0)
            },
            result: { r in storeReturn(r, count) },
            interrupted: {
                self.logParent(p, .err, "can't lock rproc \(p.name): \(KernelErrno.EINTR.negative)")
                return .failure(.EINVAL)
            })
    }

    /// `rproc_trigger_recovery` from a `recovery` write: the result is discarded.
    func recover(_ p: Processor, _ count: Int) -> SimWriteStart {
        submitLocked(
            p, body: { self.triggerRecovery(p) }, result: { _ in .success(count) },
            interrupted: { .success(count) })
    }

    /// A write to /dev/kmsg: `<N>` prefix optional (default LOG_USER | LOG_INFO).
    func writeKmsg(_ bytes: [UInt8]) -> Result<Int, KernelErrno> {
        var text = bytes[...]
        var priority = 8 + 6
        if text.first == UInt8(ascii: "<"), let close = text.firstIndex(of: UInt8(ascii: ">")),
            let n = UInt32(String(decoding: text[(text.startIndex + 1)..<close], as: UTF8.self)).map(Int.init)
        {
            priority = n < 8 ? 8 + n : n  // no userspace facility → LOG_USER
            text = text[(close + 1)...]
        }
        if text.last == 0x0a { text = text.dropLast() }
        log.append(priority: priority, nil, Array(text), at: now)
        return .success(bytes.count)
    }
}

/// What write(2) returns for a store's `ret ? ret : count`: a negative errno, the count, or (in
/// CLASSIC's ignored-vendor-resource quirk, where `rproc_boot` returns 1) that positive value.
func storeReturn(_ r: Int32, _ count: Int) -> Result<Int, KernelErrno> {
    if r == 0 { return .success(count) }
    return r > 0 ? .success(Int(r)) : .failure(KernelErrno(rawValue: -r))
}

/// `simple_strtol(buf, NULL, 10)`.
func simpleStrtol(_ bytes: [UInt8]) -> Int64 {
    var s = cString(bytes)[...]
    var negative = false
    if s.first == UInt8(ascii: "-") {
        negative = true
        s = s.dropFirst()
    }
    var v: Int64 = 0
    while let c = s.first, c >= 0x30, c <= 0x39 {
        v = v &* 10 &+ Int64(c - 0x30)
        s = s.dropFirst()
    }
    return negative ? -v : v
}
