import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// Elastic Weight Consolidation (Kirkpatrick et al. 2017) as FACIL implements it
/// (`src/approach/ewc.py`): after each task the diagonal Fisher F of the backbone's
/// parameters over the task's training images (`FisherDiagonal`) is merged into the one
/// kept, F ← α·F + (1 − α)·F_task (starting from zero), and the weights θ* are saved; while
/// training every later task the loss gains λ/2 · Σ F·(θ − θ*)². Fine-tuning's schedule,
/// one shared BN; the classifier is not regularised.
///
/// The Fisher pass draws the task's training batches in the order of one more epoch (the
/// trainer's shuffle for epoch E), so it is as reproducible as training.
public final class EWCStrategy: ContinualStrategy {
    public struct Options: Sendable, Hashable {
        /// λ, the penalty's weight (FACIL's `--lamb`, default 5000).
        public var lambda: Float = 5000
        /// α, the weight of the Fisher of earlier tasks when merging (FACIL's `--alpha`, 0.5).
        public var alpha: Float = 0.5
        public init(lambda: Float = 5000, alpha: Float = 0.5) { (self.lambda, self.alpha) = (lambda, alpha) }

        /// Refuses a negative or non-finite λ and an α outside 0...1.
        public func validate() throws {
            guard lambda >= 0, lambda.isFinite else {
                throw ConFiTError.invalidConfiguration("EWC's λ must be finite and ≥ 0, not \(lambda)")
            }
            guard (0...1).contains(alpha) else {
                throw ConFiTError.invalidConfiguration("EWC's α must be within 0...1, not \(alpha)")
            }
        }
    }

    public let name = "ewc"

    public func validate(network: any Layer, classes: Int) throws { try options.validate() }
    public let options: Options
    /// F and θ* per backbone parameter name; empty before the first task ends.
    private var fisher: [String: [Float]] = [:], anchor: [String: [Float]] = [:]

    public init(_ options: Options = Options()) { self.options = options }

    /// Every parameter but the classifier's: what FACIL calls the model, without heads.
    private func backbone(_ context: StrategyContext) -> [(String, Parameter)] {
        let head = context.classifier.ownParameters.map { ObjectIdentifier($0.1) }
        return context.network.namedParameters().filter { !head.contains(ObjectIdentifier($0.1)) }
    }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        let parameters = backbone(context)
        anchor = try Dictionary(uniqueKeysWithValues: parameters.map { ($0.0, try $0.1.value.toArray()) })
        let stream = try context.trainingImages(task, true).epoch(context.configuration.epochs)
        let current = try FisherDiagonal(network: context.network, parameters: parameters, classes: task.classes) {
            try stream.next().map { try context.evaluator.input(for: $0) }
        }
        let alpha = options.alpha
        for (name, values) in current.values {
            let old = fisher[name] ?? [Float](repeating: 0, count: values.count)
            fisher[name] = zip(old, values).map { alpha * $0 + (1 - alpha) * $1 }
        }
    }

    /// Adds λ·F·(θ − θ*) to every trainable backbone parameter's gradient; returns the penalty.
    public func finishGradients(task: Scenario.Task, _ context: StrategyContext) throws -> Float {
        guard task.id > 0 else { return 0 }
        let lambda = options.lambda
        var penalty = 0.0
        for (name, p) in backbone(context) where p.trainable {
            guard let f = fisher[name], let a = anchor[name], f.count == p.value.count, a.count == f.count else {
                throw ConFiTError.bankMismatch(
                    key: "ewc.fisher." + name, reason: "missing, or not of \(p.value.count) values")
            }
            let (w, g) = (p.value.pointer, p.gradient.pointer)
            // Buffer pointers: no bounds check per element on a pass over every backbone weight per step.
            penalty += f.withUnsafeBufferPointer { f in
                a.withUnsafeBufferPointer { a in
                    var sum: Float = 0
                    for i in 0..<f.count {
                        let d = w[i] - a[i]
                        g[i] += lambda * f[i] * d
                        sum += f[i] * d * d
                    }
                    return Double(sum)
                }
            }
        }
        return Float(Double(lambda) / 2 * penalty)
    }

    public var carriedBytes: Int {
        (fisher.values.reduce(0) { $0 + $1.count } + anchor.values.reduce(0) { $0 + $1.count }) * 4
    }

    public func state() throws -> [(String, HostTensor)] {
        fisher.keys.sorted().flatMap { name in
            [
                ("ewc.fisher." + name, HostTensor(shape: [fisher[name]!.count], floats: fisher[name]!)),
                ("ewc.anchor." + name, HostTensor(shape: [anchor[name]?.count ?? 0], floats: anchor[name] ?? [])),
            ]
        }
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        fisher = Dictionary(tensors.under("ewc.fisher.").map { ($0.0, $0.1.floats()) }, uniquingKeysWith: { a, _ in a })
        anchor = Dictionary(tensors.under("ewc.anchor.").map { ($0.0, $0.1.floats()) }, uniquingKeysWith: { a, _ in a })
    }
}
