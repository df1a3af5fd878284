import Foundation
import RprocFirmware
import RprocTestSupport
import Testing

/// Every fixture cut short: a typed error or a result with findings, never a trap or an
/// out-of-bounds read (the parser only ever sees the shortened buffer).
@Suite struct TruncationTests {
    static let builderFixtures: [(String, [UInt8])] = {
        var list: [(String, [UInt8])] = []
        for c in [ElfClass.elf32, .elf64] {
            for o in [ByteOrder.little, .big] {
                list.append(("minimal-\(c)-\(o)", ElfBuilder.minimalRemoteproc(elfClass: c, byteOrder: o).build()))
            }
        }
        var table = ElfBuilder.minimalRemoteproc(elfClass: .elf64)
        table.resourceTableAddress = nil
        table.resourceTable?.entries += [
            .devmem(da: 1, pa: 2, length: 3), .raw(type: 200, payload: [1, 2, 3]), .raw(type: 9, payload: []),
            .vdev(id: 3, config: [1, 2, 3, 4, 5], vrings: [.init()]),
        ]
        list.append(("unloaded-table-64", table.build()))
        return list
    }()

    /// Runs every stage on the first `n` bytes and checks what must hold for any cut.
    static func exercise(_ full: UnsafeRawBufferPointer, _ n: Int) {
        let cut = UnsafeRawBufferPointer(rebasing: full[0 ..< n])
        let report = FirmwareCheck.check(cut, options: CheckOptions(hasIOMMU: n % 2 == 0))
        if n < 52 { #expect(report.errors.first?.code == "elf.too-small") }
        if let image = report.image {
            #expect(image.size == n && report.parseError == nil)
        } else {
            #expect(report.parseError != nil && !report.errors.isEmpty)
        }
        let loader = KernelLoader(profile: n % 3 == 0 ? .linux6_1Classic : .linux6_12_117)
        guard case .success(let image) = loader.sanityCheck(cut) else { return }
        _ = loader.bootAddress(of: image)
        if case .success(let table) = loader.loadResourceTable(image) {
            _ = loader.handleResources(table, hasIOMMU: true)
        }
        let fileEnd = image.loadedSegments.map { $0.offset &+ $0.fileSize }.max() ?? 0
        switch loader.loadSegments(image, isMapped: { _, _ in true }) {
        case .success(let loads):
            #expect(fileEnd <= UInt64(n))
            for l in loads { #expect(l.fileRange.upperBound <= n) }
        case .failure(let f):
            #expect(f.errno != nil)
        }
    }

    @Test(arguments: 0 ..< 5)
    func builderFixturesCutAtEveryLength(_ i: Int) {
        let (_, bytes) = Self.builderFixtures[i]
        bytes.withUnsafeBytes { full in
            for n in 0 ... full.count { Self.exercise(full, n) }
        }
    }

    /// Vendor images: every length in the first and last 1 KiB, across the program and section header
    /// tables, the section-name table and the resource table, ±16 bytes around every section and segment
    /// boundary, and every 127th length elsewhere (the rest is contents the parser never reads).
    @Test(arguments: VendorImageTests.names)
    func vendorImagesCutAtEveryStructuralLength(_ name: String) throws {
        let bytes = try VendorImageTests.bytes(name)
        let image = try FirmwareImage(parsing: bytes)
        var cuts = IndexSet(integersIn: 0 ..< min(1024, bytes.count))
        cuts.insert(integersIn: max(0, bytes.count - 1024) ... bytes.count)
        func around(_ start: UInt64, _ length: UInt64) {
            let lo = Int(min(start, UInt64(bytes.count))), hi = Int(min(start &+ length, UInt64(bytes.count)))
            cuts.insert(integersIn: max(0, lo - 16) ... min(bytes.count, hi + 16))
        }
        let h = image.header
        around(h.programHeaderOffset, UInt64(h.programHeaderCount) * UInt64(h.elfClass.programHeaderSize))
        around(h.sectionHeaderOffset, UInt64(h.sectionHeaderCount) * UInt64(h.elfClass.sectionHeaderSize))
        for s in [image.sectionNameTable, image.resourceTable?.section].compactMap({ $0 }) { around(s.offset, s.size) }
        for s in image.sectionHeaders where s.type != .nobits { around(s.offset, 0); around(s.offset &+ s.size, 0) }
        for p in image.programHeaders { around(p.offset, 0); around(p.offset &+ p.fileSize, 0) }
        for n in stride(from: 0, to: bytes.count, by: 127) { cuts.insert(n) }
        bytes.withUnsafeBytes { full in
            for n in cuts { Self.exercise(full, n) }
        }
        print("\(name): \(cuts.count) cuts of \(bytes.count + 1) possible")
    }

    /// Vendor images cut at literally every length, through the parser alone (the structural cuts above
    /// run every stage): each cut parses or throws a typed error, and a result never claims more bytes
    /// than the cut holds. Split into slices so the cases run in parallel.
    static let everyLengthSlices: [(String, Int)] = VendorImageTests.names.flatMap { name in
        let size = (try? VendorImageTests.bytes(name).count) ?? 0
        return stride(from: 0, through: size, by: 1 << 17).map { (name, $0) }
    }

    @Test(arguments: everyLengthSlices)
    func vendorImagesParseAtEveryLength(_ name: String, _ start: Int) throws {
        let bytes = try VendorImageTests.bytes(name)
        bytes.withUnsafeBytes { full in
            for n in start ... min(full.count, start + (1 << 17) - 1) {
                let cut = UnsafeRawBufferPointer(rebasing: full[0 ..< n])
                do {
                    let image = try FirmwareImage(parsing: cut)
                    #expect(image.size == n)
                    if let table = image.resourceTable, table.isInFile, let section = table.section {
                        #expect(section.offset &+ section.size <= UInt64(n))
                    }
                } catch let error as FirmwareError {
                    // These images are whole ELF files, so a cut can only be too short, never "not ELF"
                    // (a cut under 4 bytes has no magic to judge) nor a bad identification byte.
                    switch error {
                    case .truncated(_, let offset, let needed, let present):
                        #expect(present <= UInt64(n) && offset &+ needed > UInt64(n), "\(error)")
                    case .notELF(let size, _):
                        #expect(size == n && n < 4, "\(error)")
                    case .badIdentification:
                        Issue.record("cut at \(n): \(error)")
                    }
                } catch {
                    Issue.record("untyped error \(error)")
                }
            }
        }
    }
}

