import ConFiTNN

/// How a `BatchLoader` orders, prepares and delivers images.
public struct LoaderOptions: Sendable {
    public var batchSize: Int
    /// Shuffle every epoch (training) or keep the given order (evaluation).
    public var shuffle: Bool
    /// Drop the last partial batch (training, as the protocol does).
    public var dropLast: Bool
    /// Seeds the per-epoch shuffles; see `BatchLoader.order(epoch:)`.
    public var seed: UInt64
    /// Background threads decoding batches; 0 decodes on the caller's thread.
    public var workers: Int
    /// Batches decoded ahead of the consumer, at most.
    public var prefetch: Int
    /// Leave out images that fail to decode (with a warning and a count) instead of failing.
    public var skipUnreadable: Bool
    public var transform: EvalTransform
    public var normalization: Normalization

    public init(
        batchSize: Int, shuffle: Bool, dropLast: Bool, seed: UInt64 = 0, workers: Int = 2, prefetch: Int = 4,
        skipUnreadable: Bool = false, transform: EvalTransform = .standard, normalization: Normalization = .imageNet
    ) {
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.workers = workers
        self.prefetch = prefetch
        self.skipUnreadable = skipUnreadable
        self.transform = transform
        self.normalization = normalization
    }

    /// The protocol's training loader: shuffled, last partial batch dropped.
    public static func training(batchSize: Int, seed: UInt64) -> LoaderOptions {
        LoaderOptions(batchSize: batchSize, shuffle: true, dropLast: true, seed: seed)
    }

    /// An evaluation loader: dataset order, every image.
    public static func evaluation(batchSize: Int) -> LoaderOptions {
        LoaderOptions(batchSize: batchSize, shuffle: false, dropLast: false)
    }
}
