import Foundation

/// Test resources and scratch files.
enum Fixtures {
    static func url(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        return url
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try url(name)))
    }

    /// A fresh empty directory for one test.
    static func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("confit-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Writes `bytes` to a new file in a fresh directory.
    static func write(_ bytes: [UInt8], name: String = "file") throws -> URL {
        let url = try scratchDirectory().appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Little-endian bytes of `values`.
    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }
}
