// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the input path (CSV reader, XML reader, rule loader), kept out of the main
// package because they are built with `-sanitize=fuzzer`. Run: Fuzz/run.sh [SECONDS] (see Fuzz/README.md).
let entryFromLibFuzzer: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "CotauditFuzz",
    dependencies: [.package(name: "Cotaudit", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", .product(name: "CotauditKit", package: "Cotaudit")]),
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzSupport", .product(name: "CotauditKit", package: "Cotaudit")],
                          swiftSettings: entryFromLibFuzzer),
        .executableTarget(name: "FuzzXML", dependencies: ["FuzzSupport", .product(name: "CotauditKit", package: "Cotaudit")],
                          swiftSettings: entryFromLibFuzzer),
        .executableTarget(name: "FuzzRules", dependencies: ["FuzzSupport", .product(name: "CotauditKit", package: "Cotaudit")],
                          swiftSettings: entryFromLibFuzzer),
    ],
    swiftLanguageModes: [.v5]
)
