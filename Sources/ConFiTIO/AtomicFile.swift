import Foundation

/// Writes files so that a crash at any moment, SIGKILL included, leaves either the
/// previous complete file or the new one, never a torn one: the bytes go to a temporary
/// file in the destination's own directory (so the rename never crosses file systems),
/// are flushed to disk, and are renamed over the destination. On failure (a full disk, a
/// file-size limit) the temporary file is removed and the destination is untouched. At
/// worst a crash leaves a `.*.tmp` file behind, which readers ignore.
public enum AtomicFile {
    /// A failed write: the file that could not be written and why.
    public struct Failure: Error, Sendable {
        public let path: String, reason: String
    }

    /// Writes `data` to `destination`, whose directory must exist. With `previous`, the
    /// file it replaces is kept there (hard-linked before the rename, so `destination`
    /// exists at every moment).
    public static func write(_ data: Data, to destination: URL, keepingPreviousAs previous: URL? = nil) throws(Failure)
    {
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        func fail(_ path: URL, _ reason: String, removing: [URL]) -> Failure {
            for url in removing { try? FileManager.default.removeItem(at: url) }
            return Failure(path: path.path, reason: reason)
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw fail(destination, String(cString: strerror(errno)), removing: []) }
        var written = 0
        let error: Int32? = data.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return fsync(descriptor) == 0 ? nil : errno
        }
        close(descriptor)
        if let error { throw fail(destination, String(cString: strerror(error)), removing: [temporary]) }
        if let previous, FileManager.default.fileExists(atPath: destination.path) {
            let staged = directory.appendingPathComponent(".\(previous.lastPathComponent).\(UUID().uuidString).tmp")
            guard link(destination.path, staged.path) == 0, rename(staged.path, previous.path) == 0 else {
                throw fail(previous, String(cString: strerror(errno)), removing: [staged, temporary])
            }
        }
        guard rename(temporary.path, destination.path) == 0 else {
            throw fail(destination, String(cString: strerror(errno)), removing: [temporary])
        }
    }
}
