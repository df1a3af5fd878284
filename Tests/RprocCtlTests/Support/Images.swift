// Firmware images for the end-to-end tests, made with the test-side ELF builder.

import RprocFirmware
import RprocTestSupport

enum Images {
    /// The sample firmware (also what make-sample-firmware writes): code at 0x10000000, a table
    /// with a carveout, a trace buffer and an rpmsg vdev with two vrings.
    static var sample: [UInt8] { ElfBuilder.minimalRemoteproc().build() }

    /// Every entry kind the table can hold: carveout, devmem, trace, vdev, vendor (130), unknown (9).
    static var everyEntryKind: [UInt8] {
        var builder = ElfBuilder.minimalRemoteproc()
        builder.resourceTable?.entries = [
            .carveout(da: 0x1000_0000, pa: 0x1000_0000, length: 0x10_0000, flags: 0, reserved: 0, name: "fw-mem"),
            .devmem(da: 0x4A00_0000, pa: 0x4A00_0000, length: 0x1000, flags: 3, name: "regs"),
            .trace(da: 0x1000_9000, length: 0x1000, name: "trace0"),
            .vdev(id: 7, notifyID: 2, dfeatures: 1, gfeatures: 0, config: [1, 2, 3, 4], status: 0,
                  vrings: [.init(da: 0x1004_0000, align: 4096, count: 16, notifyID: 0, pa: 0)]),
            .raw(type: 130, payload: [UInt8](repeating: 0xAB, count: 20)),
            .raw(type: 9, payload: [0, 0, 0, 0]),
        ]
        return builder.build()
    }

    /// A valid image without a `.resource_table` section: the default ELF ops refuse it.
    static var withoutResourceTable: [UInt8] {
        var builder = ElfBuilder.minimalRemoteproc()
        builder.resourceTable = nil
        return builder.build()
    }

    /// The sample with a vring of 3 buffers: the kernel boots it, rpmsg does not work (a warning).
    static var warningOnly: [UInt8] {
        var builder = ElfBuilder.minimalRemoteproc()
        builder.resourceTable?.entries[2] = .vdev(id: 7, dfeatures: 1, vrings: [
            .init(da: resourceAddressAny, align: 16, count: 3, notifyID: 0),
            .init(da: resourceAddressAny, align: 16, count: 16, notifyID: 1),
        ])
        return builder.build()
    }

    /// The sample without its carveout, so only `--memory` says where the segments may go.
    static var withoutCarveout: [UInt8] {
        var builder = ElfBuilder.minimalRemoteproc()
        builder.resourceTable?.entries.removeFirst()
        return builder.build()
    }

    /// The sample in ELF64, big-endian, for AArch64: parses, and every kernel refuses the byte order.
    static var bigEndian64: [UInt8] {
        ElfBuilder.minimalRemoteproc(elfClass: .elf64, byteOrder: .big, machine: .aarch64).build()
    }

    /// The sample with a section name that holds a terminal escape sequence.
    static var escapeInSectionName: [UInt8] {
        var builder = ElfBuilder.minimalRemoteproc()
        builder.sections.append(.init(name: "\u{1B}[2J.evil", contents: .bytes([1, 2, 3, 4])))
        return builder.build()
    }

    /// The sample cut after 30 bytes: ELF magic, but the header is incomplete.
    static var damaged: [UInt8] { Array(sample.prefix(30)) }

    /// Not ELF at all.
    static let notELF: [UInt8] = Array("#!/bin/sh\necho not firmware\n".utf8)
}
