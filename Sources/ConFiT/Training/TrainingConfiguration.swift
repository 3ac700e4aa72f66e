import ConFiTData

/// The protocol values of a continual fine-tuning run (the official code's defaults: SGD lr 0.01, no
/// momentum or weight decay, a fresh optimizer per task, last partial batch dropped).
public struct TrainingConfiguration: Sendable, Codable, Hashable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var momentum: Float = 0
    public var weightDecay: Float = 0
    /// Seeds the per-task shuffles (task t uses seed + t).
    public var seed: UInt64
    public var evaluationBatchSize: Int = 64
    /// Resize of the short side and centre crop (the eval transform, used for training too).
    public var resizeShortSide: Int = 256
    public var imageSize: Int = 224
    /// Decoded, resized images kept in memory across epochs, in bytes.
    public var cacheBytes: Int = 4 << 30
    /// Background decoding threads.
    public var loaderWorkers: Int = 1
    /// Leave out images that fail to decode (each reported, and counted) instead of stopping.
    public var skipUnreadable = false
    /// Use only the first N training / test images of each class (nil: all), for quick runs.
    public var trainImagesPerClass: Int?, testImagesPerClass: Int?
    /// Train only the first tasks of the scenario (nil: all).
    public var taskLimit: Int?
    /// The classifier the bank methods evaluate with; nil: the trained `Linear`. Recorded
    /// only when given, so configurations from before it existed read back unchanged.
    public var head: Head?
    /// With bank and mask methods, also the task-agnostic accuracy by task inference after
    /// every task (one forward per seen task and image); nil: not measured.
    public var taskAgnostic: Bool?

    /// What classifies a task's images for the bank methods.
    public enum Head: String, Sendable, Codable, Hashable, CaseIterable {
        /// The network's classifier, trained with the task.
        case linear
        /// Cosine similarity to class-mean features computed under the task's bank after its
        /// training (SimpleCIL's head on ConFiT's features).
        case prototypes
    }

    public init(epochs: Int, batchSize: Int, learningRate: Float = 0.01, seed: UInt64 = 0) {
        (self.epochs, self.batchSize, self.learningRate, self.seed) = (epochs, batchSize, learningRate, seed)
    }

    public var transform: EvalTransform { EvalTransform(resizeShortSide: resizeShortSide, cropSize: imageSize) }
}
