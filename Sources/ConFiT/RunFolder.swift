import Foundation

/// The folder a training run writes into (`--out runs/NAME`).
///
/// Every write is atomic: the bytes go to a temporary file in the destination's own
/// directory (so the rename never crosses file systems), are flushed to disk, and are then
/// renamed over the destination. A run killed at any moment, SIGKILL included, leaves
/// either the previous complete file or the new one, never a torn one; at worst a
/// `.*.tmp` file is left behind, which readers ignore.
public struct RunFolder: Sendable {
    public static let metricsJSON = "metrics.json"
    public static let metricsCSV = "metrics.csv"

    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// Writes `data` to the file `name` (a path relative to the folder), creating the
    /// folder and any intermediate directories, replacing an existing file atomically.
    public func writeAtomically(_ data: Data, to name: String) throws(RunFolderError) {
        let destination = url.appendingPathComponent(name)
        let directory = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate(path: directory.path, reason: Self.reason(error))
        }
        let temporary = directory.appendingPathComponent(
            ".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            // fsync applies to the file, whichever descriptor asks.
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .cannotWrite(path: destination.path, reason: Self.reason(error))
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .cannotWrite(path: destination.path, reason: reason)
        }
    }

    /// Writes `metrics.json` and `metrics.csv`, each atomically.
    public func write(_ metrics: RunMetrics) throws(RunFolderError) {
        let json: Data
        do { json = try metrics.jsonData() } catch {
            throw .cannotWrite(path: url.appendingPathComponent(Self.metricsJSON).path, reason: Self.reason(error))
        }
        try writeAtomically(json, to: Self.metricsJSON)
        try writeAtomically(Data(metrics.csv.utf8), to: Self.metricsCSV)
    }

    /// Reads back `metrics.json`, e.g. to resume a run or to report on it.
    public func readMetrics() throws(RunFolderError) -> RunMetrics {
        let file = url.appendingPathComponent(Self.metricsJSON)
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw .cannotRead(path: file.path, reason: Self.reason(error))
        }
        do { return try RunMetrics.decode(from: data) } catch {
            throw .malformed(path: file.path, reason: Self.reason(error))
        }
    }

    /// Foundation's own descriptions are vague ("error 512", "not in the correct format");
    /// the POSIX cause or the decoding context is what a user needs next to the path.
    private static func reason(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            let context: DecodingError.Context? = switch error {
            case let .dataCorrupted(c), let .keyNotFound(_, c), let .typeMismatch(_, c), let .valueNotFound(_, c): c
            @unknown default: nil
            }
            guard let context else { return "\(error)" }
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "at \(path): \(context.debugDescription)"
        }
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error
        let cause = (underlying ?? error) as NSError
        return cause.domain == NSPOSIXErrorDomain
            ? String(cString: strerror(Int32(cause.code))) : (error as NSError).localizedDescription
    }
}
