import ConFiTData
import ConFiTEngine

/// The pooled features of a task's training images, by sample id, for a body frozen in
/// eval mode: computed by the first batch that holds an image, reused by every later epoch
/// (the same values the whole network's forward would compute again).
struct FeatureCache {
    private var rows: [Int: [Float]] = [:]

    /// The features [batch.count, D] of `batch`: from the cache when it holds every image,
    /// else through the network (and then kept).
    mutating func features(for batch: Batch, _ evaluator: TaskEvaluator) throws -> Tensor {
        let cached = batch.sampleIDs.compactMap { rows[$0] }
        if cached.count == batch.count, let width = cached.first?.count {
            return try Tensor(shape: [batch.count, width], values: cached.flatMap { $0 })
        }
        let features = try evaluator.pooledFeatures(for: batch)
        let width = features.shape[1]
        for (row, id) in batch.sampleIDs.enumerated() {
            rows[id] = Array(UnsafeBufferPointer(start: features.pointer + row * width, count: width))
        }
        return features
    }
}
