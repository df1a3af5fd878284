extension KernelFiles {
    /// The remote processor a sysfs device belongs to: resolves `path` (under the root) and walks up to the first
    /// ancestor whose `subsystem` link resolves to `…/class/remoteproc` (kernel-contract.md §7.4). Returns that
    /// ancestor's name (`remoteprocN`), or nil when the device is not below a remote processor.
    public func owningRemoteproc(of path: String) -> String? {
        guard let resolved = try? operations.realPath(path) else { return nil }
        return owningRemoteproc(ofResolved: resolved)
    }

    func owningRemoteproc(ofResolved resolved: String) -> String? {
        let stop = String(root.dropLast())
        var current = Substring(resolved)
        while current.count > stop.count, current.hasPrefix(stop) {
            let directory = String(current)
            if let subsystem = try? operations.realPath(directory + "/subsystem"), subsystem.hasSuffix("/class/remoteproc") {
                return lastComponent(directory)
            }
            guard let slash = current.lastIndex(of: "/") else { break }
            current = current[..<slash]
        }
        return nil
    }
}

/// The last path component of `path`.
func lastComponent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}
