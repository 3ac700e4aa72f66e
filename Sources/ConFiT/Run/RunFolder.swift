import ConFiTIO
import Foundation

/// The folder a training run writes into (`--out runs/NAME`). Every write is atomic
/// (`AtomicFile`): a run killed at any moment, SIGKILL included, or stopped by a full
/// disk, leaves either the previous complete file or the new one, never a torn one.
public struct RunFolder: Sendable {
    public static let metricsJSON = "metrics.json"
    public static let metricsCSV = "metrics.csv"

    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// Writes `data` to the file `name` (a path relative to the folder) with
    /// `AtomicFile`, creating the folder and any intermediate directories. With
    /// `previous`, the file it replaces is kept under that name.
    public func writeAtomically(
        _ data: Data, to name: String, keepingPreviousAs previous: String? = nil
    ) throws(RunFolderError) {
        let destination = url.appendingPathComponent(name)
        let directory = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate(path: directory.path, reason: Self.reason(error))
        }
        do {
            try AtomicFile.write(
                data, to: destination, keepingPreviousAs: previous.map { directory.appendingPathComponent($0) })
        } catch {
            throw .cannotWrite(path: error.path, reason: error.reason)
        }
    }

    /// Takes the folder's lock (creating the folder), held until the lock is released:
    /// another process's run into this folder then refuses to start.
    public func lock() throws(RunFolderError) -> RunFolderLock { try RunFolderLock(url) }

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
            let context: DecodingError.Context? =
                switch error {
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
