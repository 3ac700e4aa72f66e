import Foundation

/// What a run folder holds, read straight from the files (`metrics.json`,
/// `checkpoint.safetensors`) rather than through the confit modules, so the comparison
/// does not trust the code it checks.
struct RunOutputs {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// `accuracy_matrix`: row t lists a(t, 0…t).
    let accuracyMatrix: [[Double]]
    /// Each trained epoch's `[task, epoch, mean_loss]`, in order.
    let epochLosses: [[Double]]
    /// The checkpoint's tensors by name, as raw little-endian bytes.
    let checkpointTensors: [String: Data]
    let folder: URL

    init(_ folder: URL) throws {
        self.folder = folder
        let metricsURL = folder.appendingPathComponent("metrics.json")
        guard let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: metricsURL)) as? [String: Any],
            let matrix = metrics["accuracy_matrix"] as? [[Double]], let epochs = metrics["epochs"] as? [[String: Any]]
        else {
            throw Malformed(description: "\(metricsURL.path) has no accuracy_matrix or epochs")
        }
        accuracyMatrix = matrix
        epochLosses = try epochs.map { record in
            guard let task = record["task"] as? Double, let epoch = record["epoch"] as? Double,
                let loss = record["mean_loss"] as? Double
            else {
                throw Malformed(
                    description: "\(metricsURL.path): epoch record \(record) lacks task, epoch or mean_loss")
            }
            return [task, epoch, loss]
        }
        checkpointTensors = try Self.checkpoint(in: folder).tensors
    }

    /// The tensors and metadata of the folder's `checkpoint.safetensors`.
    static func checkpoint(in folder: URL) throws -> (tensors: [String: Data], metadata: [String: String]) {
        try safetensors(at: folder.appendingPathComponent("checkpoint.safetensors"))
    }

    /// The tensors and metadata of a safetensors file. The layout: an 8-byte little-endian
    /// header length, a JSON header giving each tensor's byte range in the data that
    /// follows, and `__metadata__`.
    static func safetensors(at url: URL) throws -> (tensors: [String: Data], metadata: [String: String]) {
        let bytes = try Data(contentsOf: url)
        guard bytes.count >= 8 else { throw Malformed(description: "\(url.path) is shorter than a safetensors header") }
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard headerLength <= bytes.count - 8,
            var header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength)))
                as? [String: Any]
        else {
            throw Malformed(description: "\(url.path) has no JSON header")
        }
        let metadata = header.removeValue(forKey: "__metadata__") as? [String: String] ?? [:]
        let dataStart = 8 + headerLength
        var tensors: [String: Data] = [:]
        for (name, entry) in header {
            guard let offsets = (entry as? [String: Any])?["data_offsets"] as? [Int], offsets.count == 2,
                0 <= offsets[0], offsets[0] <= offsets[1], dataStart + offsets[1] <= bytes.count
            else {
                throw Malformed(description: "\(url.path): tensor \(name) has no valid data_offsets")
            }
            tensors[name] = bytes.subdata(in: (dataStart + offsets[0])..<(dataStart + offsets[1]))
        }
        return (tensors, metadata)
    }
}
