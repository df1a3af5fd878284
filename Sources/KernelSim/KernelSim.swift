// Module KernelSim: see docs/ARCHITECTURE.md and docs/kernel-contract.md (the ground truth).
//
// The kernel model behind the virtual board: `Kernel` implements `SimulatedKernel` (Seam.swift,
// additions in SeamExtensions.swift) for one `BoardDescription` (Board.swift). Pure: standard
// library and RprocFirmware only, no clock (time comes in as `SimTime`), no I/O (firmware files
// come through `FirmwareSource`).
//
//   Board.swift          BoardDescription, ProcessorDescription (+ the `.sim/add` line format)
//   Kernel.swift         the instance: event queue, rproc->lock, registration and removal
//   Processor.swift      struct rproc and what hangs off it; `Flow`, the code run under the lock
//   Operations.swift     rproc_boot/shutdown/detach/attach, fw_boot, start/stop, crash, recovery,
//                        request_firmware's search
//   Resources.swift      resource handling (checks by RprocFirmware's KernelLoader), carveouts,
//                        rproc-virtio/virtio/rpmsg devices
//   Coredump.swift       rproc_coredump, devcoredump devices
//   FileTree.swift       the files: sysfs, debugfs, devcoredump, module parameter, proc, .sim
//   Access.swift         stat/list/readLink/openCheck/read (the show functions)
//   Writes.swift         write (the store functions)
//   KernelLog.swift      the printk ring behind /dev/kmsg
//
// Files (paths relative to the mount point):
//   sys/class/remoteproc/remoteprocN -> ../../devices/platform/<parent>/remoteproc/remoteprocN
//     {coredump,recovery,firmware,state,name,uevent,device,subsystem,power/,devcoredump,
//      rproc-virtio.K.auto/virtioM/virtioM.<name>.<src>.<dst>/{name,src,dst,announce,modalias,
//      driver_override,uevent,subsystem,driver}}
//   sys/bus/rpmsg/devices/<dev>, sys/bus/virtio/devices/virtioM, sys/bus/platform/devices/…
//   sys/class/devcoredump/{disabled,devcdM} -> ../../devices/virtual/devcoredump/devcdM/{data,failing_device,…}
//   sys/kernel/debug/remoteproc/remoteprocN/{name,recovery,crash,resource_table,carveout_memories,coredump,traceK}
//   sys/module/firmware_class/parameters/path, proc/sys/kernel/osrelease, dev/kmsg,
//   dev/remoteprocN (only with BoardDescription.remoteprocCdev)
//   .sim/add, .sim/remove, .sim/remoteprocN/{start_delay_ms,stop_delay_ms,fail_next_start,
//     fail_next_stop,crash_after_ms,announce_delay_ms}
//
// The simulated driver (what real-kernel-testing.md's QEMU driver does): `ops->start`/`attach`
// take `start_delay_ms` and fail with -EIO while `fail_next_start` > 0; `ops->stop`/`detach` the
// same with the stop knobs; a successful start writes the board's trace text into the first trace
// buffer and arms the `crash_after_ms` watchdog (type watchdog); with `dumpLoadedSegments` the
// loaded segments are the dump segments.
