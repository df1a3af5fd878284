// libFuzzer entry point for the firmware parser: compiled together with Sources/RprocFirmware by
// Tests/Fuzz/run (one module, so no import). Every input is parsed, validated against every kernel
// profile, and run through every KernelLoader stage; also decoded as a bare resource table.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFirmware(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let buffer = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    let memory = [MemoryRegion(da: 0, length: 0x1000_0000), MemoryRegion(da: 0xFFFF_F000, length: 0x1000)]
    let report = FirmwareCheck.check(buffer, options: CheckOptions(memory: size % 2 == 0 ? memory : nil,
                                                                   hasIOMMU: size % 3 == 0))
    precondition(report.image != nil || report.parseError != nil, "neither an image nor an error")
    for finding in report.findings {
        precondition(!finding.code.isEmpty && !finding.message.isEmpty, "finding without code or message")
        precondition(finding.severity == .warning || !finding.refusedBy.isEmpty, "error refused by no kernel")
    }
    for profile in KernelProfile.all {
        let loader = KernelLoader(profile: profile, host32Bit: profile.flavour == .classic)
        guard case .success(let image) = loader.sanityCheck(buffer) else { continue }
        _ = loader.bootAddress(of: image)
        if case .success(let table) = loader.loadResourceTable(image) {
            _ = loader.handleResources(table, hasIOMMU: size % 5 == 0) { type, _ in
                type.rawValue % 2 == 0 ? .handled : .ignored
            }
        }
        if case .success(let loads) = loader.loadSegments(image, regions: memory) {
            for l in loads { precondition(l.fileRange.upperBound <= size, "segment copy outside the image") }
        }
        _ = loader.loadedResourceTableAddress(image) { da, _ in da < 0x1000_0000 }
    }
    let table = ResourceTable(bytes: Array(buffer.prefix(4096)), byteOrder: size % 2 == 0 ? .little : .big)
    precondition(table.entries.count == table.offsets.count, "entry count differs from offset count")
    return 0
}
