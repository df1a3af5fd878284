// The FUSE low-level operations of the board, one method per request type. Paths come from the
// inode table; everything about a model path comes from the model.

import CFuse3
import Glibc
import KernelSim
import RprocFirmware

extension BoardFilesystem {
    // MARK: Names and attributes

    /// What a locked section decided to answer; sent once the lock is released.
    enum Answer {
        case failure(Int32)
        case entry(UInt64, stat)
        case attributes(stat)
        case link(String)
        case opened
    }

    /// Runs `body` with the lock held and sends its answer after releasing it.
    /// The model is advanced to now first: a lookup, stat or listing must see what the model's
    /// due events (an rpmsg announcement, a finished start) have made of the tree by now.
    private func answer(_ request: FuseRequest, open info: UnsafeMutablePointer<fuse_file_info>? = nil, _ body: () -> Answer) {
        let decided = withService { _ in body() }
        switch decided {
        case .failure(let code): request.fail(code)
        case .entry(let inode, let attributes): request.reply(entry: inode, attributes: attributes)
        case .attributes(let attributes): request.reply(attributes: attributes)
        case .link(let target): request.reply(link: target)
        case .opened: request.reply(open: info!)
        }
    }

    /// The VFS's permission check on a model directory for a caller that is not root (debugfs is
    /// 0700); needed because the mount does not use default_permissions (root must not bypass
    /// kernfs's open check). Call with `monitor` held.
    private func directoryDeniesLocked(_ path: String, _ want: mode_t, _ request: FuseRequest) -> Bool {
        guard case .success(.model(.directory(let mode))) = resolveLocked(path) else { return false }
        return !Self.callerMay(want, mode: mode_t(mode), request: request)
    }

    func lookup(_ request: FuseRequest, parent: UInt64, name: String) {
        answer(request) {
            guard let parentPath = nodes.path(of: parent) else { return .failure(ENOENT) }
            if directoryDeniesLocked(parentPath, 1, request) { return .failure(EACCES) }
            let path = NodeTable.join(parentPath, name)
            switch resolveLocked(path) {
            case .failure(let errno): return .failure(errno.rawValue)
            case .success(let resolved):
                let inode = nodes.inode(for: path)
                return .entry(inode, attributesLocked(resolved, path: path, inode: inode))
            }
        }
    }

    func getattr(_ request: FuseRequest, inode: UInt64) {
        answer(request) {
            guard let path = nodes.path(of: inode) else { return .failure(ENOENT) }
            switch resolveLocked(path) {
            case .failure(let errno): return .failure(errno.rawValue)
            case .success(let resolved):
                return .attributes(attributesLocked(resolved, path: path, inode: inode, countLinks: true))
            }
        }
    }

    func readlink(_ request: FuseRequest, inode: UInt64) {
        answer(request) {
            guard let path = nodes.path(of: inode) else { return .failure(ENOENT) }
            if FirmwareDirectory.contains(path) {
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = Glibc.readlink(firmware.hostPath(ofBoardPath: path), &buffer, buffer.count - 1)
                guard count >= 0 else { return .failure(errno) }
                return .link(String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            switch kernel.readLink(path) {
            case .success(let target): return .link(target)
            case .failure(let errno): return .failure(errno.rawValue)
            }
        }
    }

    /// access(2): the VFS's generic check. Root passes (even W_OK on a 0444 attribute: kernfs's
    /// extra check is only at open), except X_OK on a file without any execute bit.
    func access(_ request: FuseRequest, inode: UInt64, mask: Int32) {
        monitor.lock()
        defer { monitor.unlock() }
        guard let path = nodes.path(of: inode) else { return request.fail(ENOENT) }
        switch resolveLocked(path) {
        case .failure(let errno):
            request.fail(errno)
        case .success(.host):
            request.fail(Glibc.access(firmware.hostPath(ofBoardPath: path), mask) == 0 ? 0 : errno)
        case .success(.model(let node)):
            let mode: mode_t
            switch node {
            case .directory(let bits), .file(let bits, _), .characterDevice(let bits): mode = mode_t(bits)
            case .symlink: mode = 0o777
            }
            let want = mode_t(mask & 7)
            if request.callerUID == 0 {
                let isDirectory: Bool = if case .directory = node { true } else { false }
                let executeDenied = want & 1 != 0 && !isDirectory && mode & 0o111 == 0
                return request.fail(executeDenied ? EACCES : 0)
            }
            request.fail(Self.callerMay(want, mode: mode, request: request) ? 0 : EACCES)
        }
    }

    func setattr(
        _ request: FuseRequest, inode: UInt64, attributes: stat, toSet: Int32,
        info: UnsafeMutablePointer<fuse_file_info>?
    ) {
        let path = monitor.withLock { nodes.path(of: inode) }
        guard let path else { return request.fail(ENOENT) }
        if FirmwareDirectory.contains(path) {
            if let code = hostSetattr(firmware.hostPath(ofBoardPath: path), attributes, toSet, info) {
                return request.fail(code)
            }
        } else if toSet & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0 {
            // The board's files keep the modes and owners the model gives them.
            return request.fail(EPERM)
        }
        // Truncation (`echo start > state` opens with O_TRUNC) and time stamps are accepted and
        // change nothing, as on sysfs.
        getattr(request, inode: inode)
    }

    func statfs(_ request: FuseRequest) {
        var info = statvfs()
        info.f_bsize = 4096
        info.f_frsize = 4096
        info.f_namemax = 255
        fuse_reply_statfs(request.raw, &info)
    }

    // MARK: Directories

    func opendir(_ request: FuseRequest, inode: UInt64, info: UnsafeMutablePointer<fuse_file_info>) {
        answer(request, open: info) {
            guard let path = nodes.path(of: inode) else { return .failure(ENOENT) }
            if directoryDeniesLocked(path, 4, request) { return .failure(EACCES) }
            let names: [String]
            switch listLocked(path) {
            case .failure(let errno): return .failure(errno.rawValue)
            case .success(let list): names = list
            }
            let parentPath = path.isEmpty ? "" : String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            var entries = [
                DirectoryEntry(name: ".", inode: inode, mode: S_IFDIR),
                DirectoryEntry(name: "..", inode: nodes.inode(for: parentPath), mode: S_IFDIR),
            ]
            for name in names {
                let child = NodeTable.join(path, name)
                guard case .success(let resolved) = resolveLocked(child) else { continue }
                let childInode = nodes.inode(for: child)
                let mode = attributesLocked(resolved, path: child, inode: childInode).st_mode & S_IFMT
                entries.append(DirectoryEntry(name: name, inode: childInode, mode: mode))
            }
            OpenFile(.directory(entries)).store(in: info)
            return .opened
        }
    }

    func readdir(_ request: FuseRequest, size: Int, offset: Int, info: UnsafeMutablePointer<fuse_file_info>) {
        guard let file = OpenFile.borrow(info), case .directory(let entries) = file.kind else {
            return request.fail(EBADF)
        }
        var buffer = [CChar](repeating: 0, count: size)
        var used = 0
        buffer.withUnsafeMutableBufferPointer { raw in
            var index = max(offset, 0)
            while index < entries.count {
                var attributes = stat()
                attributes.st_ino = UInt(entries[index].inode)
                attributes.st_mode = entries[index].mode
                let needed = fuse_add_direntry(
                    request.raw, raw.baseAddress! + used, size - used, entries[index].name, &attributes,
                    off_t(index + 1))
                if needed > size - used { break }
                used += needed
                index += 1
            }
        }
        buffer.withUnsafeBufferPointer { raw in _ = fuse_reply_buf(request.raw, raw.baseAddress, used) }
    }

    func releasedir(_ request: FuseRequest, info: UnsafeMutablePointer<fuse_file_info>) {
        _ = OpenFile.take(info)
        request.succeed()
    }

    // MARK: Files

    func open(_ request: FuseRequest, inode: UInt64, info: UnsafeMutablePointer<fuse_file_info>) {
        let flags = info.pointee.flags
        let forWriting = flags & O_ACCMODE != O_RDONLY
        monitor.lock()
        guard let path = nodes.path(of: inode) else {
            monitor.unlock()
            return request.fail(ENOENT)
        }
        if FirmwareDirectory.contains(path) {
            monitor.unlock()
            return hostOpen(request, hostPath: firmware.hostPath(ofBoardPath: path), flags: flags, mode: 0, info: info)
        }
        let node: SimNode
        switch kernel.stat(path) {
        case .success(let found): node = found
        case .failure(let errno):
            monitor.unlock()
            return request.fail(errno)
        }
        if case .failure(let errno) = kernel.openCheck(path, forWriting: forWriting) {
            monitor.unlock()
            return request.fail(errno)
        }
        let mode: UInt16
        let file: OpenFile
        switch node {
        case .file(let fileMode, _):
            mode = fileMode
            file = OpenFile(.attribute(path))
        case .characterDevice(let deviceMode) where path == "dev/kmsg":
            mode = deviceMode
            file = OpenFile(.kmsg(path))
            file.cursor = kmsgFirstSequenceLocked()
            kmsgFiles[ObjectIdentifier(file)] = file
        case .characterDevice(let deviceMode):
            // dev/remoteprocN (CONFIG_REMOTEPROC_CDEV): one model write per write(2), as a file.
            mode = deviceMode
            file = OpenFile(.attribute(path))
        case .directory:
            monitor.unlock()
            return request.fail(EISDIR)
        case .symlink:
            monitor.unlock()
            return request.fail(ELOOP)
        }
        let want: mode_t = (flags & O_ACCMODE != O_WRONLY ? 4 : 0) | (forWriting ? 2 : 0)
        guard Self.callerMay(want, mode: mode_t(mode), request: request) else {
            kmsgFiles[ObjectIdentifier(file)] = nil
            monitor.unlock()
            return request.fail(EACCES)
        }
        monitor.unlock()
        file.store(in: info)
        request.reply(openDirect: info)
    }

    func read(_ request: FuseRequest, size: Int, offset: Int, info: UnsafeMutablePointer<fuse_file_info>) {
        guard let file = OpenFile.borrow(info) else { return request.fail(EBADF) }
        switch file.kind {
        case .host(let fd, _):
            var buffer = [UInt8](repeating: 0, count: size)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, off_t(offset)) }
            if count < 0 { return request.fail(errno) }
            request.reply(bytes: buffer[0..<count])
        case .attribute(let path):
            // sysfs: a read at offset 0 runs show() again; later offsets read the same snapshot.
            let outcome: Result<ArraySlice<UInt8>, KernelErrno> = withService { now in
                // Files whose read handler sees the offset (devcoredump `data`, debugfs `traceN`).
                if let ranged = kernel.readRange(path, offset: UInt64(offset), count: size, now: now) {
                    return ranged.map { $0[...] }
                }
                if offset == 0 || file.snapshot == nil {
                    switch kernel.read(path, now: now) {
                    case .success(let bytes): file.snapshot = bytes
                    case .failure(let errno): return .failure(errno)
                    }
                }
                let snapshot = file.snapshot ?? []
                guard offset < snapshot.count else { return .success([]) }
                return .success(snapshot[offset..<min(snapshot.count, offset + size)])
            }
            switch outcome {
            case .success(let bytes): request.reply(bytes: bytes)
            case .failure(let errno): request.fail(errno)
            }
        case .kmsg:
            kmsgRead(request, file: file, size: size, nonBlocking: info.pointee.flags & O_NONBLOCK != 0)
        case .directory:
            request.fail(EISDIR)
        }
    }

    private func kmsgRead(_ request: FuseRequest, file: OpenFile, size: Int, nonBlocking: Bool) {
        if let outcome = withService({ _ in kmsgAttempt(file, size: size) }) {
            return outcome.reply(to: request).send()
        }
        if nonBlocking { return request.fail(EAGAIN) }
        monitor.lock()
        if let outcome = kmsgAttempt(file, size: size) {
            monitor.unlock()
            return outcome.reply(to: request).send()
        }
        kmsgReaders[request.key] = KmsgWait(request: request, file: file, size: size)
        registerForInterrupt(request)
        monitor.unlock()
    }

    func write(_ request: FuseRequest, bytes: [UInt8], offset: Int, info: UnsafeMutablePointer<fuse_file_info>) {
        guard let file = OpenFile.borrow(info) else { return request.fail(EBADF) }
        let path: String
        switch file.kind {
        case .host(let fd, _):
            let count = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            return count < 0 ? request.fail(errno) : request.reply(written: count)
        case .attribute(let attributePath), .kmsg(let attributePath):
            path = attributePath
        case .directory:
            return request.fail(EISDIR)
        }
        // Exactly one model write per write(2), with exactly these bytes.
        let immediate: Result<Int, KernelErrno>? = withService { now in
            switch kernel.write(path, bytes: bytes, now: now) {
            case .completed(let result):
                return result
            case .pending(let ticket):
                pendingWrites.append((ticket, request))
                registerForInterrupt(request)
                monitor.broadcast()
                return nil
            }
        }
        if let immediate { request.reply(write: immediate) }
    }

    func poll(
        _ request: FuseRequest, info: UnsafeMutablePointer<fuse_file_info>, handle: OpaquePointer?
    ) {
        guard let file = OpenFile.borrow(info), case .kmsg = file.kind else {
            // sysfs attributes: readable and writable at once, and never notified (remoteproc
            // never calls sysfs_notify), so the handle is never used. `dev/rpmsgN` is readable
            // while the model holds a message for it; the simulated remote answers within the
            // write(2) that sent the request, so a poll after it never needs a later wake-up.
            if let handle { fuse_pollhandle_destroy(handle) }
            var readable = true
            if let file = OpenFile.borrow(info), case .attribute(let path) = file.kind {
                readable = withService { now in kernel.readable(path, now: now) } ?? true
            }
            let events = POLLOUT | POLLWRNORM | (readable ? POLLIN | POLLRDNORM : 0)
            return request.reply(poll: Int32(events))
        }
        var replaced: OpaquePointer?
        let events: Int32 = withService { _ in
            var events: Int32 = 0
            if let record = kernel.kmsgRecord(atOrAfter: file.cursor) {
                events = Int32(POLLIN | POLLRDNORM)
                if record.sequence > file.cursor { events |= Int32(POLLERR | POLLPRI) }
            }
            if let handle {
                if events == 0 {
                    replaced = file.pollHandle
                    file.pollHandle = handle
                } else {
                    replaced = handle
                }
            }
            return events
        }
        if let replaced { fuse_pollhandle_destroy(replaced) }
        request.reply(poll: events)
    }

    func fsync(_ request: FuseRequest, dataOnly: Bool, info: UnsafeMutablePointer<fuse_file_info>) {
        guard let file = OpenFile.borrow(info), case .host(let fd, _) = file.kind else { return request.succeed() }
        let result = dataOnly ? fdatasync(fd) : Glibc.fsync(fd)
        result == 0 ? request.succeed() : request.fail(errno)
    }

    func release(_ request: FuseRequest, info: UnsafeMutablePointer<fuse_file_info>) {
        guard let file = OpenFile.take(info) else { return request.succeed() }
        switch file.kind {
        case .host(let fd, let writer):
            close(fd)
            if let writer { firmware.endWriting(writer) }
        case .kmsg:
            let handle = monitor.withLock { () -> OpaquePointer? in
                kmsgFiles[ObjectIdentifier(file)] = nil
                defer { file.pollHandle = nil }
                return file.pollHandle
            }
            if let handle { fuse_pollhandle_destroy(handle) }
        case .attribute, .directory:
            break
        }
        request.succeed()
    }
}
