// The human output of `rprocctl inspect` and `rprocctl validate`: a key/value block like
// `systemctl status`, then tables with a header and a legend line like `systemctl list-units`.

import RprocFirmware

struct FirmwareText {
    let styler: Styler
    /// False with `--no-legend`: no column headers, no "N … listed." lines.
    let showsLegend: Bool

    // MARK: inspect

    func inspect(path: String, image: FirmwareImage, findings: [Finding]) -> String {
        var text = header(path: path, image: image)
        text += "\n" + segments(image)
        text += "\n" + sections(image)
        text += "\n" + resourceTable(image)
        text += "\n" + styler.apply(.bold, "Findings:") + "\n" + self.findings(findings)
        return text
    }

    func header(path: String, image: FirmwareImage) -> String {
        let h = image.header
        let machine = h.machine.displayName.map { "\($0) (\(h.machine.rawValue))" } ?? "\(h.machine.rawValue)"
        var rows: [(String, String)] = [
            ("File", "\(terminalSafe(path)) (\(image.size) bytes)"),
            ("Class", "\(h.elfClass), \(h.byteOrder) endian"),
            ("Type", h.type.shortName),
            ("Machine", machine),
            ("Entry", hex(h.entry, width: addressWidth(image))),
            ("Flags", hex(h.flags)),
            ("Segments", "\(h.programHeaderCount) at offset \(hex(h.programHeaderOffset))"),
            ("Sections", "\(h.sectionHeaderCount) at offset \(hex(h.sectionHeaderOffset)), names in section \(h.sectionNameTableIndex)"),
        ]
        if !image.programHeadersComplete {
            rows[6].1 += " (only \(image.programHeaders.count) inside the file)"
        }
        if !image.sectionHeadersComplete {
            rows[7].1 += " (only \(image.sectionHeaders.count) inside the file)"
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { String(repeating: " ", count: width - $0.0.count) + styler.apply(.bold, $0.0 + ":") + " " + $0.1 + "\n" }
            .joined()
    }

    func addressWidth(_ image: FirmwareImage) -> Int { image.header.elfClass == .elf32 ? 8 : 16 }

    func segments(_ image: FirmwareImage) -> String {
        let width = addressWidth(image)
        var table = Table([
            .init("IDX", .right), .init("TYPE"), .init("OFFSET", .right), .init("VADDR"), .init("PADDR"),
            .init("FILESZ", .right), .init("MEMSZ", .right), .init("FLAGS"), .init("ALIGN", .right),
        ])
        for s in image.programHeaders {
            table.append(
                "\(s.index)", s.type.shortName, hex(s.offset), hex(s.virtualAddress, width: width),
                hex(s.physicalAddress, width: width), hex(s.fileSize), hex(s.memorySize), segmentFlagLetters(s.flags),
                hex(s.alignment))
        }
        return titled("Segments:", table, count: image.programHeaders.count, "segment", "segments")
    }

    func sections(_ image: FirmwareImage) -> String {
        let width = addressWidth(image)
        var table = Table([
            .init("IDX", .right), .init("NAME"), .init("TYPE"), .init("ADDR"), .init("OFFSET", .right),
            .init("SIZE", .right), .init("FLAGS"),
        ])
        for s in image.sectionHeaders {
            table.append(
                "\(s.index)", s.name.map(terminalSafe) ?? "-", s.type.shortName, hex(s.address, width: width), hex(s.offset),
                hex(s.size), sectionFlagLetters(s.flags, machine: image.header.machine))
        }
        return titled("Sections:", table, count: image.sectionHeaders.count, "section", "sections")
    }

    func resourceTable(_ image: FirmwareImage) -> String {
        guard let rsc = image.resourceTable else {
            return styler.apply(.bold, "Resource table:") + " none (no '\(resourceTableSectionName)' section)\n"
        }
        var summary = ""
        if let section = rsc.section {
            summary += "'\(terminalSafe(section.name ?? resourceTableSectionName))' at offset \(hex(section.offset)), "
            summary += "address \(hex(section.address, width: addressWidth(image))), "
        }
        summary += "\(hex(rsc.size)) bytes"
        if !rsc.isInFile { summary += " (outside the file)" }
        summary += ", version " + (rsc.version.map { "\($0)" } ?? "-")
        summary += ", " + (rsc.count.map { "\($0) \($0 == 1 ? "entry" : "entries")" } ?? "no header")
        var table = Table([
            .init("IDX", .right), .init("OFFSET", .right), .init("TYPE"), .init("DA"), .init("PA"), .init("LEN", .right),
            .init("DETAILS"),
        ])
        for entry in rsc.entries { appendEntry(entry, to: &table) }
        return titled("Resource table:", table, count: rsc.entries.count, "entry", "entries", summary: summary)
    }

    private func appendEntry(_ entry: ResourceEntry, to table: inout Table) {
        let index = "\(entry.index)", offset = hex(entry.offset)
        switch entry.resource {
        case .carveout(let m)?, .devmem(let m)?:
            let type = entry.resource?.type == .carveout ? "carveout" : "devmem"
            table.append(index, offset, type, hex(m.da, width: 8), hex(m.pa, width: 8), hex(m.length),
                "name '\(terminalSafe(m.name))', flags \(hex(m.flags))" + (m.reserved != 0 ? ", reserved \(hex(m.reserved))" : ""))
        case .trace(let t)?:
            table.append(index, offset, "trace", hex(t.da, width: 8), "-", hex(t.length),
                "name '\(terminalSafe(t.name))'" + (t.reserved != 0 ? ", reserved \(hex(t.reserved))" : ""))
        case .vdev(let v)?:
            let kind = v.id == VirtioDevice.rpmsgID ? " (rpmsg)" : ""
            table.append(index, offset, "vdev", "-", "-", "-",
                "id \(v.id)\(kind), notifyid \(v.notifyID), dfeatures \(hex(v.deviceFeatures)), "
                    + "gfeatures \(hex(v.guestFeatures)), config \(v.configLength) bytes, status \(hex(v.status)), "
                    + "\(v.vringCount) \(v.vringCount == 1 ? "vring" : "vrings")"
                    + (v.reserved.contains { $0 != 0 } ? ", reserved \(v.reserved)" : ""))
            for (number, ring) in v.vrings.enumerated() {
                let ringOffset = UInt64(entry.offset) + 4 + UInt64(VirtioDevice.fixedSize) + UInt64(number * Vring.size)
                table.append("", hex(ringOffset), "vring \(number)", hex(ring.da, width: 8), hex(ring.pa, width: 8), "-",
                    "align \(ring.align), num \(ring.count), notifyid \(ring.notifyID)")
            }
        case .vendor(let type, let payload)?, .unknown(let type, let payload)?:
            table.append(index, offset, type.isVendor ? "vendor" : "unknown", "-", "-", "-", "type \(type.rawValue), \(payload.count) bytes")
        case .truncated(let type, let needed, let available)?:
            table.append([
                Table.Cell(index), Table.Cell(offset), Table.Cell("truncated", style: .red), "-", "-", "-",
                Table.Cell("type \(type.rawValue) (\(type.shortName.lowercased())) needs \(needed) bytes, \(available) left in the table"),
            ])
        case nil:
            table.append([
                Table.Cell(index), Table.Cell(offset), Table.Cell("outside", style: .red), "-", "-", "-",
                Table.Cell("the type word lies outside the table"),
            ])
        }
    }

    // MARK: findings

    func findings(_ findings: [Finding]) -> String {
        var table = Table([
            .init("SEVERITY"), .init("CODE"), .init("OFFSET", .right), .init("ERRNO"), .init("KERNELS"), .init("MESSAGE"),
        ])
        for f in findings {
            let kernels = f.kernels.isEmpty ? "-" : f.kernels.joined(separator: ",")
            table.append([
                Table.Cell(f.severity.rawValue, style: f.severity == .error ? .red : .yellow),
                Table.Cell(f.code), Table.Cell(f.offset.map { hex($0) } ?? "-"), Table.Cell(f.errno?.name ?? "-"),
                Table.Cell(kernels), Table.Cell(terminalSafe(f.message)),
            ])
        }
        var text = table.render(header: showsLegend, styler: styler)
        if showsLegend { text += self.legendLine(findings.count, "finding", "findings") }
        return text
    }

    /// The verdict line of `validate`: which selected kernels would boot the image.
    func verdict(path: String, report: FirmwareReport, kernels: [KernelProfile]) -> String {
        let refusing = kernels.filter(report.isRefused(by:))
        let booting = kernels.filter { !report.isRefused(by: $0) }
        let name = "'\(terminalSafe(path))'"
        if refusing.isEmpty {
            return styler.apply(.green, "OK:") + " \(KernelProfile.names(of: booting).joined(separator: ", ")) would boot \(name).\n"
        }
        var line = styler.apply(.red, "Refused:") + " \(KernelProfile.names(of: refusing).joined(separator: ", ")) would refuse \(name)"
        if !booting.isEmpty { line += "; \(KernelProfile.names(of: booting).joined(separator: ", ")) would boot it" }
        return line + ".\n"
    }

    // MARK: helpers

    private func titled(_ title: String, _ table: Table, count: Int, _ singular: String, _ plural: String, summary: String? = nil) -> String {
        var text = styler.apply(.bold, title) + (summary.map { " " + $0 } ?? "") + "\n"
        text += table.render(header: showsLegend, styler: styler)
        if showsLegend { text += legendLine(count, singular, plural) }
        return text
    }

    private func legendLine(_ count: Int, _ singular: String, _ plural: String) -> String {
        styler.apply(.grey, legend(count, singular, plural)) + "\n"
    }
}
