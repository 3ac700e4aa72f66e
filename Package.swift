// swift-tools-version: 6.0
import PackageDescription

// Layering (docs/architecture.md): each module depends only on those listed before it, and
// declares every module it imports.
let package = Package(
    name: "ConFiT",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "confit", targets: ["confit"]),
        .library(name: "ConFiT", targets: ["ConFiT"]),
        .library(name: "ConFiTReport", targets: ["ConFiTReport"]),
        .library(name: "ConFiTServe", targets: ["ConFiTServe"]),
        .library(name: "ConFiTNN", targets: ["ConFiTNN"]),
        .library(name: "ConFiTData", targets: ["ConFiTData"]),
        .library(name: "ConFiTIO", targets: ["ConFiTIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CImageIO", path: "Sources/CImageIO"),
        .systemLibrary(name: "CLAPACK", path: "Sources/CLAPACK"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "ConFiTEngine", dependencies: ["CDNNL", "CMPI", "CLAPACK"]),
        .target(
            name: "ConFiTIO",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "ConFiTNN", dependencies: ["ConFiTEngine", "ConFiTIO"]),
        .target(
            name: "ConFiTData", dependencies: ["CImageIO", "ConFiTIO", "ConFiTNN"],
            resources: [.copy("Resources")]),
        .target(name: "ConFiT", dependencies: ["ConFiTEngine", "ConFiTIO", "ConFiTNN", "ConFiTData"]),
        .target(name: "ConFiTReport", dependencies: ["ConFiT"]),
        .target(
            name: "ConFiTServe",
            dependencies: [
                "ConFiT", "ConFiTData", "ConFiTNN", "ConFiTEngine", "ConFiTIO",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .executableTarget(
            name: "confit",
            dependencies: [
                "ConFiT", "ConFiTReport", "ConFiTServe", "ConFiTNN", "ConFiTData", "ConFiTIO", "ConFiTEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "TwoTaskExample", dependencies: ["ConFiT"], path: "Examples/TwoTaskExample"),
        .target(
            name: "ConFiTTestSupport", dependencies: ["ConFiTEngine", "ConFiTIO", "ConFiTNN"],
            path: "Tests/ConFiTTestSupport"),
        .executableTarget(
            name: "MPIShardWorker", dependencies: ["ConFiTEngine", "ConFiTIO", "ConFiTTestSupport"],
            path: "Tests/MPIShardWorker"),
        .testTarget(name: "ConFiTEngineTests", dependencies: ["ConFiTEngine", "ConFiTTestSupport"]),
        .testTarget(
            name: "ConFiTIOTests", dependencies: ["ConFiTIO", "ConFiTTestSupport"], resources: [.copy("Resources")]),
        .testTarget(
            name: "ConFiTNNTests",
            dependencies: ["ConFiTNN", "ConFiTEngine", "ConFiTIO", "ConFiTData", "ConFiTTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "ConFiTDataTests", dependencies: ["ConFiTData", "ConFiTNN", "ConFiTTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "ConFiTTests",
            dependencies: ["ConFiT", "ConFiTData", "ConFiTNN", "ConFiTIO", "ConFiTEngine", "ConFiTTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "ConFiTServeTests",
            dependencies: [
                "ConFiTServe", "ConFiT", "ConFiTData", "ConFiTNN", "ConFiTEngine", "ConFiTIO", "ConFiTTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")]),
        .testTarget(name: "ConFiTReportTests", dependencies: ["ConFiTReport", "ConFiT", "ConFiTTestSupport"]),
        .testTarget(
            name: "ConFiTCommandTests",
            dependencies: ["confit", "TwoTaskExample", "MPIShardWorker", "ConFiTIO", "ConFiTTestSupport"],
            resources: [.copy("Resources")]),
    ]
)
