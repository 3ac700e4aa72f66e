// swift-tools-version: 6.0
import PackageDescription

// Layering (DESIGN.md §3): each module depends only on those listed before it.
let package = Package(
    name: "ConFiT",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "confit", targets: ["confit"]),
        .library(name: "ConFiTNN", targets: ["ConFiTNN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CImageIO", path: "Sources/CImageIO"),
        .target(name: "ConFiTEngine", dependencies: ["CDNNL"]),
        .target(
            name: "ConFiTIO",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "ConFiTNN", dependencies: ["ConFiTEngine", "ConFiTIO"]),
        .target(
            name: "ConFiTData", dependencies: ["CImageIO", "ConFiTIO"],
            resources: [.copy("Resources")]),
        .target(name: "ConFiT", dependencies: ["ConFiTNN", "ConFiTData", "ConFiTIO"]),
        .executableTarget(
            name: "confit",
            dependencies: [
                "ConFiT",
                "ConFiTNN",
                "ConFiTData",
                "ConFiTIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "ConFiTTests", dependencies: ["ConFiT"]),
        .testTarget(name: "ConFiTEngineTests", dependencies: ["ConFiTEngine"]),
        .testTarget(name: "ConFiTIOTests", dependencies: ["ConFiTIO"], resources: [.copy("Resources")]),
        .testTarget(
            name: "ConFiTNNTests", dependencies: ["ConFiTNN", "ConFiTData"], resources: [.copy("Resources")]),
        .testTarget(
            name: "ConFiTDataTests", dependencies: ["ConFiTData"], resources: [.copy("Resources")]),
        .testTarget(name: "ConFiTCommandTests", dependencies: ["confit"]),
    ]
)
