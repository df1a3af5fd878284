// swift-tools-version:6.0
//
// rprocd's benchmarks: run on demand, never in the test suite.
//     swift run -c release --package-path Benchmarks <Target>
import PackageDescription

let package = Package(
    name: "rprocd-benchmarks",
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        // Whole-process `rprocctl inspect --json FILE` against `readelf -h -l -S FILE` (issue #2).
        .executableTarget(name: "InspectVsReadelf", path: "Sources/InspectVsReadelf"),
    ]
)
