import Foundation
import Testing

@testable import RprocSystem

@Suite struct DevcoredumpTests {
    let tree: FakeTree

    init() throws {
        tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "imx-rproc")
        try tree.remoteproc(1, name: "dsp", parent: "dsp")
    }

    func dump(_ index: Int, of parent: String, device: String, data: [UInt8]) throws {
        let directory = "sys/devices/virtual/devcoredump/devcd\(index)"
        try tree.bytes(directory + "/data", data, mode: 0o600)
        try tree.link(directory + "/failing_device", to: "../../../platform/\(parent)/remoteproc/\(device)")
        try tree.link("sys/class/devcoredump/devcd\(index)", to: "../../devices/virtual/devcoredump/devcd\(index)")
        try tree.link("sys/devices/platform/\(parent)/remoteproc/\(device)/devcoredump", to: "../../../../virtual/devcoredump/devcd\(index)")
    }

    @Test func scansTiesReadsAndReleases() throws {
        let core = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try dump(3, of: "imx-rproc", device: "remoteproc0", data: core)
        try dump(12, of: "dsp", device: "remoteproc1", data: [0x7F, 0x45, 0x4C, 0x46])
        try tree.file("sys/class/devcoredump/disabled", "0\n")
        let recorder = RecordingFileOperations()
        let kernel = KernelFiles(root: tree.root, operations: recorder)
        let dumps = try kernel.devcoredumps()
        #expect(dumps.map(\.name) == ["devcd3", "devcd12"])
        #expect(dumps.map(\.remoteproc) == ["remoteproc0", "remoteproc1"])
        #expect(dumps[0].failingDevicePath == "/sys/devices/platform/imx-rproc/remoteproc/remoteproc0")
        #expect(try kernel.readDevcoredump(dumps[0]) == core)
        // Read in page-sized chunks until a read returns 0.
        let offsets = recorder.events.filter { $0.call == .read }.compactMap(\.offset)
        #expect(offsets == [0, 4096, 8192, 10_000])
        try kernel.releaseDevcoredump(dumps[0])
        #expect(recorder.writes.map(\.bytes) == [[UInt8(ascii: "1")]])
        #expect(recorder.writes[0].path == dumps[0].dataPath)
    }

    @Test func findsOneDumpByItsUdevName() throws {
        try dump(4, of: "dsp", device: "remoteproc1", data: [1])
        #expect(tree.kernel.devcoredump(named: "devcd4")?.remoteproc == "remoteproc1")
        #expect(tree.kernel.devcoredump(named: "devcd5") == nil)
        #expect(tree.kernel.devcoredump(named: "../devcd4") == nil)
        try tree.remove("sys/devices/virtual/devcoredump/devcd4")
        #expect(tree.kernel.devcoredump(named: "devcd4") == nil)
        #expect(try tree.kernel.devcoredumps().isEmpty)
    }

    @Test func noClassMeansNoDumps() throws {
        #expect(try tree.kernel.devcoredumps().isEmpty)
    }

    @Test func aDumpOfAnotherDeviceHasNoProcessor() throws {
        try tree.file("sys/devices/pci0000:00/0000:00:02.0/subsystem-target", "")
        try tree.directory("sys/class/drm")
        try tree.link("sys/devices/pci0000:00/0000:00:02.0/subsystem", to: "../../../class/drm")
        let directory = "sys/devices/virtual/devcoredump/devcd1"
        try tree.bytes(directory + "/data", [1, 2], mode: 0o600)
        try tree.link(directory + "/failing_device", to: "../../../pci0000:00/0000:00:02.0")
        try tree.link("sys/class/devcoredump/devcd1", to: "../../devices/virtual/devcoredump/devcd1")
        let dumps = try tree.kernel.devcoredumps()
        #expect(dumps.count == 1)
        #expect(dumps[0].remoteproc == nil)
        #expect(dumps[0].failingDevicePath == "/sys/devices/pci0000:00/0000:00:02.0")
    }
}

@Suite struct TraceBufferTests {
    @Test func listsReadsUpToNULAndNoticesVanishing() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "p")
        let debugfs = "sys/kernel/debug/remoteproc/remoteproc0"
        try tree.bytes(debugfs + "/trace0", Array("boot ok\nticks 5\n".utf8) + [0, 0x41, 0x42], mode: 0o400)
        try tree.file(debugfs + "/trace1", "Trace  not available\n", mode: 0o400)
        try tree.file(debugfs + "/trace10", "x", mode: 0o400)
        try tree.file(debugfs + "/resource_table", "", mode: 0o400)
        let kernel = tree.kernel
        let buffers = try kernel.traceBuffers(of: "remoteproc0")
        #expect(buffers.map(\.index) == [0, 1, 10])
        #expect(try kernel.readTrace(buffers[0]) == .text("boot ok\nticks 5\n"))
        #expect(try kernel.readTrace(buffers[1]) == .notAvailable)
        try tree.remove(debugfs)
        #expect(try kernel.readTrace(buffers[0]) == .vanished)
        #expect(try kernel.traceBuffers(of: "remoteproc0").isEmpty)
    }
}

@Suite struct RpmsgChannelTests {
    @Test func tiesEachChannelToItsProcessorAndCharacterDevice() throws {
        let tree = try FakeTree()
        try tree.remoteproc(0, name: "m4", parent: "imx-rproc")
        let virtio = "sys/devices/platform/imx-rproc/remoteproc/remoteproc0/rproc-virtio.0.auto/virtio0"
        func channel(_ name: String, _ device: String, src: String, dst: String) throws {
            try tree.file("\(virtio)/\(device)/name", name + "\n", mode: 0o444)
            try tree.file("\(virtio)/\(device)/src", src + "\n", mode: 0o444)
            try tree.file("\(virtio)/\(device)/dst", dst + "\n", mode: 0o444)
            try tree.link("sys/bus/rpmsg/devices/\(device)", to: "../../../devices/platform/imx-rproc/remoteproc/remoteproc0/rproc-virtio.0.auto/virtio0/\(device)")
        }
        try channel("rpmsg-raw", "virtio0.rpmsg-raw.-1.1024", src: "0x400", dst: "0x400")
        try channel("rpmsg_ctrl", "virtio0.rpmsg_ctrl.0.0", src: "0xffffffff", dst: "0xffffffff")
        try tree.directory("\(virtio)/virtio0.rpmsg-raw.-1.1024/rpmsg/rpmsg0")
        try tree.directory("\(virtio)/virtio0.rpmsg_ctrl.0.0/rpmsg/rpmsg_ctrl0/rpmsg1")
        try tree.link("sys/class/rpmsg/rpmsg0", to: "../../devices/platform/imx-rproc/remoteproc/remoteproc0/rproc-virtio.0.auto/virtio0/virtio0.rpmsg-raw.-1.1024/rpmsg/rpmsg0")
        try tree.link("sys/class/rpmsg/rpmsg_ctrl0", to: "../../devices/platform/imx-rproc/remoteproc/remoteproc0/rproc-virtio.0.auto/virtio0/virtio0.rpmsg_ctrl.0.0/rpmsg/rpmsg_ctrl0")
        try tree.link("sys/class/rpmsg/rpmsg1", to: "../../devices/platform/imx-rproc/remoteproc/remoteproc0/rproc-virtio.0.auto/virtio0/virtio0.rpmsg_ctrl.0.0/rpmsg/rpmsg_ctrl0/rpmsg1")
        // A channel on a virtio device that is not below a remote processor (virtio-pci).
        try tree.file("sys/devices/pci0000:00/virtio3/virtio3.echo.-1.30/name", "echo\n")
        try tree.file("sys/devices/pci0000:00/virtio3/virtio3.echo.-1.30/src", "0xffffffff\n")
        try tree.file("sys/devices/pci0000:00/virtio3/virtio3.echo.-1.30/dst", "0x1e\n")
        try tree.link("sys/bus/rpmsg/devices/virtio3.echo.-1.30", to: "../../../devices/pci0000:00/virtio3/virtio3.echo.-1.30")

        let channels = try tree.kernel.rpmsgChannels()
        #expect(channels.map(\.device) == ["virtio0.rpmsg-raw.-1.1024", "virtio0.rpmsg_ctrl.0.0", "virtio3.echo.-1.30"])
        #expect(channels.map(\.name) == ["rpmsg-raw", "rpmsg_ctrl", "echo"])
        #expect(channels.map(\.source) == [0x400, RpmsgChannel.anyAddress, RpmsgChannel.anyAddress])
        #expect(channels.map(\.destination) == [0x400, RpmsgChannel.anyAddress, 30])
        #expect(channels.map(\.remoteproc) == ["remoteproc0", "remoteproc0", nil])
        #expect(channels[0].characterDevices == ["rpmsg0"])
        #expect(channels[1].characterDevices == ["rpmsg1", "rpmsg_ctrl0"])
        #expect(channels[2].characterDevices == [])
        #expect(channels[0].devicePath == "/" + virtio + "/virtio0.rpmsg-raw.-1.1024")
        // Readiness's cheap read: the same owners, by device name alone.
        let owners = try tree.kernel.rpmsgChannelOwners(named: ["rpmsg-raw", "echo", "absent"])
        #expect(owners.map(\.name) == ["rpmsg-raw"])
        #expect(owners.map(\.remoteproc) == ["remoteproc0"])

        // The scan's cache: read again only when a listing changes.
        var cache = RpmsgChannelCache()
        #expect(try cache.read(tree.kernel) == channels)
        try tree.file("sys/devices/pci0000:00/virtio3/virtio3.echo.-1.30/dst", "0x1f\n")
        #expect(try cache.read(tree.kernel)[2].destination == 30)
        try tree.directory("sys/devices/pci0000:00/virtio3/virtio3.echo.-1.30/rpmsg/rpmsg2")
        try tree.link("sys/class/rpmsg/rpmsg2", to: "../../devices/pci0000:00/virtio3/virtio3.echo.-1.30/rpmsg/rpmsg2")
        let again = try cache.read(tree.kernel)
        #expect(again[2].destination == 0x1f)
        #expect(again[2].characterDevices == ["rpmsg2"])
    }

    @Test func channelNamesFromDeviceNames() {
        #expect(KernelFiles.channelName(ofDevice: "virtio0.rpmsg-raw.-1.1024") == "rpmsg-raw")
        #expect(KernelFiles.channelName(ofDevice: "virtio12.rpmsg_ns.53.53") == "rpmsg_ns")
        #expect(KernelFiles.channelName(ofDevice: "virtio0.ti.ipc4.ping-pong.13.1024") == "ti.ipc4.ping-pong")
        #expect(KernelFiles.channelName(ofDevice: "virtio0.echo.-1") == nil)
        #expect(KernelFiles.channelName(ofDevice: "virtio0.echo.a.1") == nil)
    }

    @Test func hexAddresses() {
        #expect(KernelFiles.parseHexAddress("0x400") == 0x400)
        #expect(KernelFiles.parseHexAddress("0xffffffff") == 0xFFFF_FFFF)
        #expect(KernelFiles.parseHexAddress("1024") == nil)
        #expect(KernelFiles.parseHexAddress("-1") == nil)
    }

    @Test func noBusMeansNoChannels() throws {
        #expect(try FakeTree().kernel.rpmsgChannels().isEmpty)
    }
}
