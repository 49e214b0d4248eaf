// swift-tools-version:6.0
import PackageDescription

// Throughput of a whole audit (read, validate, evaluate, report), kept out of the main package so
// the tests never time anything. Run: cd Benchmarks && swift run -c release CotauditBenchmarks
let package = Package(
    name: "CotauditBenchmarks",
    dependencies: [
        .package(name: "Cotaudit", path: ".."),
        .package(url: "https://github.com/google/swift-benchmark", from: "0.1.2"),
    ],
    targets: [
        .executableTarget(
            name: "CotauditBenchmarks",
            dependencies: [
                .product(name: "CotauditKit", package: "Cotaudit"),
                .product(name: "Benchmark", package: "swift-benchmark"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
