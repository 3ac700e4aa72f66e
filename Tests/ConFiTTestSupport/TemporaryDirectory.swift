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

/// Temporary folders made for one test, all removed when the value is released: a suite
/// holds one as a property (Swift Testing makes a suite value for each test), so a helper
/// that makes a folder whose files the test's objects read later (a dataset's images) can
/// leave it here for as long as the test runs.
public final class TemporaryDirectories: @unchecked Sendable {
    private let lock = NSLock()
    private var folders: [TemporaryDirectory] = []

    public init() {}

    /// A new folder (see `TemporaryDirectory.init`), kept until this value is released.
    public func make(_ prefix: String = "confit-test") throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix)
        lock.withLock { folders.append(folder) }
        return folder
    }
}

extension TemporaryDirectory {
    /// Removes the folder when the test process exits, whoever holds it then: for a folder
    /// that a static shares between tests, which is never released (Swift Testing has no
    /// hook at the end of a run).
    public func removeAtExit() { ExitCleanup.shared.add(url) }
}

/// The folders `removeAtExit` was asked for, removed by an `atexit` handler.
private final class ExitCleanup: @unchecked Sendable {
    static let shared = ExitCleanup()
    private let lock = NSLock()
    private var folders: [URL] = []

    private init() { atexit { ExitCleanup.shared.removeAll() } }

    func add(_ folder: URL) { lock.withLock { folders.append(folder) } }

    private func removeAll() {
        for folder in lock.withLock({ folders }) { try? FileManager.default.removeItem(at: folder) }
    }
}
