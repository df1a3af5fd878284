// swift-tools-version:6.0
//
// rprocd: host-side remoteproc manager for Linux AMP boards.
// Module map and dependency rules: docs/ARCHITECTURE.md.
import PackageDescription

#if canImport(Glibc)
    import Glibc
#endif

/// The release link's layout of rprocd and rprocctl (Benchmarks/DaemonBench, InspectVsReadelf): lld places the
/// functions the binary runs at start-up and in its common paths first in .text (`order`, a profile written by
/// scripts/link-order), and packs the image's relative relocations (DT_RELR: a few KiB instead of 730 KiB of
/// .rela.dyn read at every start) where the C library can apply them: glibc 2.36 and later.
func releaseLayout(order: String) -> [String] {
    var flags = [
        "-use-ld=lld",
        "-Xlinker", "--symbol-ordering-file=" + Context.packageDirectory + "/" + order,
        "-Xlinker", "--no-warn-symbol-ordering",
    ]
    #if canImport(Glibc)
        var buffer = [CChar](repeating: 0, count: 64)  // "glibc 2.36"
        _ = confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let version = text.split(separator: " ").last?.split(separator: ".").compactMap { Int($0) } ?? []
        if version.count >= 2, (version[0], version[1]) >= (2, 36) {
            flags += ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]
        }
    #endif
    return flags
}

let package = Package(
    name: "rprocd",
    products: [
        .executable(name: "rprocd", targets: ["rprocd"]),
        .executable(name: "rprocctl", targets: ["rprocctl"]),
        .executable(name: "rproc-sim", targets: ["rproc-sim"]),
        .library(name: "RprocFirmware", targets: ["RprocFirmware"]),
        .library(name: "RprocSystem", targets: ["RprocSystem"]),
        .library(name: "RprocBus", targets: ["RprocBus"]),
        .library(name: "RprocEventLoop", targets: ["RprocEventLoop"]),
        .library(name: "KernelSim", targets: ["KernelSim"]),
        .library(name: "VirtualBoard", targets: ["VirtualBoard"]),
        .library(name: "RprocDaemon", targets: ["RprocDaemon"]),
        .library(name: "RprocModel", targets: ["RprocModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // MARK: Pure modules: standard library only (no Foundation, no C, no I/O).
        .target(name: "SystemdIni"),
        .target(name: "RprocJSON"),
        .target(name: "RprocFirmware"),
        .target(name: "RprocModel", dependencies: ["SystemdIni"]),
        .target(name: "KernelSim", dependencies: ["RprocFirmware"]),

        // MARK: C interop: system libraries and one thin shim target.
        .systemLibrary(
            name: "CSystemd", pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(
            name: "CUdev", pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]),
        .systemLibrary(
            name: "CFuse3", pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]),
        .target(name: "CRprocShims", dependencies: ["CSystemd"], cSettings: [.define("_GNU_SOURCE")]),

        // MARK: I/O libraries.
        .target(
            name: "RprocSystem",
            dependencies: [
                "RprocModel", "CUdev",
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .target(name: "RprocEventLoop", dependencies: ["CSystemd", "CRprocShims"]),
        .target(name: "RprocBus", dependencies: ["CSystemd", "CRprocShims", "RprocEventLoop"]),
        .target(
            name: "RprocDaemon",
            dependencies: [
                "SystemdIni", "RprocModel", "RprocFirmware", "RprocSystem", "RprocBus", "RprocEventLoop",
                "RprocJSON", "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .target(
            name: "RprocCtl",
            dependencies: [
                "RprocFirmware", "RprocModel", "RprocBus", "RprocJSON", "SystemdIni",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            // StaticLink holds a linker script for the rprocctl executable, not sources.
            exclude: ["StaticLink"]),
        .target(
            name: "VirtualBoard",
            dependencies: [
                "KernelSim", "SystemdIni", "CFuse3", "CSystemd",
                .product(name: "SystemPackage", package: "swift-system"),
            ]),

        // MARK: Executables: thin mains over the libraries.
        // Release rprocd links the Swift runtime and libstdc++ statically, as rprocctl does (below), and
        // exports no dynamic symbols: idle RSS 13.5 -> 10.4 MiB, and less flash than the binary plus the
        // shared Swift runtime (Benchmarks/DaemonBench). SwiftPM's release link already has --gc-sections.
        .executableTarget(
            name: "rprocd", dependencies: ["RprocDaemon"],
            exclude: ["Link"],
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-stdlib", "-Xlinker", "--no-export-dynamic",
                        "-L", Context.packageDirectory + "/Sources/RprocCtl/StaticLink",
                    ] + releaseLayout(order: "Sources/rprocd/Link/rprocd.order"), .when(configuration: .release)),
            ]),
        // Release rprocctl links the Swift runtime statically: it halves process start-up, which is
        // most of what `rprocctl inspect` costs (Benchmarks/InspectVsReadelf).
        .executableTarget(
            name: "rprocctl", dependencies: ["RprocCtl"],
            exclude: ["Link"],
            linkerSettings: [
                .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
                // Start-up, measured by the same benchmark: no dynamic symbol table of every Swift symbol
                // (scanned by dladdr at start-up), and libstdc++ linked statically through the linker
                // script in Sources/RprocCtl/StaticLink. The image stays PIE: linking it without PIE
                // saves ~0.4 ms of relocations but gives up address randomisation in a tool that
                // parses untrusted firmware, often as root.
                .unsafeFlags(
                    [
                        "-Xlinker", "--no-export-dynamic",
                        "-L", Context.packageDirectory + "/Sources/RprocCtl/StaticLink",
                    ] + releaseLayout(order: "Sources/rprocctl/Link/rprocctl.order"), .when(configuration: .release)),
                // ArgumentParser's FoundationEssentials was compiled against the shared runtime, whose
                // modules do not autolink these; the static FoundationEssentials needs them.
                .linkedLibrary("_FoundationCShims", .when(configuration: .release)),
                .linkedLibrary("_FoundationCollections", .when(configuration: .release)),
            ]),
        // A developer tool, not installed: writes the tests' sample firmware (README's first command).
        .executableTarget(name: "make-sample-firmware", dependencies: ["RprocTestSupport"]),
        .executableTarget(
            name: "rproc-sim",
            dependencies: [
                "VirtualBoard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: Tests (Swift Testing). One target per module plus end-to-end targets.
        .target(
            name: "RprocTestSupport",
            dependencies: [
                "RprocFirmware",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/RprocTestSupport"),
        .testTarget(name: "SystemdIniTests", dependencies: ["SystemdIni"]),
        .testTarget(name: "RprocJSONTests", dependencies: ["RprocJSON"]),
        .testTarget(name: "RprocFirmwareTests", dependencies: ["RprocFirmware", "RprocTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "RprocModelTests", dependencies: ["RprocModel"]),
        .testTarget(name: "KernelSimTests", dependencies: ["KernelSim", "RprocTestSupport"]),
        .testTarget(name: "RprocSystemTests", dependencies: ["RprocSystem", "RprocTestSupport"]),
        .testTarget(name: "RprocBusTests", dependencies: ["RprocBus", "RprocEventLoop", "RprocTestSupport"]),
        .testTarget(
            name: "VirtualBoardTests",
            dependencies: ["VirtualBoard", "KernelSim", "RprocTestSupport"]),
        .testTarget(
            name: "RprocDaemonTests",
            dependencies: ["RprocDaemon", "RprocBus", "RprocTestSupport"]),
        .testTarget(name: "RprocCtlTests", dependencies: ["RprocCtl", "RprocTestSupport"], exclude: ["Snapshots"]),
    ]
)
