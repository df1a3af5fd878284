// `lib/firmware/` passthrough: requests below it go to the host directory, so tests and rprocd can
// stage firmware through the mount (write a temporary file, rename it into place) as they would on
// a board. Outside it the board's tree cannot be changed, and the errors are the VFS's for sysfs.

import CFuse3
import Glibc
import KernelSim

extension BoardFilesystem {
    func hostOpen(
        _ request: FuseRequest, hostPath: String, flags: Int32, mode: mode_t,
        info: UnsafeMutablePointer<fuse_file_info>, createdInode: UInt64? = nil
    ) {
        let fd = Glibc.open(hostPath, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { return request.fail(errno) }
        var writer: FileIdentity?
        if flags & O_ACCMODE != O_RDONLY {
            var host = stat()
            fstat(fd, &host)
            writer = FileIdentity(host)
            firmware.beginWriting(writer!)
        }
        OpenFile(.host(fd: fd, writer: writer)).store(in: info)
        if let createdInode {
            var host = stat()
            fstat(fd, &host)
            host.st_ino = UInt(createdInode)
            request.reply(create: createdInode, attributes: host, info: info)
        } else {
            request.reply(open: info)
        }
    }

    /// Applies a setattr to a host file; returns the errno on failure.
    func hostSetattr(
        _ path: String, _ attributes: stat, _ toSet: Int32, _ info: UnsafeMutablePointer<fuse_file_info>?
    ) -> Int32? {
        if toSet & FUSE_SET_ATTR_MODE != 0, chmod(path, attributes.st_mode & 0o7777) != 0 { return errno }
        if toSet & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0 {
            let uid = toSet & FUSE_SET_ATTR_UID != 0 ? attributes.st_uid : uid_t.max
            let gid = toSet & FUSE_SET_ATTR_GID != 0 ? attributes.st_gid : gid_t.max
            if lchown(path, uid, gid) != 0 { return errno }
        }
        if toSet & FUSE_SET_ATTR_SIZE != 0 {
            if let file = OpenFile.borrow(info), case .host(let fd, _) = file.kind {
                if ftruncate(fd, off_t(attributes.st_size)) != 0 { return errno }
            } else if truncate(path, off_t(attributes.st_size)) != 0 {
                return errno
            }
        }
        if toSet & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME) != 0 {
            func time(_ set: Int32, _ now: Int32, _ value: timespec) -> timespec {
                if toSet & now != 0 { return timespec(tv_sec: 0, tv_nsec: (1 << 30) - 1) }
                if toSet & set != 0 { return value }
                return timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2)
            }
            var times = [
                time(FUSE_SET_ATTR_ATIME, FUSE_SET_ATTR_ATIME_NOW, attributes.st_atim),
                time(FUSE_SET_ATTR_MTIME, FUSE_SET_ATTR_MTIME_NOW, attributes.st_mtim),
            ]
            if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 { return errno }
        }
        return nil
    }

    /// The board path of `name` in `parent`, and whether it is below `lib/firmware`.
    private func childPath(_ parent: UInt64, _ name: String) -> (path: String, inFirmware: Bool)? {
        guard let parentPath = monitor.withLock({ nodes.path(of: parent) }) else { return nil }
        let path = NodeTable.join(parentPath, name)
        return (path, FirmwareDirectory.contains(parentPath))
    }

    /// Replies with the entry of a just-made host node.
    private func replyNewEntry(_ request: FuseRequest, path: String) {
        var host = stat()
        guard lstat(firmware.hostPath(ofBoardPath: path), &host) == 0 else { return request.fail(errno) }
        let inode = monitor.withLock { nodes.inode(for: path) }
        host.st_ino = UInt(inode)
        request.reply(entry: inode, attributes: host)
    }

    func create(
        _ request: FuseRequest, parent: UInt64, name: String, mode: mode_t,
        info: UnsafeMutablePointer<fuse_file_info>
    ) {
        guard let (path, inFirmware) = childPath(parent, name) else { return request.fail(ENOENT) }
        // sysfs directories have no create operation (vfs_create: EACCES).
        guard inFirmware else { return request.fail(EACCES) }
        let inode = monitor.withLock { nodes.inode(for: path) }
        hostOpen(
            request, hostPath: firmware.hostPath(ofBoardPath: path), flags: info.pointee.flags | O_CREAT,
            mode: mode, info: info, createdInode: inode)
    }

    func mkdir(_ request: FuseRequest, parent: UInt64, name: String, mode: mode_t) {
        guard let (path, inFirmware) = childPath(parent, name) else { return request.fail(ENOENT) }
        guard inFirmware else { return request.fail(EPERM) }
        guard Glibc.mkdir(firmware.hostPath(ofBoardPath: path), mode) == 0 else { return request.fail(errno) }
        replyNewEntry(request, path: path)
    }

    func symlink(_ request: FuseRequest, target: String, parent: UInt64, name: String) {
        guard let (path, inFirmware) = childPath(parent, name) else { return request.fail(ENOENT) }
        guard inFirmware else { return request.fail(EPERM) }
        guard Glibc.symlink(target, firmware.hostPath(ofBoardPath: path)) == 0 else { return request.fail(errno) }
        replyNewEntry(request, path: path)
    }

    func remove(_ request: FuseRequest, parent: UInt64, name: String, directory: Bool) {
        guard let (path, inFirmware) = childPath(parent, name) else { return request.fail(ENOENT) }
        guard inFirmware else { return request.fail(EPERM) }
        let host = firmware.hostPath(ofBoardPath: path)
        let result = directory ? rmdir(host) : unlink(host)
        result == 0 ? request.succeed() : request.fail(errno)
    }

    func rename(
        _ request: FuseRequest, parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32
    ) {
        guard let (from, fromFirmware) = childPath(parent, name),
            let (to, toFirmware) = childPath(newParent, newName)
        else { return request.fail(ENOENT) }
        guard fromFirmware || toFirmware else { return request.fail(EPERM) }
        guard fromFirmware && toFirmware else { return request.fail(EXDEV) }
        // RENAME_NOREPLACE (1) by checking first (mv uses it); RENAME_EXCHANGE is not offered.
        guard flags == 0 || flags == 1 else { return request.fail(EINVAL) }
        var existing = stat()
        if flags == 1, lstat(firmware.hostPath(ofBoardPath: to), &existing) == 0 { return request.fail(EEXIST) }
        guard Glibc.rename(firmware.hostPath(ofBoardPath: from), firmware.hostPath(ofBoardPath: to)) == 0 else {
            return request.fail(errno)
        }
        monitor.withLock { nodes.move(from, to: to) }
        request.succeed()
    }
}
