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
        .executableTarget(
            name: "KernelSimModel",
            dependencies: [
                .product(name: "KernelSim", package: "rprocd"), .product(name: "RprocFirmware", package: "rprocd"),
            ]),
        .executableTarget(
            name: "BoardBench",
            dependencies: [
                .product(name: "VirtualBoard", package: "rprocd"), .product(name: "KernelSim", package: "rprocd"),
            ]),
    ]
)
