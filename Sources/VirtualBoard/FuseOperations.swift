// The `fuse_lowlevel_ops` table: C callbacks that find the `BoardFilesystem` in the session's user
// data and call its Swift method. No logic here.

import CFuse3
import Glibc

private func board(_ raw: fuse_req_t) -> BoardFilesystem {
    Unmanaged<BoardFilesystem>.fromOpaque(fuse_req_userdata(raw)).takeUnretainedValue()
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }

/// The operations table handed to `fuse_session_new`.
func makeOperations() -> fuse_lowlevel_ops {
    var ops = fuse_lowlevel_ops()
    ops.`init` = { _, connection in
        guard let connection else { return }
        // O_TRUNC arrives with the open instead of as a separate truncating setattr.
        if connection.pointee.capable & UInt32(FUSE_CAP_ATOMIC_O_TRUNC) != 0 {
            connection.pointee.want |= UInt32(FUSE_CAP_ATOMIC_O_TRUNC)
        }
    }
    ops.lookup = { raw, parent, name in
        board(raw!).lookup(FuseRequest(raw: raw!), parent: parent, name: string(name))
    }
    ops.forget = { raw, _, _ in fuse_reply_none(raw) }
    ops.forget_multi = { raw, _, _ in fuse_reply_none(raw) }
    ops.getattr = { raw, inode, _ in board(raw!).getattr(FuseRequest(raw: raw!), inode: inode) }
    ops.setattr = { raw, inode, attributes, toSet, info in
        board(raw!).setattr(
            FuseRequest(raw: raw!), inode: inode, attributes: attributes!.pointee, toSet: toSet, info: info)
    }
    ops.access = { raw, inode, mask in board(raw!).access(FuseRequest(raw: raw!), inode: inode, mask: mask) }
    ops.readlink = { raw, inode in board(raw!).readlink(FuseRequest(raw: raw!), inode: inode) }
    ops.mknod = { raw, _, _, _, _ in fuse_reply_err(raw, EPERM) }
    ops.mkdir = { raw, parent, name, mode in
        board(raw!).mkdir(FuseRequest(raw: raw!), parent: parent, name: string(name), mode: mode)
    }
    ops.unlink = { raw, parent, name in
        board(raw!).remove(FuseRequest(raw: raw!), parent: parent, name: string(name), directory: false)
    }
    ops.rmdir = { raw, parent, name in
        board(raw!).remove(FuseRequest(raw: raw!), parent: parent, name: string(name), directory: true)
    }
    ops.symlink = { raw, target, parent, name in
        board(raw!).symlink(FuseRequest(raw: raw!), target: string(target), parent: parent, name: string(name))
    }
    ops.rename = { raw, parent, name, newParent, newName, flags in
        board(raw!).rename(
            FuseRequest(raw: raw!), parent: parent, name: string(name), newParent: newParent,
            newName: string(newName), flags: flags)
    }
    ops.link = { raw, _, _, _ in fuse_reply_err(raw, EPERM) }
    ops.open = { raw, inode, info in board(raw!).open(FuseRequest(raw: raw!), inode: inode, info: info!) }
    ops.read = { raw, _, size, offset, info in
        board(raw!).read(FuseRequest(raw: raw!), size: size, offset: Int(offset), info: info!)
    }
    ops.write = { raw, _, buffer, size, offset, info in
        let bytes = Array(UnsafeRawBufferPointer(start: buffer, count: size))
        board(raw!).write(FuseRequest(raw: raw!), bytes: bytes, offset: Int(offset), info: info!)
    }
    // No flush: libfuse answers ENOSYS once and the kernel stops sending FLUSH at every close
    // (writes go straight through; there is nothing to flush).
    ops.release = { raw, _, info in board(raw!).release(FuseRequest(raw: raw!), info: info!) }
    ops.fsync = { raw, _, dataOnly, info in
        board(raw!).fsync(FuseRequest(raw: raw!), dataOnly: dataOnly != 0, info: info!)
    }
    ops.opendir = { raw, inode, info in board(raw!).opendir(FuseRequest(raw: raw!), inode: inode, info: info!) }
    ops.readdir = { raw, _, size, offset, info in
        board(raw!).readdir(FuseRequest(raw: raw!), size: size, offset: Int(offset), info: info!)
    }
    ops.releasedir = { raw, _, info in board(raw!).releasedir(FuseRequest(raw: raw!), info: info!) }
    ops.statfs = { raw, _ in board(raw!).statfs(FuseRequest(raw: raw!)) }
    ops.create = { raw, parent, name, mode, info in
        board(raw!).create(FuseRequest(raw: raw!), parent: parent, name: string(name), mode: mode, info: info!)
    }
    ops.poll = { raw, _, info, handle in board(raw!).poll(FuseRequest(raw: raw!), info: info!, handle: handle) }
    return ops
}
