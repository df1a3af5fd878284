// The adapter mounted in-process over `FakeKernel`.

import Glibc
import KernelSim
@testable import VirtualBoard

final class FakeBoard {
    let mountPoint: String
    let firmwareDirectory: String
    let kernel: FakeKernel
    let mount: BoardMount

    init() throws {
        mountPoint = makeTemporaryDirectory("vboard-mnt")
        firmwareDirectory = makeTemporaryDirectory("vboard-fw")
        let firmware = FirmwareDirectory(root: firmwareDirectory)
        kernel = FakeKernel(firmware: firmware)
        mount = try BoardMount(filesystem: BoardFilesystem(kernel: kernel, firmware: firmware), at: mountPoint)
        mount.start()
    }

    deinit {
        mount.stop()
        rmdir(mountPoint)
        _ = hostList(firmwareDirectory).map { $0.forEach { unlink(firmwareDirectory + "/" + $0) } }
        rmdir(firmwareDirectory)
    }

    func path(_ relative: String) -> String { mountPoint + "/" + relative }
    var device: String { path("sys/class/remoteproc/remoteproc0") }
}
