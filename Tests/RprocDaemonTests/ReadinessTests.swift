// ChannelWatcher, ReadinessTracker and StartOrderer with injected time: no loop, no board.

import RprocModel
import SystemdIni
import Testing
@testable import RprocDaemon

@Suite struct ReadinessTests {
    static func channel(_ name: String, _ dst: UInt32 = 0x400, node: String = "") -> ManagedProcessor.Channel {
        ManagedProcessor.Channel(name: name, deviceNode: node, source: 0xFFFF_FFFF, destination: dst)
    }

    @Test func channelWatcherReportsAnnouncementsAndWithdrawalsWithTheirTime() {
        var watcher = ChannelWatcher()
        #expect(watcher.update(device: "remoteproc0", channels: [], at: 10) == nil)
        let first = watcher.update(device: "remoteproc0", channels: [Self.channel("rpmsg-tty")], at: 100)
        #expect(first == .init(device: "remoteproc0", announced: ["rpmsg-tty"], withdrawn: []))
        #expect(watcher.update(device: "remoteproc0", channels: [Self.channel("rpmsg-tty")], at: 150) == nil)
        let second = watcher.update(device: "remoteproc0", channels: [Self.channel("rpmsg-tty"), Self.channel("rpmsg-raw", 0x401)], at: 200)
        #expect(second?.announced == ["rpmsg-raw"])
        #expect(watcher.announcedAt(device: "remoteproc0", name: "rpmsg-tty") == 100)
        #expect(watcher.announcedAt(device: "remoteproc0", name: "rpmsg-raw") == 200)
        #expect(watcher.isReady(device: "remoteproc0", state: .running, readyOn: ["rpmsg-raw", "rpmsg-tty"]))
        #expect(!watcher.isReady(device: "remoteproc0", state: .offline, readyOn: []))
        #expect(!watcher.isReady(device: "remoteproc0", state: .running, readyOn: ["rpmsg-gpio"]))
        // A char device appearing is a change of Channels, but announces nothing.
        let node = watcher.update(device: "remoteproc0", channels: [Self.channel("rpmsg-tty", node: "/dev/rpmsg0"), Self.channel("rpmsg-raw", 0x401)], at: 250)
        #expect(node == .init(device: "remoteproc0", announced: [], withdrawn: []))
        #expect(watcher.channels(of: "remoteproc0").first?.deviceNode == "/dev/rpmsg0")
        // Stop: everything under remoteprocN goes (kernel-contract.md §7.4).
        let stop = watcher.update(device: "remoteproc0", channels: [], at: 300)
        #expect(stop?.withdrawn == ["rpmsg-tty", "rpmsg-raw"])
        #expect(watcher.announcedAt(device: "remoteproc0", name: "rpmsg-tty") == nil)
        #expect(watcher.names(of: "remoteproc0").isEmpty)
        #expect(ChannelWatcher.concernsChannels("virtio0: creating channel rpmsg-tty addr 0x400"))
        #expect(ChannelWatcher.concernsChannels("destroying channel rpmsg-raw addr 0x401"))
        #expect(!ChannelWatcher.concernsChannels("remoteproc remoteproc0: remote processor m4 is now up"))
        #expect(ChannelWatcher.createdChannel("creating channel rpmsg-tty addr 0x400") == "rpmsg-tty")
        #expect(ChannelWatcher.createdChannel("virtio0: creating channel my chan addr 0x1e") == "my chan")
        #expect(ChannelWatcher.createdChannel("destroying channel rpmsg-raw addr 0x401") == nil)
        #expect(ChannelWatcher.createdChannel("creating channel truncated") == nil)
    }

    @Test func aStartCompletesWhenUpAndEveryChannelIsAnnounced() {
        var tracker = ReadinessTracker()
        // Before "now up" the channels cannot exist; the wait begins when the start write returns.
        #expect(tracker.begin(device: "rp0", readyOn: ["rpmsg-tty", "rpmsg-raw"], timeout: .seconds(2), state: .running,
                              announced: [], now: 1_000_000) == nil)
        #expect(tracker.nextDeadline == 3_000_000)
        #expect(tracker.observe(device: "rp0", state: .running, announced: ["rpmsg-tty"], now: 1_500_000) == nil)
        // 800 ms after up, as an STM32MP257 announces; the tracker sees it 2 ms later.
        let times = ["rpmsg-tty": UInt64(1_500_000), "rpmsg-raw": 1_800_000]
        let outcome = tracker.observe(device: "rp0", state: .running, announced: ["rpmsg-tty", "rpmsg-raw"], now: 1_802_000) { times[$0] }
        #expect(outcome == .ready(device: "rp0", latency: 2_000, waited: 802_000))
        #expect(!tracker.isWaiting("rp0"))
        #expect(tracker.nextDeadline == nil)
        // Already announced when the write returned (TI boards announce before "now up").
        #expect(tracker.begin(device: "rp1", readyOn: ["rpmsg-raw"], timeout: nil, state: .attached, announced: ["rpmsg-raw"], now: 5)
            == .ready(device: "rp1", latency: nil, waited: 0))
    }

    @Test func aWaitTimesOutAtReadyTimeoutSecOrEndsWhenTheProcessorGoesDown() {
        var tracker = ReadinessTracker()
        _ = tracker.begin(device: "rp0", readyOn: ["rpmsg-tty"], timeout: .seconds(1), state: .running, announced: [], now: 0)
        _ = tracker.begin(device: "rp1", readyOn: ["rpmsg-tty"], timeout: .milliseconds(500), state: .running, announced: [], now: 100)
        _ = tracker.begin(device: "rp2", readyOn: ["rpmsg-tty"], timeout: nil, state: .running, announced: [], now: 0)
        #expect(tracker.nextDeadline == 500_100)
        #expect(tracker.expire(now: 500_099, state: { _ in .running }, announced: { _ in [] }).isEmpty)
        #expect(tracker.expire(now: 500_100, state: { _ in .running }, announced: { _ in [] }) == [.timedOut(device: "rp1", missing: ["rpmsg-tty"])])
        #expect(tracker.nextDeadline == 1_000_000)
        #expect(tracker.observe(device: "rp0", state: .crashed, announced: [], now: 600_000) == .wentDown(device: "rp0", state: .crashed))
        #expect(tracker.waiting == ["rp2"])
        #expect(tracker.expire(now: UInt64.max, state: { _ in .running }, announced: { _ in [] }).isEmpty)
        tracker.cancel(device: "rp2")
        #expect(tracker.waiting.isEmpty)
    }

    static func configuration(_ files: [String: String]) throws -> Configuration {
        let dir = "/etc/rprocd/processors.d"
        return try Configuration.parse(files: files.map { ConfigFile(path: "\(dir)/\($0.key).rproc", text: $0.value) })
    }

    @Test func threeProcessorsStartInOrderEachAfterTheOneBeforeIsReady() throws {
        let config = try Self.configuration([
            "dsp": "[Match]\nName=dsp\n[Boot]\nAutoStart=yes\nRequires=m4\nAfter=r5f\n",
            "m4": "[Match]\nName=m4\n[Boot]\nAutoStart=yes\n",
            "r5f": "[Match]\nName=r5f\n[Boot]\nAutoStart=yes\nAfter=m4\n",
        ])
        var orderer = StartOrderer(configuration: config, pending: ["dsp", "m4", "r5f"], up: [])
        #expect(orderer.begin() == [.start("m4")])
        #expect(orderer.ready("m4") == [.start("r5f")])
        #expect(!orderer.isDone)
        #expect(orderer.ready("r5f") == [.start("dsp")])
        #expect(orderer.ready("dsp").isEmpty)
        #expect(orderer.isDone)
        // Stopping m4 first stops dsp, which requires it.
        #expect(StartOrderer.stopCascade("m4", configuration: config) == ["dsp"])
        #expect(StartOrderer.stopCascade("r5f", configuration: config).isEmpty)
    }

    @Test func aFailedRequirementSkipsItsDependentsButAnAfterOnlyOrders() throws {
        let config = try Self.configuration([
            "a": "[Match]\nName=a\n",
            "b": "[Match]\nName=b\n[Boot]\nRequires=a\n",
            "c": "[Match]\nName=c\n[Boot]\nAfter=a\n",
            "d": "[Match]\nName=d\n[Boot]\nRequires=b\n",
        ])
        var orderer = StartOrderer(configuration: config, pending: ["a", "b", "c", "d"], up: [])
        #expect(orderer.begin() == [.start("a")])
        let after = orderer.failed("a")
        #expect(after == [
            .skip("b", reason: "it requires 'a', which failed to start"), .start("c"),
            .skip("d", reason: "it requires 'b', which failed to start"),
        ])
        // Already up: nothing to wait for; not up and not being started: a Requires= cannot hold.
        var up = StartOrderer(configuration: config, pending: ["b", "c"], up: ["a"])
        #expect(up.begin() == [.start("b"), .start("c")])
        var missing = StartOrderer(configuration: config, pending: ["b"], up: [])
        #expect(missing.begin() == [.skip("b", reason: "it requires 'a', which is not up and not being started")])
    }

    @Test func aCycleIsRefusedAtLoadNamingIt() {
        #expect {
            try Self.configuration([
                "a": "[Match]\nName=a\n[Boot]\nAfter=c\n",
                "b": "[Match]\nName=b\n[Boot]\nRequires=a\n",
                "c": "[Match]\nName=c\n[Boot]\nAfter=b\n",
            ])
        } throws: { error in
            guard case .orderingCycle(let cycle, _) = error as? ConfigError else { return false }
            return cycle.first == cycle.last && Set(cycle) == ["a", "b", "c"]
        }
    }
}
