// swift-tools-version:6.0
//
// rprocd benchmarks: one executable per benchmark, run on demand:
//   swift run -c release --package-path Benchmarks <Target>
import PackageDescription

let package = Package(
    name: "rprocd-benchmarks",
    dependencies: [
        .package(name: "rprocd", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "FirmwareParse",
            dependencies: [.product(name: "RprocFirmware", package: "rprocd")]),
        // Whole-process `rprocctl inspect --json FILE` against `readelf -h -l -S FILE` (spawns both).
        .executableTarget(name: "InspectVsReadelf"),
        // Whole-process `rprocctl list` against `busctl … call … ListProcessors` on the same rprocd.
        .executableTarget(name: "ListVsBusctl"),
        .executableTarget(
            name: "KernelAttributeRead",
            dependencies: [.product(name: "RprocSystem", package: "rprocd")]),
        .executableTarget(
            name: "BusRoundTrip",
            dependencies: [
                .product(name: "RprocBus", package: "rprocd"),
                .product(name: "RprocEventLoop", package: "rprocd"),
            ]),
        .executableTarget(
            name: "KernelSimModel",
            dependencies: [
                .product(name: "KernelSim", package: "rprocd"), .product(name: "RprocFirmware", package: "rprocd"),
            ]),
        // The built rprocd (spawned): launch to READY=1, idle RSS and wakeups, ListProcessors with 64
        // processors in-process and through busctl, against one pread(2).
        .executableTarget(
            name: "DaemonBench",
            dependencies: [.product(name: "RprocBus", package: "rprocd")]),
        // Crash to detected / to running: the built rprocd (Crashed/Recovered signals) against a 100 ms
        // shell poll (spawns rproc-sim and rprocd).
        .executableTarget(
            name: "CrashRecovery",
            dependencies: [.product(name: "RprocBus", package: "rprocd")]),
        .executableTarget(
            name: "BoardBench",
            dependencies: [
                .product(name: "VirtualBoard", package: "rprocd"), .product(name: "KernelSim", package: "rprocd"),
            ]),
        // Spawns the built rproc-sim and rprocd for the benchmarks that measure through the daemon.
        .target(name: "BenchDaemon", dependencies: [.product(name: "RprocBus", package: "rprocd")]),
        // Announcement of an rpmsg channel to the start job's JobRemoved, through the built rprocd on rproc-sim.
        .executableTarget(
            name: "ReadinessBench",
            dependencies: [
                "BenchDaemon", .product(name: "RprocBus", package: "rprocd"), .product(name: "RprocEventLoop", package: "rprocd"),
                .product(name: "RprocSystem", package: "rprocd"),
            ]),
        // Update kept / rolled back against the processor's boot time, through the built rprocd on rproc-sim.
        .executableTarget(
            name: "UpdateBench",
            dependencies: [
                "BenchDaemon", .product(name: "RprocBus", package: "rprocd"), .product(name: "RprocEventLoop", package: "rprocd"),
            ]),
    ]
)
