import Foundation

/// The protocol files embedded in this module: `benchmarks.json` and the Caltech-101 and
/// Flowers-102 splits, copied from the project's protocols so runs never depend on a
/// checkout path.
enum ProtocolResources {
    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources") else {
            throw DataError.unreadableFile(path: "\(name).json", reason: "resource missing from the ConFiTData bundle")
        }
        return try DatasetRoot.read(url.path)
    }
}
