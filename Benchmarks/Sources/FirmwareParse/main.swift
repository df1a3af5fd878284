// Parse + validate cost per firmware image (FirmwareCheck.check on an in-memory buffer, all five
// kernel profiles): every vendor fixture, a minimal image, and a 64 MiB synthetic image whose cost
// must not differ from a small one's (the parser touches only headers and the table).
// Target: ≤ 20 µs per image. Run: swift run -c release --package-path Benchmarks FirmwareParse

import Glibc
import RprocFirmware

let fixtureDirectory: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(4)  // …/Benchmarks/Sources/FirmwareParse/main.swift
    parts.append(contentsOf: ["Tests", "RprocFirmwareTests", "Fixtures"])
    return parts.joined(separator: "/")
}()

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0 ..< n]
    }
    return bytes
}

/// Little-endian ELF32 writer for the synthetic images (the test-side ElfBuilder is not a product).
struct Writer {
    var bytes: [UInt8]
    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }
    mutating func put(_ at: Int, _ data: [UInt8]) { bytes.replaceSubrange(at ..< at + data.count, with: data) }
    mutating func u16(_ at: Int, _ v: UInt16) { put(at, withUnsafeBytes(of: v.littleEndian) { Array($0) }) }
    mutating func u32(_ at: Int, _ v: UInt32) { put(at, withUnsafeBytes(of: v.littleEndian) { Array($0) }) }
    mutating func name(_ at: Int, _ s: String) { put(at, Array(s.utf8)) }
}

/// ELF32 with headers and the resource table in the first 4 KiB, then one code segment of
/// `segmentSize` bytes at 0x10000000.
func syntheticImage(segmentSize: Int) -> [UInt8] {
    var w = Writer(size: 4096 + segmentSize)
    w.put(0, [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1])
    w.u16(16, 2); w.u16(18, 40); w.u32(20, 1); w.u32(24, 0x1000_0000); w.u32(28, 52); w.u32(32, 400)
    w.u16(40, 52); w.u16(42, 32); w.u16(44, 2); w.u16(46, 40); w.u16(48, 4); w.u16(50, 3)
    // Program headers: code (4096, 64 MiB) at 0x10000000; the table (128, 200) at 0x1f000000.
    for (i, (off, addr, size, flags)) in [(4096, 0x1000_0000, segmentSize, 5), (128, 0x1f00_0000, 200, 6)].enumerated() {
        let p = 52 + 32 * i
        w.u32(p, 1); w.u32(p + 4, UInt32(off)); w.u32(p + 8, UInt32(addr)); w.u32(p + 12, UInt32(addr))
        w.u32(p + 16, UInt32(size)); w.u32(p + 20, UInt32(size)); w.u32(p + 24, UInt32(flags)); w.u32(p + 28, 4)
    }
    // Resource table at 128: carveout covering the code, trace, rpmsg vdev with 2 vrings.
    let t = 128
    w.u32(t, 1); w.u32(t + 4, 3); w.u32(t + 16, 28); w.u32(t + 20, 84); w.u32(t + 24, 132)
    w.u32(t + 28, 0); w.u32(t + 32, 0x1000_0000); w.u32(t + 36, 0x1000_0000); w.u32(t + 40, 0x1000_0000); w.name(t + 52, "fw-mem")
    w.u32(t + 84, 2); w.u32(t + 88, 0x1f00_1000); w.u32(t + 92, 0x1000); w.name(t + 100, "trace0")
    w.u32(t + 132, 3); w.u32(t + 136, 7); w.u32(t + 144, 1); w.put(t + 157, [2])
    for j in 0 ..< 2 {
        let v = t + 160 + 20 * j
        w.u32(v, 0xFFFF_FFFF); w.u32(v + 4, 16); w.u32(v + 8, 16); w.u32(v + 12, UInt32(j))
    }
    // .shstrtab at 336, section headers at 400: null, .text, .resource_table, .shstrtab.
    w.name(337, ".text"); w.name(343, ".resource_table"); w.name(359, ".shstrtab")
    for (i, (name, type, addr, off, size)) in [(1, 1, 0x1000_0000, 4096, segmentSize), (7, 1, 0x1f00_0000, 128, 200),
                                               (23, 3, 0, 336, 33)].enumerated() {
        let s = 400 + 40 * (i + 1)
        w.u32(s, UInt32(name)); w.u32(s + 4, UInt32(type)); w.u32(s + 8, 2); w.u32(s + 12, UInt32(addr))
        w.u32(s + 16, UInt32(off)); w.u32(s + 20, UInt32(size)); w.u32(s + 32, 4)
    }
    for i in stride(from: 4096, to: w.bytes.count, by: 4096) { w.bytes[i] = UInt8(truncatingIfNeeded: i >> 12) }
    return w.bytes
}

struct Figures {
    var median: Double
    var p99: Double
}

/// Times `body` `iterations` times individually, after a warm-up; µs.
func measure(iterations: Int, _ body: () -> Void) -> Figures {
    let clock = ContinuousClock()
    for _ in 0 ..< 50 { body() }
    var samples: [Double] = []
    samples.reserveCapacity(iterations)
    for _ in 0 ..< iterations {
        let start = clock.now
        body()
        let d = (clock.now - start).components
        samples.append(Double(d.seconds) * 1e6 + Double(d.attoseconds) / 1e12)
    }
    samples.sort()
    return Figures(median: samples[samples.count / 2], p99: samples[min(samples.count - 1, samples.count * 99 / 100)])
}

var images: [(String, [UInt8])] = []
for name in ["bin_am335x-pm-firmware.elf", "mediatek_mt8183_scp.img", "result_am335x-pru0-fw", "result_am335x-pru1-fw"] {
    if let bytes = readFile(fixtureDirectory + "/" + name) { images.append((name, bytes)) } else {
        print("warning: fixture \(name) not found under \(fixtureDirectory), skipped")
    }
}
images.append(("synthetic 4 KiB segment", syntheticImage(segmentSize: 4096)))
images.append(("synthetic 64 MiB segment", syntheticImage(segmentSize: 64 << 20)))

let iterations = 5000
let target = 20.0
var worst = 0.0
var findingsSeen = 0
print("FirmwareParse: FirmwareCheck.check (parse + validate, 5 kernel profiles), \(iterations) iterations each")
print("image".padding(28) + "size".leftPadded(10) + "parse med".leftPadded(11) + "check med".leftPadded(11)
      + "check p99".leftPadded(11) + "  findings")
for (name, bytes) in images {
    let count = FirmwareCheck.check(bytes).findings.count
    let (parse, check) = bytes.withUnsafeBytes { buffer in
        (measure(iterations: iterations) { findingsSeen &+= ((try? FirmwareImage(parsing: buffer))?.size ?? 0) & 1 },
         measure(iterations: iterations) { findingsSeen &+= FirmwareCheck.check(buffer).findings.count })
    }
    worst = max(worst, check.median)
    print(name.padding(28) + "\(bytes.count)".leftPadded(10) + String(us: parse.median).leftPadded(11)
          + String(us: check.median).leftPadded(11) + String(us: check.p99).leftPadded(11) + "  \(count)")
}
print("worst median \(String(us: worst)) (target ≤ \(String(us: target))): \(worst <= target ? "met" : "NOT met")")
if findingsSeen == -1 { print(findingsSeen) }  // keeps the measured work observable

extension String {
    init(us value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10) µs"
    }
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
