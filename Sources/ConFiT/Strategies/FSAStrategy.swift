import ConFiTData
import ConFiTIO
import ConFiTNN

/// First Session Adaptation (Panos et al., ICCV 2023; official `aresPanos/fsa`): task 0
/// fine-tunes the whole body as `finetune` does; from then on the body is frozen in eval
/// mode, and the classifier is an LDA head over its pooled features (`LinearDiscriminant`),
/// updated exactly after each task and written into the network's `Linear` — LDA's logits
/// are linear in the feature — so evaluation, export and prediction use it as they are.
public final class FSAStrategy: ContinualStrategy {
    public let name = "fsa"
    public private(set) var discriminant: LinearDiscriminant?
    private var taskClasses: [[Int]] = []

    public init() {}

    public func validate(network: any Layer, classes: Int) throws { try FrozenFeatures.validate(network, method: name) }

    /// Task 0 trains every configured epoch; later tasks only fit the head.
    public func epochs(for task: Scenario.Task, configured: Int) -> Int { task.id == 0 ? configured : 0 }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        let features = try FrozenFeatures.training(task, context)
        var discriminant =
            discriminant ?? LinearDiscriminant(dimension: features.dimension, classes: context.classifier.outFeatures)
        discriminant.accumulate(features)
        let seen = (taskClasses + [task.classes]).flatMap { $0 }
        let (weights, bias) = try discriminant.head(for: seen)
        let (w, b, width) = (
            context.classifier.weight.value.pointer, context.classifier.bias.value.pointer, features.dimension
        )
        for (row, c) in seen.enumerated() {
            (w + c * width).update(from: Array(weights[(row * width)..<((row + 1) * width)]), count: width)
            b[c] = bias[row]
        }
        (self.discriminant, taskClasses) = (discriminant, taskClasses + [task.classes])
    }

    /// Task t's rows of the LDA head (weights and bias, float32): what using it needs.
    public func storedBytes(task t: Int) -> Int {
        taskClasses.indices.contains(t)
            ? taskClasses[t].count * ((discriminant?.dimension ?? 0) + 1) * MemoryLayout<Float>.size : 0
    }

    /// The LDA sums: the scatter matrix Σ f fᵀ (float64, features²), Σ f and each class's Σ f.
    public var carriedBytes: Int { discriminant?.byteCount ?? 0 }

    /// Nothing beyond the classifier rows `TaskFile` takes from the checkpoint's network.
    public func exportTask(
        _ i: Int, after last: Int
    ) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? {
        guard taskClasses.indices.contains(i) else {
            throw ConFiTError.bankMismatch(key: "fsa", reason: "the checkpoint holds no LDA head for task \(i)")
        }
        return ([], ["head": "lda"])
    }

    /// The shared network with the LDA rows; after task 0 its body is frozen for good.
    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        try context.evaluator.select(nil, recover: false)
        if discriminant != nil { FrozenFeatures.keep(context) }
    }

    public func importTask(
        _ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator
    ) throws {
        evaluator.network.eval()
    }

    public func state() throws -> [(String, HostTensor)] {
        guard let discriminant else { return [] }
        let d = discriminant.dimension
        return [
            (
                "fsa.counts",
                HostTensor(
                    shape: [discriminant.classCounts.count + 1], int64s: [discriminant.count] + discriminant.classCounts
                )
            ),
            ("fsa.sum", HostTensor(shape: [d], doubles: discriminant.sum)),
            ("fsa.scatter", HostTensor(shape: [d, d], doubles: discriminant.scatter)),
            (
                "fsa.class_sums",
                HostTensor(shape: [discriminant.classCounts.count, d], doubles: discriminant.classSums)
            ),
        ] + TaskClasses.state(taskClasses, prefix: "fsa.")
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        let state = Dictionary(tensors.under("fsa."), uniquingKeysWith: { $1 })
        guard let counts = state["counts"] else { return }
        guard let sum = state["sum"], let scatter = state["scatter"], let classSums = state["class_sums"] else {
            throw ConFiTError.bankMismatch(key: "fsa", reason: "the checkpoint's LDA state is incomplete")
        }
        let restored = try LinearDiscriminant(
            dimension: sum.count, counts: counts.ints(), sum: sum.doubles(), scatter: scatter.doubles(),
            classSums: classSums.doubles())
        (discriminant, taskClasses) = (restored, try TaskClasses.read(state, owner: "fsa"))
    }
}
