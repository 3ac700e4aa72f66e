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
    /// Input buffers, allocated once per batch shape.
    private var inputs: [[Int]: Tensor] = [:]

    public init(network: any Layer, pairs: [ConvolutionNormPair]) {
        (self.network, self.pairs) = (network, pairs)
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
    /// whatever state the network is.
    public func logits(for batch: Batch, classes: [Int]) throws -> [[Float]] {
        let logits = try network.forward(try input(for: batch))
        let width = logits.shape[1]
        return (0..<batch.count).map { row in classes.map { logits.pointer[row * width + $0] } }
    }

    /// The fraction of `loader`'s images whose highest restricted logit is their label (an
    /// index into `classes`); 0 for an empty loader.
    public func accuracy(_ loader: BatchLoader, classes: [Int]) throws -> Double {
        let (correct, total) = try correctCount(loader, classes: classes)
        return total > 0 ? Double(correct) / Double(total) : 0
    }

    /// How many of `loader`'s images are classified right, of how many.
    public func correctCount(_ loader: BatchLoader, classes: [Int]) throws -> (correct: Int, total: Int) {
        let stream = loader.epoch(0)
        var (correct, total) = (0, 0)
        while let batch = try stream.next() {
            for (scores, label) in zip(try logits(for: batch, classes: classes), batch.labels) {
                let predicted = scores.indices.max { scores[$0] < scores[$1] } ?? -1
                if predicted == label { correct += 1 }
            }
            total += batch.count
        }
        return (correct, total)
    }
}
