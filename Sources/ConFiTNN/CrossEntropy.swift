import ConFiTEngine
import Foundation

/// Softmax cross-entropy restricted to a subset of logit columns, as task-incremental
/// learning uses it: the loss of `logits[:, classes]` against each sample's label, given
/// as an index into `classes`, averaged over the batch (PyTorch's `F.cross_entropy`).
public enum CrossEntropy {
    /// Returns the mean loss and, when `gradient` is given, overwrites it with
    /// ∂loss/∂logits (zero outside `classes`).
    public static func loss(logits: Tensor, classes: [Int], labels: [Int], gradient: Tensor? = nil) throws -> Float {
        guard logits.shape.count == 2, logits.format == .plain else {
            throw EngineError.invalidArgument(
                operation: "cross entropy", reason: "logits must be plain [N, classes], got \(logits.shape)")
        }
        let (n, width) = (logits.shape[0], logits.shape[1])
        guard labels.count == n else {
            throw EngineError.shapeMismatch(operation: "cross entropy labels", expected: [n], found: [labels.count])
        }
        guard !classes.isEmpty, classes.allSatisfy({ (0..<width).contains($0) }) else {
            throw EngineError.invalidArgument(
                operation: "cross entropy", reason: "classes \(classes) must be non-empty and within 0..<\(width)")
        }
        if let bad = labels.first(where: { !(0..<classes.count).contains($0) }) {
            throw EngineError.invalidArgument(
                operation: "cross entropy", reason: "label \(bad) is outside the task's \(classes.count) classes")
        }
        if let gradient {
            guard gradient.shape == logits.shape, gradient.format == .plain else {
                throw EngineError.shapeMismatch(
                    operation: "cross entropy gradient (plain)", expected: logits.shape, found: gradient.shape)
            }
            gradient.zero()
        }
        var total = 0.0
        var probabilities = [Double](repeating: 0, count: classes.count)
        for row in 0..<n {
            let base = logits.pointer + row * width
            let peak = classes.map { Double(base[$0]) }.max()!
            var sum = 0.0
            for (j, c) in classes.enumerated() {
                probabilities[j] = exp(Double(base[c]) - peak)
                sum += probabilities[j]
            }
            total -= Double(base[classes[labels[row]]]) - peak - log(sum)
            guard let gradient else { continue }
            let g = gradient.pointer + row * width
            for (j, c) in classes.enumerated() {
                g[c] = Float((probabilities[j] / sum - (j == labels[row] ? 1 : 0)) / Double(n))
            }
        }
        return Float(total / Double(n))
    }
}
