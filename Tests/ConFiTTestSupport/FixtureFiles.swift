import Foundation

/// The committed files of a test target's `Resources` folder (each target copies its own;
/// `Bundle.module` is the target's).
public struct FixtureFiles: Sendable {
    public let root: URL

    public init(_ bundle: Bundle) {
        root = bundle.url(forResource: "Resources", withExtension: nil)!
    }

    /// The file at `relative`, which must exist.
    public func url(_ relative: String) throws -> URL {
        let file = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: file.path])
        }
        return file
    }

    public func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    public func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: try url(relative))) }
}

/// Little-endian bytes of `values`, as the file formats here store numbers.
public func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}
