// The JSON of `rprocctl inspect` and `rprocctl validate`: the schema of issue #2, built from
// RprocFirmware's values. Keys are lowerCamelCase and stable; numbers are JSON integers.

import RprocFirmware
import RprocJSON

enum FirmwareJSON {
    /// The whole `inspect --json` document.
    static func inspect(path: String, size: Int, report: FirmwareReport) -> JSONValue {
        let image = report.image
        var object: JSONObject = ["path": .string(path), "size": .number(size)]
        object["elf"] = image.map { elf($0.header) } ?? .null
        object["segments"] = .array(image?.programHeaders.map(segment) ?? [])
        object["sections"] = .array(image.map { image in image.sectionHeaders.map { section($0, machine: image.header.machine) } } ?? [])
        object["resourceTable"] = image?.resourceTable.map(resourceTable) ?? .null
        object["findings"] = .array(report.findings.map(finding))
        object["parseError"] = report.parseError.map(parseError) ?? .null
        return .object(object)
    }

    /// The `validate --json` document: the findings and each selected kernel's verdict.
    static func validate(path: String, report: FirmwareReport, kernels: [KernelProfile]) -> JSONValue {
        [
            "path": .string(path),
            "bootable": .bool(!kernels.contains(where: report.isRefused(by:))),
            "kernels": .array(kernels.map { kernel in
                ["name": .string(kernel.name), "refuses": .bool(report.isRefused(by: kernel))]
            }),
            "findings": .array(report.findings.map(finding)),
            "parseError": report.parseError.map(parseError) ?? .null,
        ]
    }

    static func elf(_ header: ElfHeader) -> JSONValue {
        [
            "class": .number(header.elfClass.bits),
            "byteOrder": .string(header.byteOrder.description),
            "type": .string(header.type.shortName),
            "machine": .number(header.machine.rawValue),
            "machineName": .string(orNull: header.machine.displayName),
            "entry": .number(header.entry),
            "flags": .number(header.flags),
            "phnum": .number(header.programHeaderCount),
            "shnum": .number(header.sectionHeaderCount),
            "phoff": .number(header.programHeaderOffset),
            "shoff": .number(header.sectionHeaderOffset),
            "shstrndx": .number(header.sectionNameTableIndex),
        ]
    }

    static func segment(_ segment: ProgramHeader) -> JSONValue {
        [
            "index": .number(segment.index),
            "type": .string(segment.type.shortName),
            "offset": .number(segment.offset),
            "vaddr": .number(segment.virtualAddress),
            "paddr": .number(segment.physicalAddress),
            "filesz": .number(segment.fileSize),
            "memsz": .number(segment.memorySize),
            "flags": .string(segmentFlagLetters(segment.flags)),
            "align": .number(segment.alignment),
        ]
    }

    static func section(_ section: SectionHeader, machine: ElfMachine) -> JSONValue {
        [
            "index": .number(section.index),
            "name": .string(orNull: section.name),
            "type": .string(section.type.shortName),
            "addr": .number(section.address),
            "offset": .number(section.offset),
            "size": .number(section.size),
            "flags": .string(sectionFlagLetters(section.flags, machine: machine)),
        ]
    }

    static func resourceTable(_ table: ResourceTable) -> JSONValue {
        [
            "section": .string(orNull: table.section?.name),
            "offset": .number(orNull: table.section?.offset),
            "addr": .number(orNull: table.section?.address),
            "size": .number(table.size),
            "version": .number(orNull: table.version),
            "num": .number(orNull: table.count),
            "reserved": .array(table.reserved.map { .number($0) }),
            "inFile": .bool(table.isInFile),
            "entries": .array(table.entries.map(entry)),
        ]
    }

    static func entry(_ entry: ResourceEntry) -> JSONValue {
        var object: JSONObject = ["index": .number(entry.index), "offset": .number(entry.offset)]
        switch entry.resource {
        case .carveout(let memory)?, .devmem(let memory)?:
            object["type"] = .string(entry.resource?.type == .carveout ? "carveout" : "devmem")
            object["da"] = .number(memory.da)
            object["pa"] = .number(memory.pa)
            object["len"] = .number(memory.length)
            object["flags"] = .number(memory.flags)
            object["reserved"] = .number(memory.reserved)
            object["name"] = .string(memory.name)
        case .trace(let trace)?:
            object["type"] = "trace"
            object["da"] = .number(trace.da)
            object["len"] = .number(trace.length)
            object["reserved"] = .number(trace.reserved)
            object["name"] = .string(trace.name)
        case .vdev(let device)?:
            object["type"] = "vdev"
            object["id"] = .number(device.id)
            object["notifyid"] = .number(device.notifyID)
            object["dfeatures"] = .number(device.deviceFeatures)
            object["gfeatures"] = .number(device.guestFeatures)
            object["configLen"] = .number(device.configLength)
            object["status"] = .number(device.status)
            object["numOfVrings"] = .number(device.vringCount)
            object["reserved"] = .array(device.reserved.map { .number($0) })
            object["vrings"] = .array(device.vrings.map { ring in
                [
                    "da": .number(ring.da), "align": .number(ring.align), "num": .number(ring.count),
                    "notifyid": .number(ring.notifyID), "pa": .number(ring.pa),
                ]
            })
        case .vendor(let type, let payload)?, .unknown(let type, let payload)?:
            object["type"] = type.isVendor ? "vendor" : "unknown"
            object["rawType"] = .number(type.rawValue)
            object["size"] = .number(payload.count)
        case .truncated(let type, let needed, let available)?:
            // A known type whose struct runs past the table's end.
            object["type"] = "truncated"
            object["rawType"] = .number(type.rawValue)
            object["needed"] = .number(needed)
            object["available"] = .number(available)
        case nil:
            // Not even the type word lies inside the table.
            object["type"] = "outside"
        }
        return .object(object)
    }

    static func finding(_ finding: Finding) -> JSONValue {
        [
            "severity": .string(finding.severity.rawValue),
            "code": .string(finding.code),
            "message": .string(finding.message),
            "offset": .number(orNull: finding.offset),
            "index": .number(orNull: finding.index),
            "errno": .string(orNull: finding.errno?.name),
            "kernels": .array(finding.kernels.map { .string($0) }),
            "kernelLog": .array(finding.kernelLog.map { .string($0) }),
        ]
    }

    static func parseError(_ error: FirmwareError) -> JSONValue {
        ["kind": .string(error.isNotELF ? "notELF" : "damagedELF"), "message": .string(error.description)]
    }
}
