// make-sample-firmware: writes the sample remoteproc firmware the tests build, so that a first
// `rprocctl inspect` needs no board and no downloaded image. A thin main over RprocTestSupport's
// ElfBuilder (`ElfBuilder.minimalRemoteproc()`: code at 0x10000000 and a resource table with a
// carveout, a trace buffer and an rpmsg vdev with two vrings).
//
//     make-sample-firmware [--size SIZE] FILE
//
// --size pads the code segment so the file is at least SIZE bytes (K/M suffixes), e.g. the 64 MiB
// image of the InspectVsReadelf benchmark.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import RprocTestSupport

func fail(_ message: String, status: Int32) -> Never {
    let text = "make-sample-firmware: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(status)
}

let usage = "usage: make-sample-firmware [--size SIZE[K|M]] FILE"
var arguments = Array(CommandLine.arguments.dropFirst())
var size = 0
if let flag = arguments.firstIndex(of: "--size") {
    guard flag + 1 < arguments.count else { fail(usage, status: 2) }
    var text = Substring(arguments[flag + 1])
    var multiplier = 1
    if text.hasSuffix("K") { multiplier = 1 << 10 } else if text.hasSuffix("M") { multiplier = 1 << 20 }
    if multiplier != 1 { text = text.dropLast() }
    guard let value = Int(text), value >= 0, value <= 1 << 30 / multiplier else {
        fail("invalid --size '\(arguments[flag + 1])'", status: 2)
    }
    size = value * multiplier
    arguments.removeSubrange(flag...flag + 1)
}
guard arguments.count == 1, !arguments[0].hasPrefix("-") else { fail(usage, status: 2) }
let path = arguments[0]

var builder = ElfBuilder.minimalRemoteproc()
var image = builder.build()
if image.count < size {
    // Grow the code segment (p_filesz and p_memsz) by what is missing; the layout does the rest.
    let missing = size - image.count
    builder.segments[0].data += [UInt8](repeating: 0, count: missing)
    builder.segments[0].memorySize = UInt64(builder.segments[0].data.count)
    image = builder.build()
}

let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
guard fd >= 0 else { fail("Failed to open '\(path)': \(String(cString: strerror(errno)))", status: 1) }
var done = 0
while done < image.count {
    let written = image[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if written < 0 {
        if errno == EINTR { continue }
        fail("Failed to write '\(path)': \(String(cString: strerror(errno)))", status: 1)
    }
    done += written
}
guard close(fd) == 0 else { fail("Failed to write '\(path)': \(String(cString: strerror(errno)))", status: 1) }
