import RprocFirmware
import RprocTestSupport
import Testing

/// Problems the kernel does not check but that break boards: warnings, never refusals.
@Suite struct BoardWarningTests {
    static func built(_ edit: (inout ElfBuilder) -> Void) -> [UInt8] {
        var b = ElfBuilder.minimalRemoteproc()
        edit(&b)
        return b.build()
    }

    func expectWarning(_ code: String, wrong: [UInt8], options: CheckOptions = CheckOptions(),
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let report = FirmwareCheck.check(wrong, options: options)
        let f = report.findings.first { $0.code == code }
        #expect(f?.severity == .warning, "\(report.findings)", sourceLocation: sourceLocation)
        #expect(f?.refusedBy == [], sourceLocation: sourceLocation)
        #expect(Finding.checks.contains { $0.code == code && $0.severity == .warning }, "\(code) not in Finding.checks",
                sourceLocation: sourceLocation)
        #expect(report.errors == [], sourceLocation: sourceLocation)
        let valid = FirmwareCheck.check(ElfBuilder.minimalRemoteproc().build(), options: options)
        #expect(!valid.findings.contains { $0.code == code }, sourceLocation: sourceLocation)
    }

    @Test func overlappingSegments() {
        expectWarning("segment.overlap", wrong: Self.built {
            $0.segments.append(.init(flags: 6, address: 0x1000_0800, data: [1, 2, 3, 4]))
        })
    }

    @Test func pruInstructionAndDataSpacesMayShareAddresses() {
        let pru = { (flags: UInt32) in
            var b = ElfBuilder.minimalRemoteproc(machine: .tiPRU, loadAddress: 0)
            b.segments.append(.init(flags: flags, address: 0, data: [1, 2, 3, 4]))
            return FirmwareCheck.check(b.build()).findings.map(\.code)
        }
        #expect(!pru(6).contains("segment.overlap"))  // data segment over code: separate spaces
        #expect(pru(5).contains("segment.overlap"))   // two code segments: real overlap
    }

    @Test func entryOutsideLoadedSegments() {
        expectWarning("elf.entry-outside", wrong: Self.built { $0.header.entry = 0x2000_0000 })
        // A Thumb entry (odd address) inside a segment is fine.
        let thumb = FirmwareCheck.check(Self.built { $0.header.entry = 0x1000_0001 })
        #expect(!thumb.findings.contains { $0.code == "elf.entry-outside" })
    }

    @Test func resourceTableNotInALoadedSegment() {
        // The table segment's load address differs from its run address: sh_addr (VMA) is not loaded.
        expectWarning("rsc.not-loaded", wrong: Self.built { b in
            b.resourceTableAddress = nil
            b.segments.append(.init(flags: 6, address: 0x2000_0000, physicalAddress: 0x1000_4000,
                                    data: ResourceTableBuilder(entries: []).bytes()))
            b.sections.append(.init(name: ".data", contents: .inSegment(1, offset: 0, size: nil)))
        })
        // With memory windows, a table outside them is never copied.
        let outside = CheckOptions(memory: [MemoryRegion(da: 0x1000_0000, length: 0x1000)])
        let report = FirmwareCheck.check(ElfBuilder.minimalRemoteproc().build(), options: outside)
        #expect(report.findings.contains { $0.code == "rsc.not-loaded" })
    }

    @Test func vringWithZeroSizeOrAlignment() {
        expectWarning("vring.invalid-qsz", wrong: Self.built {
            $0.resourceTable?.entries[2] = .vdev(vrings: [.init(count: 0), .init(notifyID: 1)])
        })
        expectWarning("vring.invalid-qsz", wrong: Self.built {
            $0.resourceTable?.entries[2] = .vdev(vrings: [.init(), .init(align: 0, notifyID: 1)])
        })
    }

    @Test func vringNotPowerOfTwo() {
        expectWarning("vring.num-not-power-of-two", wrong: Self.built {
            $0.resourceTable?.entries[2] = .vdev(vrings: [.init(count: 12), .init(notifyID: 1)])
        })
    }

    @Test func rpmsgWithoutNameService() {
        expectWarning("vdev.rpmsg-no-ns", wrong: Self.built {
            $0.resourceTable?.entries[2] = .vdev(dfeatures: 0, vrings: [.init(), .init(notifyID: 1)])
        })
        // A non-rpmsg virtio device needs no name service.
        let other = FirmwareCheck.check(Self.built {
            $0.resourceTable?.entries[2] = .vdev(id: 3, dfeatures: 0, vrings: [.init(), .init(notifyID: 1)])
        })
        #expect(!other.findings.contains { $0.code == "vdev.rpmsg-no-ns" })
    }

    @Test func duplicateNotifyIDs() {
        expectWarning("vring.duplicate-notifyid", wrong: Self.built {
            $0.resourceTable?.entries[2] = .vdev(vrings: [.init(notifyID: 0), .init(notifyID: 0)])
        })
    }

    @Test func duplicateCarveoutNames() {
        expectWarning("carveout.duplicate-name", wrong: Self.built {
            $0.resourceTable?.entries.append(.carveout(da: resourceAddressAny, length: 0x1000, name: "fw-mem"))
        })
    }

    @Test func resourcesOutsideMemoryWindows() {
        let windows = CheckOptions(memory: [MemoryRegion(da: 0x1000_0000, length: 0x1_0000)])
        expectWarning("resource.outside-memory", wrong: Self.built {
            $0.resourceTable?.entries[0] = .carveout(da: resourceAddressAny, length: 0x1000, name: "dyn")
            $0.resourceTable?.entries[1] = .trace(da: 0x3000_0000, length: 0x100, name: "t")
        }, options: windows)
        expectWarning("resource.outside-memory", wrong: Self.built {
            $0.resourceTable?.entries[2] = .vdev(vrings: [.init(da: 0x3000_0000), .init(notifyID: 1)])
            $0.resourceTable?.entries.removeFirst()
        }, options: windows)
    }

    @Test func entrySizeFieldsTheKernelIgnores() {
        expectWarning("elf.phentsize", wrong: Self.built { $0.header.programHeaderEntrySize = 40 })
        expectWarning("elf.shentsize", wrong: Self.built { $0.header.sectionHeaderEntrySize = 0 })
    }

    @Test func sectionHeadersPastTheEndOnKernelsThatDoNotCheck() {
        let only61 = CheckOptions(kernels: KernelProfile.profiles(of: [.v6_1]))
        expectWarning("elf.shdr-outside", wrong: Self.built { $0.header.sectionHeaderCount = 40 }, options: only61)
    }

    @Test func carveoutNameUsedAsFormatString() {
        expectWarning("carveout.name-format", wrong: Self.built {
            $0.resourceTable?.entries[0] = .carveout(da: 0x1000_0000, length: 0x10_0000, name: "mem%d")
        })
    }
}
