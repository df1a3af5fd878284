// FUSE's low-level API names files by inode number; the kernel model names them by path. This table
// gives every path ever looked up a stable inode number (never reused, so no generation counting),
// and maps it back.

/// Inode numbers for board paths. Not thread-safe: the caller serializes.
struct NodeTable {
    /// FUSE's root inode (`FUSE_ROOT_ID`); its path is `""`.
    static let rootInode: UInt64 = 1

    private var pathByInode: [UInt64: String] = [NodeTable.rootInode: ""]
    private var inodeByPath: [String: UInt64] = ["": NodeTable.rootInode]
    private var nextInode: UInt64 = NodeTable.rootInode + 1

    /// The path of `inode`, or nil for an inode this table never gave out.
    func path(of inode: UInt64) -> String? { pathByInode[inode] }

    /// The inode number of `path`, given out now if the path is new.
    mutating func inode(for path: String) -> UInt64 {
        if let inode = inodeByPath[path] { return inode }
        let inode = nextInode
        nextInode += 1
        inodeByPath[path] = inode
        pathByInode[inode] = path
        return inode
    }

    /// After a rename: `from` and everything below it now live under `to`, keeping their inodes.
    mutating func move(_ from: String, to: String) {
        if let replaced = inodeByPath.removeValue(forKey: to) { pathByInode[replaced] = nil }
        let prefix = from + "/"
        for (path, inode) in inodeByPath where path == from || path.hasPrefix(prefix) {
            let moved = to + path.dropFirst(from.count)
            inodeByPath[path] = nil
            inodeByPath[moved] = inode
            pathByInode[inode] = moved
        }
    }

    /// The path of the entry `name` in the directory `parent`.
    static func join(_ parent: String, _ name: String) -> String {
        parent.isEmpty ? name : parent + "/" + name
    }
}
