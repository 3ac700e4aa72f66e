import ConFiTEngine
import Foundation

/// Knowledge distillation as FACIL's LwF computes it (`src/approach/lwf.py`,
/// `cross_entropy`): the cross-entropy between the teacher's softened distribution
/// τ = softmax(teacher / T) and the student's q = smooth(softmax(logits / T)), where
/// smoothing adds ε/K to each of the K probabilities and renormalises, averaged over the
/// batch. Computed in double precision.
public enum DistillationLoss {
    /// `weight` × the loss over the columns `classes` of `logits` [N, width] against
    /// `teacher` (N rows of `classes.count` logits); adds weight × ∂loss/∂logits to those
    /// columns of `gradient` when given, leaving the others as they are.
    ///
    /// With p = softmax(z/T), s = ε/K and r_j = τ_j p_j / (p_j + s), the gradient is
    /// ∂/∂z_i = (p_i Σ_j r_j − r_i) / (T N); the renormalisation's own term vanishes
    /// because Σ p = 1 whatever z is.
    public static func loss(
        logits: Tensor, classes: [Int], teacher: [[Float]], temperature: Float, weight: Float = 1,
        smoothing epsilon: Double = 1e-5, addingTo gradient: Tensor? = nil
    ) throws -> Float {
        guard logits.shape.count == 2, logits.format == .plain else {
            throw EngineError.invalidArgument(
                operation: "distillation", reason: "logits must be plain [N, classes], got \(logits.shape)")
        }
        let (n, width, k) = (logits.shape[0], logits.shape[1], classes.count)
        guard teacher.count == n, teacher.allSatisfy({ $0.count == k }) else {
            throw EngineError.shapeMismatch(
                operation: "distillation teacher logits", expected: [n, k],
                found: [teacher.count, teacher.first?.count ?? 0])
        }
        guard k > 0, classes.allSatisfy({ (0..<width).contains($0) }), temperature > 0 else {
            throw EngineError.invalidArgument(
                operation: "distillation",
                reason: "classes \(classes) must be within 0..<\(width), temperature \(temperature) positive")
        }
        if let gradient, gradient.shape != logits.shape || gradient.format != .plain {
            throw EngineError.shapeMismatch(
                operation: "distillation gradient (plain)", expected: logits.shape, found: gradient.shape)
        }
        let t = Double(temperature), s = epsilon / Double(k)
        var total = 0.0
        for row in 0..<n {
            let z = logits.pointer + row * width
            let p = softmax(classes.map { Double(z[$0]) / t })
            let tau = softmax(teacher[row].map { Double($0) / t })
            let normaliser = log(p.reduce(0) { $0 + $1 + s })
            var r = [Double](repeating: 0, count: k)
            for j in 0..<k {
                total -= tau[j] * (log(p[j] + s) - normaliser)
                r[j] = tau[j] * p[j] / (p[j] + s)
            }
            guard let gradient else { continue }
            let sumR = r.reduce(0, +), scale = Double(weight) / (t * Double(n))
            let g = gradient.pointer + row * width
            for (j, c) in classes.enumerated() { g[c] += Float(scale * (p[j] * sumR - r[j])) }
        }
        return Float(Double(weight) * total / Double(n))
    }

    private static func softmax(_ x: [Double]) -> [Double] {
        let peak = x.max() ?? 0
        let e = x.map { exp($0 - peak) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }
}
