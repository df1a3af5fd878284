// Mounting a `BoardFilesystem` with libfuse3's low-level API, running its multithreaded loop,
// and unmounting it again, with errors that say what to install when FUSE is missing.

import CFuse3
import Glibc

/// Why a board could not be mounted.
public enum MountError: Error, Equatable, CustomStringConvertible {
    /// `/dev/fuse` does not exist: the kernel module is not loaded (or the container has no device).
    case fuseDeviceMissing
    /// `/dev/fuse` exists but cannot be opened.
    case fuseDeviceNotAccessible(errno: Int32)
    /// Not root and `fusermount3` is not on `PATH`.
    case fusermountMissing
    case mountPointMissing(path: String, errno: Int32)
    case mountPointNotDirectory(path: String)
    /// The mount point has entries: mounting over them would hide them.
    case mountPointNotEmpty(path: String)
    /// `fuse_session_new` refused the options.
    case sessionFailed
    /// `fuse_session_mount` failed (libfuse printed its reason on stderr).
    case mountFailed(path: String)

    public var description: String {
        switch self {
        case .fuseDeviceMissing:
            "'/dev/fuse' does not exist: load the FUSE kernel module ('modprobe fuse') and install the "
                + "FUSE tools (Debian: 'apt-get install fuse3'); in a container, pass the device (--device /dev/fuse)"
        case .fuseDeviceNotAccessible(let code):
            "cannot open '/dev/fuse': \(String(cString: strerror(code))); run as root, or make the device "
                + "accessible (Debian: 'apt-get install fuse3' sets it up for the 'fuse' users)"
        case .fusermountMissing:
            "'fusermount3' not found on PATH: mounting as a non-root user needs it (Debian: 'apt-get install fuse3')"
        case .mountPointMissing(let path, let code):
            "mount point '\(path)': \(String(cString: strerror(code)))"
        case .mountPointNotDirectory(let path):
            "mount point '\(path)' is not a directory"
        case .mountPointNotEmpty(let path):
            "mount point '\(path)' is not empty; refusing to hide its contents"
        case .sessionFailed:
            "fuse_session_new failed"
        case .mountFailed(let path):
            "cannot mount FUSE on '\(path)' (see libfuse's message above; Debian: 'apt-get install fuse3', 'modprobe fuse')"
        }
    }
}

/// A mounted board: the FUSE session, its loop, and the unmount.
public final class BoardMount: @unchecked Sendable {
    public let mountPoint: String
    public let filesystem: BoardFilesystem
    private let session: OpaquePointer
    private let monitor = Monitor()
    private var loopThread: pthread_t?
    private var finished = false

    /// Checks that FUSE is usable and the mount point is an empty directory, then mounts.
    public init(filesystem: BoardFilesystem, at mountPoint: String) throws(MountError) {
        try Self.checkFuse()
        try Self.checkMountPoint(mountPoint)
        self.mountPoint = mountPoint
        self.filesystem = filesystem

        var options = "fsname=rproc-sim,subtype=rproc-sim"
        // Non-root processes (rprocd as its own user, tests) use the board as they would sysfs.
        if geteuid() == 0 { options += ",allow_other" }
        let arguments = ["rproc-sim", "-o", options]
        var cStrings = arguments.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var operations = makeOperations()
        let created: OpaquePointer? = cStrings.withUnsafeMutableBufferPointer { argv in
            var args = fuse_args(argc: Int32(argv.count), argv: argv.baseAddress, allocated: 0)
            defer { fuse_opt_free_args(&args) }
            return fuse_session_new(
                &args, &operations, MemoryLayout<fuse_lowlevel_ops>.size,
                Unmanaged.passUnretained(filesystem).toOpaque())
        }
        guard let created else { throw .sessionFailed }
        guard fuse_session_mount(created, mountPoint) == 0 else {
            fuse_session_destroy(created)
            throw .mountFailed(path: mountPoint)
        }
        session = created
    }

    deinit {
        stop()
        fuse_session_destroy(session)
    }

    /// Serves requests on the calling thread until `stop()` or an external unmount; then unmounts.
    /// Returns libfuse's loop result (0, or a negative errno).
    @discardableResult
    public func run() -> Int32 {
        filesystem.startTimer()
        var config = fuse_loop_config(clone_fd: 0, max_idle_threads: 10)
        // Multithreaded although no handler blocks: with one thread, a descheduled loop stalls every
        // caller (measured: p50 39 µs but p99 2.6-8 ms for a state read under load, vs 131 µs).
        let result = fuse_session_loop_mt_32(session, &config)
        filesystem.stopTimer()
        fuse_session_unmount(session)
        monitor.withLock {
            finished = true
            monitor.broadcast()
        }
        return result
    }

    /// Serves requests on a new thread; `stop()` ends it.
    public func start() {
        loopThread = startThread { [self] in run() }
    }

    /// Ends the loop and unmounts; returns when both are done. Safe to call more than once.
    public func stop() {
        let done = monitor.withLock { finished }
        if !done {
            fuse_session_exit(session)
            // A worker notices the exit only after its next request: send it one.
            var info = stat()
            _ = stat(mountPoint, &info)
            if loopThread == nil {
                monitor.withLock { while !finished { monitor.wait(untilMonotonic: nil) } }
            }
        }
        if let thread = loopThread {
            pthread_join(thread, nil)
            loopThread = nil
        }
    }

    /// Runs the loop on the calling thread until one of `signals` arrives (SIGTERM, SIGINT by
    /// default), then unmounts. Blocks the signals in every thread; call before starting others.
    @discardableResult
    public func runUntilSignalled(_ signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]) -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waiter = startThread { [self, set] in
            var set = set
            var received: Int32 = 0
            sigwait(&set, &received)
            stop()
        }
        let result = run()
        // An external unmount ended the loop: wake the signal thread so it can finish.
        pthread_kill(waiter, signals.first ?? SIGTERM)
        pthread_join(waiter, nil)
        return result
    }

    // MARK: Checks

    static func checkFuse() throws(MountError) {
        if access("/dev/fuse", F_OK) != 0 { throw .fuseDeviceMissing }
        let fd = Glibc.open("/dev/fuse", O_RDWR | O_CLOEXEC)
        if fd < 0 { throw .fuseDeviceNotAccessible(errno: errno) }
        close(fd)
        if geteuid() != 0 {
            let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
            let found = path.split(separator: ":").contains { access("\($0)/fusermount3", X_OK) == 0 }
            if !found { throw .fusermountMissing }
        }
    }

    static func checkMountPoint(_ path: String) throws(MountError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .mountPointMissing(path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .mountPointNotDirectory(path: path) }
        guard case .success(let names) = hostList(path) else { throw .mountPointMissing(path: path, errno: errno) }
        guard names.isEmpty else { throw .mountPointNotEmpty(path: path) }
    }
}
