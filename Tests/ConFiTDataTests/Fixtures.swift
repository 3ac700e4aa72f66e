import Foundation

@testable import ConFiTData

/// Paths to the committed fixtures (see Resources/make_fixtures.py) and scratch folders.
enum Fixtures {
    static let root: String = Bundle.module.url(forResource: "Resources", withExtension: nil)!.path

    static func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }

    /// A fresh temporary folder, removed by the caller's `defer`.
    static func temporaryFolder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("confit-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Writes `files` (relative path → bytes) under `folder`, creating folders as needed.
    static func write(_ files: [String: [UInt8]], under folder: String) throws {
        for (relative, bytes) in files {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
    }

    static func makeFolder(_ relative: String, under folder: String) throws {
        try FileManager.default.createDirectory(
            atPath: (folder as NSString).appendingPathComponent(relative), withIntermediateDirectories: true)
    }
}
