// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for the readers of outside bytes, built only by `scripts/fuzz` (with
// -sanitize=fuzzer,address), so that the main package's build and tests never need them.
let package = Package(
    name: "ConFiTFuzz",
    dependencies: [.package(name: "ConFiT", path: "..")],
    targets: [
        .systemLibrary(name: "CFuzzer", path: "Sources/CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
        .executableTarget(name: "FuzzSafeTensors", dependencies: ["FuzzSupport", .product(name: "ConFiTIO", package: "ConFiT")]),
        .executableTarget(name: "FuzzPickle", dependencies: ["FuzzSupport", .product(name: "ConFiTIO", package: "ConFiT")]),
        .executableTarget(name: "FuzzPyTorch", dependencies: ["FuzzSupport", .product(name: "ConFiTIO", package: "ConFiT")]),
        .executableTarget(name: "FuzzMATLAB", dependencies: ["FuzzSupport", .product(name: "ConFiTData", package: "ConFiT")]),
        .executableTarget(name: "FuzzImage", dependencies: ["FuzzSupport", .product(name: "ConFiTData", package: "ConFiT")]),
        .executableTarget(name: "FuzzIDX", dependencies: ["FuzzSupport", .product(name: "ConFiTData", package: "ConFiT")]),
        .executableTarget(name: "FuzzCIFARBinary", dependencies: ["FuzzSupport", .product(name: "ConFiTData", package: "ConFiT")]),
        .executableTarget(name: "FuzzCIFARPython", dependencies: ["FuzzSupport", .product(name: "ConFiTData", package: "ConFiT")]),
        .executableTarget(name: "FuzzSplitFile", dependencies: ["FuzzSupport", .product(name: "ConFiTData", package: "ConFiT")]),
        .executableTarget(name: "FuzzMetrics", dependencies: ["FuzzSupport", .product(name: "ConFiT", package: "ConFiT"), .product(name: "ConFiTReport", package: "ConFiT")]),
        .executableTarget(name: "FuzzServeRequest", dependencies: ["FuzzSupport", .product(name: "ConFiTServe", package: "ConFiT"), .product(name: "ConFiT", package: "ConFiT"), .product(name: "ConFiTData", package: "ConFiT"), .product(name: "ConFiTNN", package: "ConFiT")]),
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["FuzzSupport", .product(name: "ConFiT", package: "ConFiT")]),
    ]
)
