import Foundation

/// A fresh folder under the system's temporary directory, removed with everything in it
/// when the value is released: hold it for as long as a test needs the files.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    /// Creates the folder now; `prefix` names it after its user for anyone looking at /tmp.
    public init(_ prefix: String = "confit-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// `relative` inside the folder.
    public func appending(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Writes `bytes` to a new file in the folder, named `name` or else uniquely, and
    /// returns its URL.
    @discardableResult
    public func write(_ bytes: [UInt8], name: String? = nil) throws -> URL {
        let file = url.appendingPathComponent(name ?? "file-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        return file
    }

    /// Writes every file of `files` (path relative to the folder → bytes), creating
    /// subfolders as needed.
    public func write(_ files: [String: [UInt8]]) throws {
        for (relative, bytes) in files {
            let file = url.appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: file)
        }
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
