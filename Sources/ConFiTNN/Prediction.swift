import ConFiTEngine
import Foundation

/// One class of a ranked prediction: its index in the classifier's output and its softmax
/// probability over all of the classifier's classes.
public struct Prediction: Sendable, Equatable {
    public var classIndex: Int
    public var probability: Float

    public init(classIndex: Int, probability: Float) {
        (self.classIndex, self.probability) = (classIndex, probability)
    }

    /// For each row of plain `logits` [N, C], the `k` most probable classes, most probable
    /// first (ties by lower index). The softmax is computed in Double after subtracting
    /// the row's maximum, so large logits neither overflow nor lose the small classes.
    public static func top(_ k: Int, of logits: Tensor) throws -> [[Prediction]] {
        guard logits.shape.count == 2, logits.format == .plain else {
            throw EngineError.invalidArgument(
                operation: "top-k predictions", reason: "logits must be plain [N, classes], got \(logits.shape)")
        }
        let (n, width) = (logits.shape[0], logits.shape[1])
        return (0..<n).map { row in
            let values = UnsafeBufferPointer(start: logits.pointer + row * width, count: width).map(Double.init)
            let peak = values.max() ?? 0
            let exponentials = values.map { exp($0 - peak) }
            let sum = exponentials.reduce(0, +)
            let ranked = exponentials.indices.sorted {
                exponentials[$0] > exponentials[$1] || (exponentials[$0] == exponentials[$1] && $0 < $1)
            }
            return ranked.prefix(k).map { Prediction(classIndex: $0, probability: Float(exponentials[$0] / sum)) }
        }
    }
}
