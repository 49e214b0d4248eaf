// swift-tools-version:6.0
import PackageDescription

// One direction of dependency: BillingModel ← BillingIngest ← AuditRules ← AuditReport ← AuditStore ← cotaudit.
// BatchGenerator (test and benchmark batches, priced by the rule set) sits beside AuditReport.
let package = Package(
    name: "Cotaudit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cotaudit", targets: ["cotaudit"]),
        // For the benchmarks package and for tools that embed the audit.
        .library(name: "CotauditKit", targets: ["BillingModel", "BillingIngest", "AuditRules", "AuditReport", "BatchGenerator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // SQLite for the nightly store; on Linux it links the system's libsqlite3 (libsqlite3-dev).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibXML2",
            path: "Sources/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
        ),
        // A cache prefetch hint, which Swift cannot express (per-patient tables, and an XML act's values on the audit's thread).
        .target(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "BillingModel"),
        .target(
            name: "BillingIngest",
            dependencies: [
                "BillingModel", "CLibXML2", "CPrefetch",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "AuditRules",
            dependencies: [
                "BillingModel", "BillingIngest", "CPrefetch",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "AuditReport", dependencies: ["BillingModel", "AuditRules"]),
        .target(name: "BatchGenerator", dependencies: ["BillingModel", "AuditRules"]),
        .target(
            name: "AuditStore",
            dependencies: [
                "BillingModel", "BillingIngest", "AuditRules", "AuditReport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "cotaudit",
            dependencies: [
                "BillingModel", "BillingIngest", "AuditRules", "AuditReport", "AuditStore", "BatchGenerator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "BillingModelTests", dependencies: ["BillingModel"]),
        .testTarget(name: "BillingIngestTests", dependencies: ["BillingIngest"]),
        .testTarget(name: "AuditRulesTests", dependencies: ["AuditRules", "BillingIngest"]),
        .testTarget(name: "AuditReportTests", dependencies: ["AuditReport", "AuditRules"]),
        .testTarget(name: "BatchGeneratorTests", dependencies: ["BatchGenerator", "AuditRules", "AuditReport", "BillingIngest"]),
        .testTarget(name: "AuditStoreTests", dependencies: ["AuditStore", "AuditReport", "AuditRules", "BillingIngest"]),
        .testTarget(name: "CotauditTests", dependencies: [
            "AuditReport", "AuditRules", "BillingIngest",
            // Reads the CI job examples of docs/ci/ as the CI servers would.
            .product(name: "Yams", package: "Yams"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
