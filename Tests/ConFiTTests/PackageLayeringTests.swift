import Foundation
import Testing

/// The layering the README's architecture section states, read off the package itself:
/// every module depends only on modules above it in docs/architecture.md's order, and declares in
/// Package.swift every module its sources import.
@Suite struct PackageLayeringTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// docs/architecture.md, lowest first.
    private static let layers = [
        "CDNNL", "CImageIO", "CLAPACK", "CMPI", "ConFiTEngine", "ConFiTIO", "ConFiTNN", "ConFiTData", "ConFiT",
        "ConFiTReport", "ConFiTServe", "confit",
    ]
    private static let platform: Set = ["Foundation", "FoundationNetworking", "Dispatch", "Testing", "Glibc"]

    /// Every target of Package.swift: its declared dependencies and its source folder.
    private func targets() throws -> [(name: String, dependencies: [String], folder: URL)] {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declaration =
            /\.(target|executableTarget|testTarget)\(\s*name:\s*"(\w+)"(?:,\s*dependencies:\s*\[([^\]]*)\])?(?:[^)]*?path:\s*"([^"]+)")?/
        return manifest.matches(of: declaration).map { match in
            let (kind, name) = (String(match.output.1), String(match.output.2))
            // Products name their module (`.product(name: "ArgumentParser", package: ...)`).
            let list = (match.output.3.map(String.init) ?? "").replacing(/package:\s*"[^"]*"/, with: "")
            let dependencies = list.matches(of: /"(\w+)"/).map { String($0.output.1) }
            let folder = match.output.4.map(String.init) ?? (kind == "testTarget" ? "Tests/" : "Sources/") + name
            return (name, dependencies, Self.root.appendingPathComponent(folder))
        }
    }

    @Test func modulesDependOnlyOnLowerLayers() throws {
        let targets = try targets()
        // The four system libraries are `.systemLibrary` declarations, not targets with sources.
        #expect(Set(targets.map(\.name)).intersection(Self.layers) == Set(Self.layers.dropFirst(4)))
        for target in targets {
            guard let level = Self.layers.firstIndex(of: target.name) else { continue }
            for dependency in target.dependencies {
                if let other = Self.layers.firstIndex(of: dependency) {
                    #expect(other < level, "\(target.name) depends on \(dependency), which is not below it")
                }
            }
        }
    }

    @Test func everyImportIsDeclared() throws {
        for target in try targets() {
            let files =
                FileManager.default.enumerator(at: target.folder, includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
            #expect(!files.isEmpty, "\(target.name) has no sources at \(target.folder.path)")
            for file in files {
                let source = try String(contentsOf: file, encoding: .utf8)
                for match in source.matches(of: /(?m)^(?:@testable )?import (\w+)$/) {
                    let module = String(match.output.1)
                    guard !Self.platform.contains(module) else { continue }
                    #expect(
                        target.dependencies.contains(module),
                        "\(file.lastPathComponent) in \(target.name) imports \(module), which Package.swift does not declare for it"
                    )
                }
            }
        }
    }
}
