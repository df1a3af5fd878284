import RprocFirmware
import RprocTestSupport
import Testing

/// The kernel's stages as the virtual board's kernel model runs them.
@Suite struct KernelLoaderTests {
    let loader = KernelLoader(profile: .linux6_12_117)

    @Test func validImageGoesThroughEveryStage() throws {
        let bytes = ElfBuilder.minimalRemoteproc().build()
        let image = try loader.sanityCheck(bytes).get()
        #expect(loader.bootAddress(of: image) == 0x1000_0000)
        let table = try loader.loadResourceTable(image).get()
        #expect(table == image.resourceTable?.bytes)
        let plan = try loader.handleResources(table, hasIOMMU: false).get()
        #expect(plan.carveouts.map(\.resource.name) == ["fw-mem"])
        #expect(plan.carveouts.first?.tableOffset == 32)  // entry at 28 + type word
        #expect(plan.traces.map(\.index) == [0])
        #expect(plan.vdevs.count == 1 && plan.vdevs[0].index == 0 && plan.vdevs[0].probeFailure == nil)
        #expect(plan.log == [])
        let memory = [MemoryRegion(da: 0x1000_0000, length: 0x10_0000)]
        let loads = try loader.loadSegments(image, regions: memory).get()
        #expect(loads.map(\.da) == [0x1000_0000, 0x1000_8000])
        #expect(loads[0].memorySize == 0x1000)
        #expect(Array(bytes[loads[0].fileRange]) == (0 ..< 256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
        let at = loader.loadedResourceTableAddress(image) { da, len in memory.contains { $0.contains(da: da, length: len) } }
        #expect(at == 0x1000_8000)
        #expect(loader.loadedResourceTableAddress(image) { _, _ in false } == nil)
    }

    @Test func sanityCheckStopsAtTheFirstFailure() {
        var b = ElfBuilder.minimalRemoteproc(byteOrder: .big)
        b.header.programHeaderCount = 0
        guard case .failure(let f) = loader.sanityCheck(b.build()) else { Issue.record("accepted"); return }
        #expect(f.code == "elf.byte-order")
        #expect(f.errno == .EINVAL && f.returnValue == -22)
        #expect(f.log == [KernelLogLine(.error, "Unsupported firmware endianness")])
    }

    @Test func missingTableFailsSilently() throws {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable = nil
        let image = try loader.sanityCheck(b.build()).get()
        guard case .failure(let f) = loader.loadResourceTable(image) else { Issue.record("accepted"); return }
        #expect(f.code == "rsc.missing" && f.log == [] && f.errno == .EINVAL)
    }

    @Test func resourceFailureLogsTheHandlerLineThenFailedToProcess() throws {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries.insert(.raw(type: 7, payload: []), at: 0)
        b.resourceTable?.entries.append(.vdev(vrings: [.init(), .init(), .init()]))
        let image = try loader.sanityCheck(b.build()).get()
        let table = try loader.loadResourceTable(image).get()
        guard case .failure(let f) = loader.handleResources(table, hasIOMMU: false) else { Issue.record("accepted"); return }
        #expect(f.code == "vdev.too-many-vrings" && f.index == 4)
        #expect(f.log == [KernelLogLine(.warning, "unsupported resource 7"), KernelLogLine(.error, "too many vrings: 3"),
                          KernelLogLine(.error, "Failed to process resources: -22")])
    }

    @Test func devmemWithoutIOMMUHasOnlyTheGenericLine() throws {
        var b = ElfBuilder.minimalRemoteproc()
        b.resourceTable?.entries.append(.devmem(da: 0x4a00_0000, pa: 0x4a00_0000, length: 0x1000))
        let table = b.resourceTable!.bytes()
        guard case .failure(let f) = loader.handleResources(table, hasIOMMU: false) else { Issue.record("accepted"); return }
        #expect(f.code == "devmem.needs-iommu")
        #expect(f.log.map(\.text) == ["Failed to process resources: -22"])
        let plan = try loader.handleResources(table, hasIOMMU: true).get()
        #expect(plan.mappings.map(\.resource.da) == [0x4a00_0000])
    }

    @Test func invalidQueueSizeFailsOnlyTheVirtioProbe() throws {
        let table = ResourceTableBuilder(entries: [.vdev(vrings: [.init(count: 0), .init(align: 0, notifyID: 1)])]).bytes()
        let plan = try loader.handleResources(table, hasIOMMU: false).get()
        #expect(plan.vdevs.first?.probeFailure == KernelLogLine(.error, "invalid qsz (0) or alignment (16)"))
    }

    @Test func vendorHandlerDecides() throws {
        let table = ResourceTableBuilder(entries: [.raw(type: 130, payload: [9, 9]), .trace(da: 1, length: 2, name: "t")]).bytes()
        var seen: [UInt32] = []
        let handled = try loader.handleResources(table, hasIOMMU: false) { type, payload in
            seen.append(type.rawValue)
            #expect(Array(payload) == [9, 9])
            return .handled
        }.get()
        #expect(seen == [130] && handled.log == [])
        let ignored = try loader.handleResources(table, hasIOMMU: false).get()
        #expect(ignored.log == [KernelLogLine(.warning, "unsupported vendor resource 130")])
        guard case .failure(let f) = loader.handleResources(table, hasIOMMU: false, vendorHandler: { _, _ in .failed(.ENOMEM) })
        else { Issue.record("accepted"); return }
        #expect(f.errno == .ENOMEM && f.log.map(\.text) == ["Failed to process resources: -12"])
    }

    @Test func classicReturnsOneForATrailingIgnoredVendorEntry() {
        let table = ResourceTableBuilder(entries: [.trace(da: 1, length: 2, name: "t"), .raw(type: 130, payload: [])]).bytes()
        let classic = KernelLoader(profile: .linux6_1Classic)
        guard case .failure(let f) = classic.handleResources(table, hasIOMMU: false) else { Issue.record("accepted"); return }
        #expect(f.returnValue == 1 && f.errno == nil)
        #expect(f.log.map(\.text) == ["unsupported vendor resource 130", "Failed to process resources: 1"])
        #expect((try? KernelLoader(profile: .linux6_1New).handleResources(table, hasIOMMU: false).get()) != nil)
    }

    @Test func segmentErrorsComeInKernelOrder() throws {
        var b = ElfBuilder.minimalRemoteproc()
        b.segments.append(.init(address: 0x5000_0000, data: [1], memorySize: 1))
        let image = try loader.sanityCheck(b.build()).get()
        guard case .failure(let f) = loader.loadSegments(image, regions: [MemoryRegion(da: 0x1000_0000, length: 0x1_0000)])
        else { Issue.record("accepted"); return }
        #expect(f.code == "segment.outside-memory" && f.index == 1)
        #expect(f.log.map(\.text) == ["bad phdr da 0x50000000 mem 0x1", "Failed to load program segments: -22"])
        // Segments with p_memsz 0 or not PT_LOAD are skipped.
        var skip = ElfBuilder.minimalRemoteproc()
        skip.segments.append(.init(address: 0x5000_0000, data: [], memorySize: 0))
        skip.segments.append(.init(type: 4, address: 0x5000_0000, data: [1]))
        let skipped = try loader.loadSegments(try loader.sanityCheck(skip.build()).get()) { da, _ in da < 0x2000_0000 }.get()
        #expect(skipped.count == 2)
    }

    @Test func memsizeAbove4GiBOverflowsA32BitKernel() throws {
        let image = try FirmwareImage(parsing: {
            var b = ElfBuilder.minimalRemoteproc(elfClass: .elf64)
            b.segments[0].memorySize = 0x1_0000_0000
            return b.build()
        }())
        let arm32 = KernelLoader(profile: .linux6_1New, host32Bit: true)
        guard case .failure(let f) = arm32.loadSegments(image, isMapped: { _, _ in true }) else { Issue.record("accepted"); return }
        #expect(f.errno == .EOVERFLOW && f.log.first?.text == "size (100000000) does not fit in size_t type")
        #expect((try? KernelLoader(profile: .linux6_1New).loadSegments(image, isMapped: { _, _ in true }).get()) != nil)
    }

    @Test func vringSizesFollowVringSize() {
        // 16 descriptors, align 16: 16*16 + 2*(3+16) = 294 → 304, + 6 + 8*16 = 438 → one page.
        let ring = Vring(da: resourceAddressAny, align: 16, count: 16, notifyID: 0, pa: 0)
        #expect(ring.ringSize == 438)
        #expect(ring.allocationSize() == 4096)
        // 256 descriptors, align 4096: 4096 + 518 = 4614 → 8192, + 6 + 2048 = 10246 → three pages.
        let big = Vring(da: 0, align: 4096, count: 256, notifyID: 0, pa: 0)
        #expect(big.ringSize == 10246 && big.allocationSize() == 12288)
    }
}
