import Testing
@testable import RprocModel

func file(_ path: String, _ text: String) -> ConfigFile { ConfigFile(path: path, text: text) }

func load(_ files: [ConfigFile]) throws -> Configuration { try Configuration.parse(files: files) }

@Suite struct DaemonConfigTests {
    @Test func defaults() throws {
        let c = try load([])
        #expect(c.daemon == DaemonConfig())
        #expect(c.daemon.socketPath == "/run/rprocd/control")
        #expect(c.daemon.adminGroup == "rproc")
        #expect(c.daemon.systemBus)
        #expect(c.daemon.pollInterval == .seconds(1))
        #expect(c.daemon.metricsFile == nil)
        #expect(c.processors.isEmpty)
        #expect(c.warnings.isEmpty)
    }

    @Test func everyKey() throws {
        let c = try load([file("/etc/rprocd/rprocd.conf", """
            [Daemon]
            SocketPath=/run/x/ctl
            SocketMode=0600
            SocketGroup=admin
            AdminGroup=wheel
            SystemBus=no
            PollIntervalSec=250ms
            MetricsFile=/var/lib/node_exporter/rprocd.prom
            """)])
        #expect(c.warnings == [])
        #expect(c.daemon.socketPath == "/run/x/ctl")
        #expect(c.daemon.socketMode == 0o600)
        #expect(c.daemon.socketGroup == "admin")
        #expect(c.daemon.adminGroup == "wheel")
        #expect(!c.daemon.systemBus)
        #expect(c.daemon.pollInterval == .milliseconds(250))
        #expect(c.daemon.metricsFile == "/var/lib/node_exporter/rprocd.prom")
    }

    @Test func dropInsApplyAfterTheMainFileInNameOrder() throws {
        let c = try load([
            file("/etc/rprocd/rprocd.conf", "[Daemon]\nPollIntervalSec=2s\nAdminGroup=one\n"),
            file("/usr/lib/rprocd/rprocd.conf", "[Daemon]\nSystemBus=no\n"),  // masked by /etc's
            file("/usr/lib/rprocd/rprocd.conf.d/10-poll.conf", "[Daemon]\nPollIntervalSec=3s\n"),
            file("/etc/rprocd/rprocd.conf.d/20-group.conf", "[Daemon]\nAdminGroup=two\n"),
            file("/run/rprocd/rprocd.conf.d/20-group.conf", "[Daemon]\nAdminGroup=masked-by-etc\n"),
        ])
        #expect(c.daemon.pollInterval == .seconds(3))
        #expect(c.daemon.adminGroup == "two")
        #expect(c.daemon.systemBus)
    }

    @Test func maskedMainFileLeavesDefaults() throws {
        let c = try load([
            ConfigFile(path: "/etc/rprocd/rprocd.conf", contents: .masked),
            file("/usr/lib/rprocd/rprocd.conf", "[Daemon]\nSystemBus=no\n"),
        ])
        #expect(c.daemon.systemBus)
    }

    @Test func badValuesAreWarningsWithFileAndLine() throws {
        let c = try load([file("/etc/rprocd/rprocd.conf", """
            [Daemon]
            PollIntervalSec=2s
            PollIntervalSec=soon
            SystemBus=maybe
            SocketMode=999
            SocketPath=relative
            PollIntervalSec=0
            Colour=blue
            [Other]
            Key=value
            this is not an assignment
            """)])
        #expect(c.daemon.pollInterval == .seconds(2))
        #expect(c.daemon.systemBus)
        #expect(c.daemon.socketMode == 0o660)
        #expect(c.daemon.socketPath == "/run/rprocd/control")
        #expect(c.warnings.map(\.description) == [
            "/etc/rprocd/rprocd.conf:11: Missing '=' in 'this is not an assignment', ignoring.",
            "/etc/rprocd/rprocd.conf:9: Unknown section 'Other', ignoring.",
            "/etc/rprocd/rprocd.conf:3: Failed to parse PollIntervalSec= value 'soon': Invalid time span 'soon', ignoring.",
            "/etc/rprocd/rprocd.conf:4: Failed to parse SystemBus= value 'maybe': Invalid boolean 'maybe', ignoring.",
            "/etc/rprocd/rprocd.conf:5: Failed to parse SocketMode= value '999': Invalid file mode '999', ignoring.",
            "/etc/rprocd/rprocd.conf:6: Failed to parse SocketPath= value 'relative': Invalid absolute path 'relative', ignoring.",
            "/etc/rprocd/rprocd.conf:7: Failed to parse PollIntervalSec= value '0': Time span '0' is out of range, ignoring.",
            "/etc/rprocd/rprocd.conf:8: Unknown key 'Colour' in section [Daemon], ignoring.",
        ])
        #expect(c.warnings.allSatisfy { $0.message.hasSuffix(", ignoring.") })
    }

    @Test func keyTableHasOneRowPerKey() {
        let names = DaemonConfig.table.map(\.name) + ProcessorConfig.table.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(DaemonConfig.table.map(\.key) == [
            "SocketPath", "SocketMode", "SocketGroup", "AdminGroup", "SystemBus", "PollIntervalSec", "MetricsFile",
        ])
        #expect(Set(ProcessorConfig.table.map(\.section)) == ["Match", "Firmware", "Boot", "Memory", "Recovery", "Coredump"])
    }
}

@Suite struct ProcessorConfigTests {
    let full = """
        [Match]
        Name=m4 cm4*
        Device=remoteproc[0-3]

        [Firmware]
        File=rproc-m4-fw.elf
        FallbackFirmware=safe/m4.elf
        KeepFirmware=3

        [Boot]
        AutoStart=yes
        ReadyOn=rpmsg-tty rpmsg-raw
        ReadyTimeoutSec=5s
        After=dsp
        Requires=dsp
        UpdateProbationSec=1min

        [Memory]
        Window=0x10000000:256K
        Window=0x30000000:0x40000 0x38000000:64K

        [Recovery]
        Owner=kernel
        Restart=always
        RestartSec=2s
        RestartSteps=3
        RestartMaxDelaySec=16s
        StartLimitIntervalSec=1min
        StartLimitBurst=3
        FailureAction=reboot
        PollIntervalSec=100ms

        [Coredump]
        Mode=inline
        MaxFiles=10
        MaxUse=64M
        KeepFree=1G
        """

    @Test func everyKey() throws {
        let c = try load([
            file("/etc/rprocd/processors.d/m4.rproc", full),
            file("/etc/rprocd/processors.d/dsp.rproc", "[Match]\nName=dsp\n"),
        ])
        #expect(c.warnings == [])
        let p = try #require(c.processors.first { $0.id == "m4" })
        #expect(p.file == "/etc/rprocd/processors.d/m4.rproc")
        #expect(p.match == MatchSection(names: ["m4", "cm4*"], devices: ["remoteproc[0-3]"]))
        #expect(p.firmware.file == "rproc-m4-fw.elf")
        #expect(p.firmware.fallbackFile == "safe/m4.elf")
        #expect(p.firmware.keep == 3)
        #expect(p.boot.autoStart)
        #expect(p.boot.readyOn == ["rpmsg-tty", "rpmsg-raw"])
        #expect(p.boot.readyTimeout == .seconds(5))
        #expect(p.boot.after == ["dsp"])
        #expect(p.boot.requires == ["dsp"])
        #expect(p.boot.updateProbation == .seconds(60))
        #expect(p.memoryWindows == [
            MemoryWindow(deviceAddress: 0x1000_0000, length: 0x40000),
            MemoryWindow(deviceAddress: 0x3000_0000, length: 0x40000),
            MemoryWindow(deviceAddress: 0x3800_0000, length: 0x10000),
        ])
        #expect(p.recovery.owner == .kernel)
        #expect(p.recovery.restart.restart == .always)
        #expect(p.recovery.restart.restartSec == .seconds(2))
        #expect(p.recovery.restart.restartSteps == 3)
        #expect(p.recovery.restart.restartMaxDelaySec == .seconds(16))
        #expect(p.recovery.restart.startLimitIntervalSec == .seconds(60))
        #expect(p.recovery.restart.startLimitBurst == 3)
        #expect(p.recovery.restart.failureAction == .reboot)
        #expect(p.recovery.pollInterval == .milliseconds(100))
        #expect(p.restartSettings.fallbackFirmware == "safe/m4.elf")
        #expect(p.coredump.mode == .inline)
        #expect(p.coredump.maxFiles == 10)
        #expect(p.coredump.maxUse == 64 << 20)
        #expect(p.coredump.keepFree == 1 << 30)
    }

    @Test func defaultsAndOptionals() throws {
        let c = try load([file("/usr/lib/rprocd/processors.d/x.rproc", "[Match]\nName=x\n")])
        let p = try #require(c.processors.first)
        #expect(p.firmware.file == nil)
        #expect(p.firmware.keep == 2)
        #expect(!p.boot.autoStart)
        #expect(p.boot.readyTimeout == nil)
        #expect(p.boot.updateProbation == nil)
        #expect(p.recovery.owner == .rprocd)
        #expect(p.recovery.restart == RestartSettings())
        #expect(p.coredump.mode == nil)
        #expect(p.coredump.maxUse == nil)
    }

    @Test func coredumpModeMapsToTheKernelStrings() throws {
        for (mode, text) in [(CoredumpMode.disabled, "off"), (.enabled, "on"), (.inline, "inline")] {
            let c = try load([file("/etc/rprocd/processors.d/x.rproc", "[Match]\nName=x\n[Coredump]\nMode=\(text)\n")])
            #expect(c.processors.first?.coredump.mode == mode)
        }
        let bad = try load([file("/etc/rprocd/processors.d/x.rproc", "[Match]\nName=x\n[Coredump]\nMode=enabled\n")])
        #expect(bad.warnings.map(\.description) == [
            "/etc/rprocd/processors.d/x.rproc:4: Failed to parse Mode= value 'enabled': Invalid coredump mode 'enabled', ignoring.",
        ])
    }

    @Test func higherDirectoryReplacesLowerAndDropInsApply() throws {
        let c = try load([
            file("/usr/lib/rprocd/processors.d/m4.rproc", "[Match]\nName=m4\n[Firmware]\nFile=vendor.elf\n"),
            file("/etc/rprocd/processors.d/m4.rproc", "[Match]\nName=m4\n[Firmware]\nFile=local.elf\n[Memory]\nWindow=0x0:1K\n"),
            file("/usr/lib/rprocd/processors.d/m4.rproc.d/50-fallback.conf", "[Firmware]\nFallbackFirmware=safe.elf\n"),
            file("/run/rprocd/processors.d/m4.rproc.d/60-window.conf", "[Memory]\nWindow=\nWindow=0x1000:2K\n"),
            file("/etc/rprocd/processors.d/m4.rproc.d/10-boot.conf", "[Boot]\nAutoStart=yes\n[Firmware]\nFile=dropin.elf\n"),
        ])
        let p = try #require(c.processors.first)
        #expect(c.processors.count == 1)
        #expect(p.file == "/etc/rprocd/processors.d/m4.rproc")
        // 10-boot (etc) then 50-fallback (usr/lib) then 60-window (run): name order across directories.
        #expect(p.firmware.file == "dropin.elf")
        #expect(p.firmware.fallbackFile == "safe.elf")
        #expect(p.boot.autoStart)
        #expect(p.memoryWindows == [MemoryWindow(deviceAddress: 0x1000, length: 2048)])
    }

    @Test func maskedProcessorFileIsNotLoaded() throws {
        let c = try load([
            file("/usr/lib/rprocd/processors.d/dsp.rproc", "[Match]\nName=dsp\n"),
            ConfigFile(path: "/etc/rprocd/processors.d/dsp.rproc", contents: .masked),
            file("/usr/lib/rprocd/processors.d/dsp.rproc.d/x.conf", "[Boot]\nAutoStart=yes\n"),
        ])
        #expect(c.processors.isEmpty)
        #expect(c.processor(name: "dsp", device: "remoteproc0") == nil)
    }

    @Test func emptyMatchIgnoresTheFileAndSaysHowToFixIt() throws {
        let c = try load([
            file("/etc/rprocd/processors.d/a.rproc", "[Match]\n\n[Boot]\nAutoStart=yes\n"),
            file("/etc/rprocd/processors.d/b.rproc", "[Boot]\nAutoStart=yes\n"),
            file("/etc/rprocd/processors.d/c.rproc", "[Match]\nName=one\nName=\n"),
            file("/etc/rprocd/processors.d/d.rproc", "[Match]\nName=*\n"),
        ])
        #expect(c.processors.map(\.id) == ["d"])
        #expect(c.warnings.map(\.description) == [
            "/etc/rprocd/processors.d/a.rproc:1: 'a.rproc' has no Name= or Device= in [Match] (add 'Name=*' to match every processor), ignoring.",
            "/etc/rprocd/processors.d/b.rproc:1: 'b.rproc' has no Name= or Device= in [Match] (add 'Name=*' to match every processor), ignoring.",
            "/etc/rprocd/processors.d/c.rproc:1: 'c.rproc' has no Name= or Device= in [Match] (add 'Name=*' to match every processor), ignoring.",
        ])
        #expect(c.processor(name: "anything", device: "remoteproc9")?.id == "d")
    }

    @Test func badProcessorValues() throws {
        let c = try load([file("/etc/rprocd/processors.d/m4.rproc", """
            [Match]
            Name=m4
            [Memory]
            Window=0x1000
            [Recovery]
            Restart=on-failure
            RestartSteps=5000
            FailureAction=explode
            Owner=nobody
            RestartSec=infinity
            [Firmware]
            File=../../etc/shadow
            KeepFirmware=-1
            [Boot]
            Bogus=1
            """)])
        let p = try #require(c.processors.first)
        #expect(p.memoryWindows.isEmpty)
        #expect(p.recovery.restart == RestartSettings())
        #expect(p.firmware.file == nil)
        #expect(c.warnings.map { "\($0.location!.line): \($0.message.split(separator: ":").first!)" } == [
            "4: Failed to parse Window= value '0x1000'",
            "6: Failed to parse Restart= value 'on-failure'",
            "7: Failed to parse RestartSteps= value '5000'",
            "8: Failed to parse FailureAction= value 'explode'",
            "9: Failed to parse Owner= value 'nobody'",
            "10: Failed to parse RestartSec= value 'infinity'",
            "12: Failed to parse File= value '../../etc/shadow'",
            "13: Failed to parse KeepFirmware= value '-1'",
            "15: Unknown key 'Bogus' in section [Boot], ignoring.",
        ])
    }

    @Test func crossChecksWarnAndFix() throws {
        let c = try load([file("/etc/rprocd/processors.d/m4.rproc", """
            [Match]
            Name=m4
            [Firmware]
            File=a.elf
            FallbackFirmware=a.elf
            [Boot]
            ReadyTimeoutSec=3s
            [Recovery]
            RestartSec=10s
            RestartMaxDelaySec=5s
            """), file("/etc/rprocd/processors.d/n.rproc", "[Match]\nName=n\n[Recovery]\nRestartSteps=4\n")])
        let m4 = try #require(c.processors.first { $0.id == "m4" })
        #expect(m4.recovery.restart.restartSec == .seconds(5))
        #expect(m4.firmware.fallbackFile == nil)
        let n = try #require(c.processors.first { $0.id == "n" })
        #expect(n.recovery.restart.restartSteps == 0)
        #expect(c.warnings.map(\.description) == [
            "/etc/rprocd/processors.d/m4.rproc:10: RestartMaxDelaySec=5s is smaller than RestartSec=10s, using it for RestartSec= too, ignoring.",
            "/etc/rprocd/processors.d/m4.rproc:5: FallbackFirmware= is the same as File=, ignoring.",
            "/etc/rprocd/processors.d/m4.rproc:7: ReadyTimeoutSec= has no effect without ReadyOn=, ignoring.",
            "/etc/rprocd/processors.d/n.rproc:4: RestartSteps= needs RestartMaxDelaySec=, ignoring.",
        ])
    }

    @Test func firstMatchInFileNameOrderWins() throws {
        let c = try load([
            file("/usr/lib/rprocd/processors.d/99-default.rproc", "[Match]\nName=*\n"),
            file("/etc/rprocd/processors.d/10-m4.rproc", "[Match]\nName=m4\n"),
            file("/run/rprocd/processors.d/20-dev.rproc", "[Match]\nDevice=remoteproc[12]\n"),
            file("/etc/rprocd/processors.d/30-both.rproc", "[Match]\nName=dsp*\nDevice=remoteproc7\n"),
        ])
        #expect(c.processors.map(\.id) == ["10-m4", "20-dev", "30-both", "99-default"])
        #expect(c.processor(name: "m4", device: "remoteproc1")?.id == "10-m4")
        #expect(c.processor(name: "a53", device: "remoteproc2")?.id == "20-dev")
        #expect(c.processor(name: "dsp0", device: "remoteproc7")?.id == "30-both")
        #expect(c.processor(name: "dsp0", device: "remoteproc8")?.id == "99-default")
    }
}

@Suite struct OrderingTests {
    func procs(_ specs: [(String, String)]) -> [ConfigFile] {
        specs.map { file("/etc/rprocd/processors.d/\($0.0).rproc", "[Match]\nName=\($0.0)\n[Boot]\n\($0.1)\n") }
    }

    @Test func startOrderHonoursAfterAndRequires() throws {
        let c = try load(procs([("a", "After=c"), ("b", ""), ("c", "Requires=b"), ("d", "After=missing")]))
        #expect(c.startOrder == ["b", "c", "a", "d"])
        #expect(c.requiredBy("b") == ["c"])
        #expect(c.requiredBy("a") == [])
        #expect(c.warnings.isEmpty)  // After= on a missing processor is fine
    }

    @Test func requiredByIsTransitiveAndInStopOrder() throws {
        let c = try load(procs([("a", "Requires=b"), ("b", "Requires=c"), ("c", "")]))
        #expect(c.startOrder == ["c", "b", "a"])
        #expect(c.requiredBy("c") == ["a", "b"])
    }

    @Test func requiresOnAMissingProcessorWarns() throws {
        let c = try load(procs([("a", "Requires=ghost")]))
        #expect(c.warnings.map(\.message) == ["Requires='ghost' names no processor file, ignoring."])
    }

    @Test func cycleIsRefusedNamingIt() {
        #expect(throws: ConfigError.self) { try load(self.procs([("a", "After=b"), ("b", "Requires=c"), ("c", "After=a")])) }
        do throws(ConfigError) {
            _ = try Configuration.parse(files: procs([("a", "After=b"), ("b", "Requires=c"), ("c", "After=a"), ("d", "")]))
            Issue.record("the cycle was not refused")
        } catch {
            guard case .orderingCycle(let cycle, _) = error else { return }
            #expect(cycle == ["a", "b", "c", "a"])
            #expect(error.description == "Ordering cycle between processors: a → b → c → a; remove an After= or Requires= to break it.")
        }
    }

    @Test func selfReferenceIsACycle() {
        #expect(throws: ConfigError.orderingCycle(["a", "a"], warnings: [])) { try load(self.procs([("a", "After=a")])) }
    }
}

@Suite struct GlobTests {
    @Test(arguments: [
        ("*", "anything", true), ("*", "", true), ("m4", "m4", true), ("m4", "m41", false), ("m?", "m4", true),
        ("m?", "m", false), ("dsp*", "dsp0", true), ("*dsp", "c7xdsp", true), ("remoteproc[0-3]", "remoteproc2", true),
        ("remoteproc[0-3]", "remoteproc4", false), ("[!a]*", "b1", true), ("[!a]*", "a1", false), ("[^a]x", "bx", true),
        ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("\\*", "*", true), ("\\*", "x", false), ("[", "[", true),
        ("[]]", "]", true), ("[a-]", "-", true), ("**x", "yx", true), ("a*", "a", true),
    ])
    func glob(pattern: String, string: String, expected: Bool) {
        #expect(Glob.matches(pattern, string) == expected)
    }
}
