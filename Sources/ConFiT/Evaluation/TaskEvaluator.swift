import ConFiTData
import ConFiTEngine
import ConFiTNN

/// A continually trained network seen as one of its tasks: the task's bank in every
/// BatchNorm and tracker, BN running means recovered through the current convolutions
/// when the bank is older than the weights (`ContinualMethod.recovers(task:after:)`),
/// eval mode, and logits restricted to the task's classes. Training evaluates through it,
/// and so do `confit eval` and `predict`, from a run or from an exported task file.
public final class TaskEvaluator {
    public let network: any Layer
    /// Every conv → BN pair with its tracker; empty for methods without task banks.
    public let pairs: [ConvolutionNormPair]
    /// The classifier of the frozen-feature methods (prototypes, random-projection ridge):
    /// when set, logits are the head's over the network's pooled features, and the
    /// network's own `Linear` is not used.
    public var head: (any FeatureHead)?
    /// Pooled features by dataset sample id, kept while the body is frozen for good (the
    /// frozen-feature methods set it): each image of the run's data then passes through the
    /// body once per run. nil: computed at every use. Only calls that say their batches are
    /// the dataset's (`keep`) read or fill it: predictions number their own images.
    public var frozenFeatures: [Int: [Float]]?
    /// Input buffers, allocated once per batch shape.
    private var inputs: [[Int]: Tensor] = [:]

    public init(network: any Layer, pairs: [ConvolutionNormPair]) {
        (self.network, self.pairs) = (network, pairs)
    }

    /// How many of a loader's images are classified right, within their task's classes
    /// (task-aware) and among every class seen so far (task-agnostic), of how many.
    public struct Tally: Sendable, Equatable {
        public var correct = 0, taskAgnosticCorrect = 0, total = 0
        public init() {}
    }

    /// Puts the network into a task's state: `bank` (nil: the shared BN of a method
    /// without banks) in every BN and tracker, then, with `recover`, each BN's running
    /// mean replaced by its tracker's recovered one; eval mode.
    public func select(_ bank: TaskBank?, recover: Bool) throws {
        if let bank {
            try bank.restore(into: pairs)
            if recover {
                for pair in pairs { try pair.normalization.runningMean.load(try pair.tracker.recoveredMean()) }
            }
        }
        network.eval()
    }

    /// The network's input for `batch`, in a buffer reused for every batch of its shape.
    public func input(for batch: Batch) throws -> Tensor {
        let input = inputs[batch.shape] ?? Tensor(shape: batch.shape)
        inputs[batch.shape] = input
        try input.load(batch.images)
        return input
    }

    /// One row of logits per image of `batch`, restricted to `classes` (in that order), in
    /// whatever state the network is; with `keep`, `batch` holds the dataset's images, whose
    /// kept features may be used.
    public func logits(for batch: Batch, classes: [Int], keep: Bool = false) throws -> [[Float]] {
        let logits: Tensor
        if let head {
            logits = try head.logits(features: try pooledFeatures(for: batch, keep: keep))
        } else if keep, frozenFeatures != nil, let classifier = network.classifier?.layer {
            logits = try classifier.forward(try pooledFeatures(for: batch, keep: true))
        } else {
            logits = try network.forward(try input(for: batch))
        }
        let width = logits.shape[1]
        return (0..<batch.count).map { row in classes.map { logits.pointer[row * width + $0] } }
    }

    /// The pooled features of `batch` (the classifier's input), in the network's state; with
    /// `keep` (the dataset's images), from `frozenFeatures` when it holds every image of the
    /// batch, and kept there otherwise.
    public func pooledFeatures(for batch: Batch, keep: Bool = false) throws -> Tensor {
        if keep, let cached = frozenFeatures.map({ rows in batch.sampleIDs.compactMap { rows[$0] } }),
            cached.count == batch.count,
            let width = cached.first?.count
        {
            return try Tensor(shape: [batch.count, width], values: cached.flatMap { $0 })
        }
        guard let extractor = network as? any FeatureExtractor else {
            throw ConFiTError.invalidConfiguration(
                "\(type(of: network)) does not expose the features its classifier reads")
        }
        let features = try extractor.features(try input(for: batch))
        if keep, frozenFeatures != nil {
            let width = features.shape[1]
            for (row, id) in batch.sampleIDs.enumerated() {
                frozenFeatures?[id] = Array(UnsafeBufferPointer(start: features.pointer + row * width, count: width))
            }
        }
        return features
    }

    /// Every image of `loader` once, in order, through the network in its current state:
    /// pooled features and labels mapped through `classes` to dataset class ids.
    public func features(of loader: BatchLoader, classes: [Int]) throws -> FeatureSet {
        var set = FeatureSet(dimension: 0)
        let stream = loader.epoch(0)
        while let batch = try stream.next() {
            guard batch.count > 0 else { continue }
            let features = try pooledFeatures(for: batch, keep: true)
            set.dimension = features.shape[1]
            set.values += UnsafeBufferPointer(start: features.pointer, count: batch.count * set.dimension)
            set.labels += batch.labels.map { classes[$0] }
        }
        return set
    }

    /// The fraction of `loader`'s images whose highest restricted logit is their label (an
    /// index into `classes`); 0 for an empty loader.
    public func accuracy(_ loader: BatchLoader, classes: [Int]) throws -> Double {
        let tally = try tally(loader, classes: classes)
        return tally.total > 0 ? Double(tally.correct) / Double(tally.total) : 0
    }

    /// Counts `loader`'s images classified right among `classes` (labels index into it)
    /// and, when `seen` is given, by the arg-max over the classes in `seen` (which holds
    /// `classes`): FACIL's task-aware and task-agnostic accuracies from one forward.
    public func tally(_ loader: BatchLoader, classes: [Int], seen: [Int] = []) throws -> Tally {
        let stream = loader.epoch(0)
        var tally = Tally()
        let columns = seen.isEmpty ? classes : seen
        let local = classes.map { id in columns.firstIndex(of: id) ?? -1 }
        while let batch = try stream.next() {
            for (scores, label) in zip(try logits(for: batch, classes: columns, keep: true), batch.labels) {
                if Self.argmax(local.map { scores[$0] }) == label { tally.correct += 1 }
                if Self.argmax(scores) == local[label] { tally.taskAgnosticCorrect += 1 }
            }
            tally.total += batch.count
        }
        return tally
    }

    /// The index of the first largest score; -1 for none.
    static func argmax(_ scores: [Float]) -> Int { scores.indices.max { scores[$0] < scores[$1] } ?? -1 }
}
