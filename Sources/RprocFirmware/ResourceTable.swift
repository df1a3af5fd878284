// The remoteproc resource table: header, offset array and entries.
//
// Layout from `include/linux/rsc_table.h` (NEW kernels) / `include/linux/remoteproc.h` (CLASSIC),
// identical in both; all structs are `__packed`. Decoding is lenient: every entry is decoded as far
// as its bytes go, and what the kernel would refuse is left to `FirmwareCheck`/`KernelLoader`.

/// A resource entry type (`struct fw_rsc_hdr.type`). Mirrors `enum fw_resource_type`.
public struct ResourceType: NamedConstant, Comparable {
    /// The raw type number.
    public let rawValue: UInt32
    /// Wraps a raw type number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `RSC_CARVEOUT` (0): memory the host allocates for the remote.
    public static let carveout = ResourceType(rawValue: 0)
    /// `RSC_DEVMEM` (1): device memory the host maps into the remote's IOMMU.
    public static let devmem = ResourceType(rawValue: 1)
    /// `RSC_TRACE` (2): a trace buffer the host exposes in debugfs.
    public static let trace = ResourceType(rawValue: 2)
    /// `RSC_VDEV` (3): a virtio device (rpmsg) with its vrings.
    public static let vdev = ResourceType(rawValue: 3)
    /// `RSC_LAST` (4): first type the core has no handler for.
    public static let last = ResourceType(rawValue: 4)
    /// `RSC_VENDOR_START` (128): first vendor type, handed to the driver's `handle_rsc`.
    public static let vendorStart = ResourceType(rawValue: 128)
    /// `RSC_VENDOR_END` (512): last vendor type (the range is inclusive).
    public static let vendorEnd = ResourceType(rawValue: 512)
    /// The `RSC_*` names.
    public static let table: [(ResourceType, String)] = [
        (.carveout, "RSC_CARVEOUT"), (.devmem, "RSC_DEVMEM"), (.trace, "RSC_TRACE"), (.vdev, "RSC_VDEV"),
        (.last, "RSC_LAST"), (.vendorStart, "RSC_VENDOR_START"), (.vendorEnd, "RSC_VENDOR_END"),
    ]
    /// True for 128…512 inclusive (`rproc_handle_resources` hands these to the driver).
    public var isVendor: Bool { rawValue >= 128 && rawValue <= 512 }
    /// Orders by number.
    public static func < (a: ResourceType, b: ResourceType) -> Bool { a.rawValue < b.rawValue }
}

/// `FW_RSC_ADDR_ANY` ((u32)-1): "the host chooses the address".
public let resourceAddressAny: UInt32 = 0xFFFF_FFFF

/// A carveout or devmem entry (`struct fw_rsc_carveout` / `struct fw_rsc_devmem`, 52 bytes after the
/// type word).
public struct MemoryResource: Hashable, Sendable {
    /// Byte size of the struct after the 4-byte type word.
    public static let size = 52
    /// `da`: device address (`FW_RSC_ADDR_ANY` lets the host choose, carveouts only).
    public var da: UInt32
    /// `pa`: physical address (written back by the host for carveouts).
    public var pa: UInt32
    /// `len`.
    public var length: UInt32
    /// `flags`: IOMMU protection flags.
    public var flags: UInt32
    /// `reserved` (must be 0).
    public var reserved: UInt32
    /// `name[32]`, up to the first NUL.
    public var name: String
    /// Makes an entry.
    public init(da: UInt32, pa: UInt32, length: UInt32, flags: UInt32, reserved: UInt32, name: String) {
        (self.da, self.pa, self.length, self.flags, self.reserved, self.name) = (da, pa, length, flags, reserved, name)
    }
}

/// A trace entry (`struct fw_rsc_trace`, 44 bytes after the type word).
public struct TraceResource: Hashable, Sendable {
    /// Byte size of the struct after the 4-byte type word.
    public static let size = 44
    /// `da`: device address of the trace buffer.
    public var da: UInt32
    /// `len`: buffer length.
    public var length: UInt32
    /// `reserved` (must be 0).
    public var reserved: UInt32
    /// `name[32]`, up to the first NUL.
    public var name: String
    /// Makes an entry.
    public init(da: UInt32, length: UInt32, reserved: UInt32, name: String) {
        (self.da, self.length, self.reserved, self.name) = (da, length, reserved, name)
    }
}

/// One vring of a vdev entry (`struct fw_rsc_vdev_vring`, 20 bytes).
public struct Vring: Hashable, Sendable {
    /// Byte size of the struct.
    public static let size = 20
    /// `da`: device address (`FW_RSC_ADDR_ANY` lets the host choose; written back at virtio start).
    public var da: UInt32
    /// `align`: ring alignment (0 makes the vdev's probe fail).
    public var align: UInt32
    /// `num`: number of descriptors (0 makes the vdev's probe fail).
    public var count: UInt32
    /// `notifyid` (ignored by the host, which allocates its own and writes it back).
    public var notifyID: UInt32
    /// `pa`.
    public var pa: UInt32
    /// Makes a vring.
    public init(da: UInt32, align: UInt32, count: UInt32, notifyID: UInt32, pa: UInt32) {
        (self.da, self.align, self.count, self.notifyID, self.pa) = (da, align, count, notifyID, pa)
    }

    /// Mirrors `vring_size(num, align)` (`include/uapi/linux/virtio_ring.h`): descriptors and the
    /// available ring rounded up to `align`, then the used ring; computed as the kernel does (the mask
    /// assumes a power-of-two `align`) and truncated to its `unsigned int` result.
    public var ringSize: UInt32 {
        let num = UInt64(count), a = UInt64(align)
        let head = (16 &* num &+ 2 &* (3 &+ num) &+ a &- 1) & ~(a &- 1)
        return UInt32(truncatingIfNeeded: head &+ 6 &+ 8 &* num)
    }

    /// The bytes `rproc_alloc_vring` allocates for the ring (carveout `vdev<i>vring<j>`):
    /// `PAGE_ALIGN(vring_size(num, align))`.
    /// - Parameter pageSize: the kernel's `PAGE_SIZE` (a power of two; 4096 on most boards).
    public func allocationSize(pageSize: UInt64 = 4096) -> UInt64 {
        (UInt64(ringSize) &+ pageSize &- 1) & ~(pageSize &- 1)
    }
}

/// A virtio device entry (`struct fw_rsc_vdev`: 24 bytes, then vrings, then config space).
public struct VirtioDevice: Hashable, Sendable {
    /// Byte size of the fixed part after the 4-byte type word.
    public static let fixedSize = 24
    /// `VIRTIO_ID_RPMSG`.
    public static let rpmsgID: UInt32 = 7
    /// `VIRTIO_RPMSG_F_NS` as a `dfeatures` bit mask (bit 0): the remote announces its channels.
    public static let nameServiceFeature: UInt32 = 1
    /// `id`: virtio device id (7 = rpmsg).
    public var id: UInt32
    /// `notifyid`.
    public var notifyID: UInt32
    /// `dfeatures`: device features.
    public var deviceFeatures: UInt32
    /// `gfeatures`: written by the host at feature negotiation.
    public var guestFeatures: UInt32
    /// `config_len`.
    public var configLength: UInt32
    /// `status`: virtio status, written by the host.
    public var status: UInt8
    /// `num_of_vrings` (the kernel refuses more than 2).
    public var vringCount: UInt8
    /// `reserved[2]` (must be 0).
    public var reserved: [UInt8]
    /// The `num_of_vrings` vrings.
    public var vrings: [Vring]
    /// The `config_len` bytes of config space (a slice of the table's `bytes`).
    public var config: ArraySlice<UInt8>
}

/// What an entry holds, decoded by type.
public enum Resource: Hashable, Sendable {
    /// `RSC_CARVEOUT`.
    case carveout(MemoryResource)
    /// `RSC_DEVMEM`.
    case devmem(MemoryResource)
    /// `RSC_TRACE`.
    case trace(TraceResource)
    /// `RSC_VDEV`.
    case vdev(VirtioDevice)
    /// A vendor type (128…512): the type and the bytes after the type word up to the next entry or
    /// the table end (a slice of the table's `bytes`).
    case vendor(type: ResourceType, payload: ArraySlice<UInt8>)
    /// A type the core does not know (4…127, > 512): kept with its bytes like `vendor`.
    case unknown(type: ResourceType, payload: ArraySlice<UInt8>)
    /// A known type (0…3) whose struct does not fit in the bytes left in the table: `needed` bytes
    /// after the type word, `available` present (`avail` in `rproc_handle_resources`).
    case truncated(type: ResourceType, needed: UInt64, available: UInt64)

    /// The entry type.
    public var type: ResourceType {
        switch self {
        case .carveout: .carveout
        case .devmem: .devmem
        case .trace: .trace
        case .vdev: .vdev
        case .vendor(let t, _), .unknown(let t, _), .truncated(let t, _, _): t
        }
    }
}

/// One slot of the offset array and what lies at that offset.
public struct ResourceEntry: Hashable, Sendable {
    /// Index in the offset array.
    public var index: Int
    /// `offset[index]`: byte offset of the entry's type word from the table start.
    public var offset: UInt32
    /// The decoded entry; nil when not even the 4-byte type word lies inside the table.
    public var resource: Resource?
    /// Bytes after the type word up to the table end (`avail` in `rproc_handle_resources`); negative
    /// when the type word itself does not fit.
    public var available: Int64
}

/// A resource table: the `.resource_table` section's bytes, its header and its entries.
public struct ResourceTable: Hashable, Sendable {
    /// Size of `struct resource_table` without the offset array.
    public static let headerSize = 16
    /// The section header it was read from; nil for a table decoded from bare bytes.
    public var section: SectionHeader?
    /// True when `sh_offset + sh_size` lies inside the file; when false, `bytes` is empty.
    public var isInFile: Bool
    /// The section's bytes (`cached_table` in the kernel); `sh_size` bytes when `isInFile`.
    public var bytes: [UInt8]
    /// `ver`; nil when the table is shorter than 16 bytes (or not in the file).
    public var version: UInt32?
    /// `num`; nil when the table is shorter than 16 bytes.
    public var count: UInt32?
    /// `reserved[2]`; empty when the table is shorter than 16 bytes.
    public var reserved: [UInt32]
    /// The offset array, as far as it fits in the table (fewer than `num` when it does not).
    public var offsets: [UInt32]
    /// One entry per offset in `offsets`.
    public var entries: [ResourceEntry]

    /// The table size the kernel uses: `sh_size`, or the byte count for a table decoded from bytes.
    public var size: UInt64 { section?.size ?? UInt64(bytes.count) }
    /// True when the offset array lies inside the table (`16 + 4*num ≤ size`).
    public var offsetsComplete: Bool { count.map { UInt64($0) == UInt64(offsets.count) } ?? false }

    /// Decodes a table from its bytes (e.g. a kernel model's cached table, after write-backs).
    /// - Parameters:
    ///   - bytes: the table, `table_sz` bytes.
    ///   - byteOrder: the order of its words (the firmware's; little on every board rprocd targets).
    public init(bytes: [UInt8], byteOrder: ByteOrder = .little) {
        self.section = nil
        self.isInFile = true
        self.bytes = bytes
        (version, count, reserved, offsets, entries) = bytes.withUnsafeBytes {
            Self.decode(ByteReader(buffer: $0, order: byteOrder), bytes)
        }
    }

    /// Reads the table of `section` from the image.
    init(section: SectionHeader, image r: ByteReader) {
        self.section = section
        if let range = r.range(section.offset, section.size) {
            isInFile = true
            bytes = Array(r.buffer[range])
        } else {
            isInFile = false
            bytes = []
        }
        let bytes = self.bytes
        (version, count, reserved, offsets, entries) = bytes.withUnsafeBytes {
            Self.decode(ByteReader(buffer: $0, order: r.order), bytes)
        }
    }

    private static func decode(_ r: ByteReader, _ storage: [UInt8])
        -> (UInt32?, UInt32?, [UInt32], [UInt32], [ResourceEntry]) {
        guard let ver = r.u32(0), let num = r.u32(4), let res0 = r.u32(8), let res1 = r.u32(12) else {
            return (nil, nil, [], [], [])
        }
        let n = FirmwareImage.fittingCount(r, offset: 16, stride: 4, count: Int(num))
        var offsets: [UInt32] = []
        offsets.reserveCapacity(n)
        for i in 0 ..< n { offsets.append(r.u32(16 + UInt64(i) * 4) ?? 0) }
        // Payload ends: the next larger entry offset, else the table end.
        let sorted = offsets.sorted()
        var entries: [ResourceEntry] = []
        entries.reserveCapacity(n)
        for (i, offset) in offsets.enumerated() {
            let end = nextOffset(after: offset, in: sorted).map { min(UInt64($0), UInt64(r.count)) }
                ?? UInt64(r.count)
            entries.append(decodeEntry(r, storage, index: i, offset: offset, payloadEnd: end))
        }
        return (ver, num, [res0, res1], offsets, entries)
    }

    private static func nextOffset(after offset: UInt32, in sorted: [UInt32]) -> UInt32? {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count ? sorted[lo] : nil
    }

    private static func decodeEntry(_ r: ByteReader, _ storage: [UInt8], index: Int, offset: UInt32,
                                    payloadEnd: UInt64) -> ResourceEntry {
        let o = UInt64(offset)
        let available = Int64(r.count) - Int64(o) - 4
        guard let rawType = r.u32(o) else {
            return ResourceEntry(index: index, offset: offset, resource: nil, available: available)
        }
        let type = ResourceType(rawValue: rawType)
        let p = o + 4
        let avail = UInt64(available)
        func truncated(_ needed: Int) -> Resource { .truncated(type: type, needed: UInt64(needed), available: avail) }
        let resource: Resource
        switch type {
        case .carveout, .devmem:
            if let m = memory(r, p) { resource = type == .carveout ? .carveout(m) : .devmem(m) } else {
                resource = truncated(MemoryResource.size)
            }
        case .trace:
            if let da = r.u32(p), let len = r.u32(p + 4), let res = r.u32(p + 8),
               let name = r.fixedString(at: p + 12, size: 32) {
                resource = .trace(TraceResource(da: da, length: len, reserved: res, name: name))
            } else {
                resource = truncated(TraceResource.size)
            }
        case .vdev:
            resource = vdev(r, storage, p) ?? truncated(vdevSize(r, p))
        default:
            let payload = p <= payloadEnd ? storage[Int(p) ..< Int(payloadEnd)] : []
            resource = type.isVendor ? .vendor(type: type, payload: payload) : .unknown(type: type, payload: payload)
        }
        return ResourceEntry(index: index, offset: offset, resource: resource, available: available)
    }

    private static func memory(_ r: ByteReader, _ p: UInt64) -> MemoryResource? {
        guard let da = r.u32(p), let pa = r.u32(p + 4), let len = r.u32(p + 8), let flags = r.u32(p + 12),
              let res = r.u32(p + 16), let name = r.fixedString(at: p + 20, size: 32)
        else { return nil }
        return MemoryResource(da: da, pa: pa, length: len, flags: flags, reserved: res, name: name)
    }

    /// The bytes a vdev entry needs after its type word, as far as its own fields can be read:
    /// 24 + 20 * num_of_vrings + config_len (the kernel's truncation check).
    static func vdevSize(_ r: ByteReader, _ p: UInt64) -> Int {
        guard let configLength = r.u32(p + 16), let n = r.u8(p + 21) else { return VirtioDevice.fixedSize }
        return VirtioDevice.fixedSize + Int(n) * Vring.size + Int(configLength)
    }

    private static func vdev(_ r: ByteReader, _ storage: [UInt8], _ p: UInt64) -> Resource? {
        guard let id = r.u32(p), let nid = r.u32(p + 4), let df = r.u32(p + 8), let gf = r.u32(p + 12),
              let cl = r.u32(p + 16), let status = r.u8(p + 20), let n = r.u8(p + 21), let r0 = r.u8(p + 22),
              let r1 = r.u8(p + 23)
        else { return nil }
        let vringStart = p + UInt64(VirtioDevice.fixedSize)
        let configStart = vringStart + UInt64(n) * UInt64(Vring.size)
        guard let config = r.range(configStart, UInt64(cl)) else { return nil }
        var vrings: [Vring] = []
        vrings.reserveCapacity(Int(n))
        for j in 0 ..< UInt64(n) {
            let v = vringStart + j * UInt64(Vring.size)
            guard let da = r.u32(v), let align = r.u32(v + 4), let num = r.u32(v + 8), let nid = r.u32(v + 12),
                  let pa = r.u32(v + 16)
            else { return nil }
            vrings.append(Vring(da: da, align: align, count: num, notifyID: nid, pa: pa))
        }
        return .vdev(VirtioDevice(id: id, notifyID: nid, deviceFeatures: df, guestFeatures: gf, configLength: cl,
                                  status: status, vringCount: n, reserved: [r0, r1], vrings: vrings,
                                  config: storage[config]))
    }
}
