import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// Piggyback (Mallya, Davis & Lazebnik 2018) as its official code does it
/// (arunmallya/piggyback, `src/modnets/layers.py`): the pre-trained convolution weights W
/// never change; per task, a real-valued mask m per weight (initialised to `maskScale`) is
/// thresholded into a binary one, b = [m > threshold], and every convolution uses W ⊙ b.
/// The gradient reaches m straight through the threshold: ∂L/∂m = ∂L/∂(W ⊙ b) ⊙ W. The
/// masks and the classifier train with Adam; BN stays frozen unless trained per task.
/// Stored per task: b, 1 bit per weight. Later tasks cannot change an earlier task's
/// network, so its accuracy never moves.
public final class PiggybackStrategy: ContinualStrategy {
    public struct Options: Sendable, Hashable {
        /// Adam's learning rate for the masks and the classifier (the official 1e-4).
        public var learningRate: Float = 1e-4
        /// The real-valued masks' initial value (`mask_scale`, 1e-2).
        public var maskScale: Float = 1e-2
        /// b = [m > threshold] (`DEFAULT_THRESHOLD`, 5e-3).
        public var threshold: Float = 5e-3
        /// Trains BN per task (banks) instead of keeping the pre-trained BN frozen.
        public var trainsNormalization = false
        public init(
            learningRate: Float = 1e-4, maskScale: Float = 1e-2, threshold: Float = 5e-3,
            trainsNormalization: Bool = false
        ) {
            (self.learningRate, self.maskScale, self.threshold) = (learningRate, maskScale, threshold)
            self.trainsNormalization = trainsNormalization
        }

        /// Refuses a learning rate, mask scale or threshold that is not positive and finite.
        public func validate() throws {
            for (name, value) in [("learning rate", learningRate), ("mask scale", maskScale), ("threshold", threshold)]
            where !(value > 0 && value.isFinite) {
                throw ConFiTError.invalidConfiguration("Piggyback's \(name) must be positive and finite, not \(value)")
            }
        }
    }

    public let name = "piggyback"

    public func validate(network: any Layer, classes: Int) throws { try options.validate() }
    public let options: Options
    /// Per finished task, each convolution's binary mask, packed (`BinaryMask.bytes`), by its
    /// weight's state-dict name.
    public private(set) var masks: [[String: [UInt8]]] = []
    /// The task being trained's real-valued masks; empty between tasks.
    private var real: [String: Parameter] = [:]
    private let normalization: TaskNormalization

    public init(_ options: Options = Options()) {
        self.options = options
        normalization = TaskNormalization(trains: options.trainsNormalization, prefix: "piggyback.bn.")
    }

    public func taskStarting(_ task: Scenario.Task, _ context: StrategyContext) throws {
        real = [:]
        for (name, conv) in context.network.namedConvolutions() {
            let m = Parameter(shape: conv.weight.value.shape)
            for i in 0..<m.value.count { m.value.pointer[i] = options.maskScale }
            real[name] = m
        }
    }

    /// Adam over the real-valued masks and the classifier (and BN when it trains); the
    /// convolutions' masks are set from the real-valued ones, for a resumed task too.
    public func makeOptimizer(
        task: Scenario.Task, _ context: StrategyContext
    ) throws -> (any Optimizer, names: [(String, Parameter)]) {
        try applyMasks(context)
        let trained = Set(
            (context.classifier.ownParameters.map(\.1) + (normalization.trains ? normalizationParameters(context) : []))
                .map(ObjectIdentifier.init))
        let names =
            real.keys.sorted().map { ("piggyback.real." + $0, real[$0]!) }
            + context.network.namedParameters().filter { trained.contains(ObjectIdentifier($0.1)) }
        return (Adam(parameters: names.map(\.1), learningRate: options.learningRate), names)
    }

    private func normalizationParameters(_ context: StrategyContext) -> [Parameter] {
        context.network.namedLayers().flatMap { ($0.1 as? BatchNorm2d).map { [$0.weight, $0.bias] } ?? [] }
    }

    /// Every parameter computes its gradient (the convolutions' is ∂L/∂(W ⊙ b)); only the
    /// optimizer's move.
    public func epochStarting(_ epoch: Int, of epochs: Int, _ context: StrategyContext) -> TrainableSelection {
        context.network.setTrainable(.all)
        normalization.prepare(context.network)
        return .all
    }

    /// ∂L/∂m = ∂L/∂(W ⊙ b) ⊙ W, the straight-through estimator.
    public func finishGradients(task: Scenario.Task, _ context: StrategyContext) throws -> Float {
        for (name, conv) in context.network.namedConvolutions() {
            guard let m = real[name] else {
                throw ConFiTError.bankMismatch(key: "piggyback.real." + name, reason: "missing")
            }
            let (g, w, out) = (conv.weight.gradient.pointer, conv.weight.value.pointer, m.gradient.pointer)
            for i in 0..<m.value.count { out[i] = g[i] * w[i] }
        }
        return 0
    }

    public func stepFinished(task: Scenario.Task, _ context: StrategyContext) throws { try applyMasks(context) }

    /// b = [m > threshold] into every convolution's mask. A mask is set again — and the
    /// convolution's kernels reload W ⊙ b — only when a bit flipped: after most steps few
    /// layers change, and the pre-trained W never does.
    private func applyMasks(_ context: StrategyContext) throws {
        for (name, conv) in context.network.namedConvolutions() {
            guard let m = real[name] else {
                throw ConFiTError.bankMismatch(key: "piggyback.real." + name, reason: "missing")
            }
            let existing = conv.weightMask.flatMap { $0.shape == conv.weight.value.shape ? $0 : nil }
            let mask = existing ?? Tensor(shape: conv.weight.value.shape)
            let (source, target, threshold) = (m.value.pointer, mask.pointer, options.threshold)
            var flipped = existing == nil
            for i in 0..<mask.count {
                let bit: Float = source[i] > threshold ? 1 : 0
                if target[i] != bit { (target[i], flipped) = (bit, true) }
            }
            if flipped { conv.weightMask = mask }
        }
    }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        masks.append(
            real.mapValues { m in
                let threshold = options.threshold
                return BinaryMask(count: m.value.count) { m.value.pointer[$0] > threshold }.bytes
            })
        real = [:]
        try normalization.taskFinished(context.network)
    }

    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        guard masks.indices.contains(i) else {
            throw ConFiTError.bankMismatch(key: "piggyback.mask.\(i)", reason: "only \(masks.count) tasks have masks")
        }
        try BinaryMask.apply(masks[i], to: context.network, naming: "piggyback.mask.\(i).")
        try normalization.select(task: i, context.network)
        try context.evaluator.select(nil, recover: false)
    }

    /// Task i's binary masks and its BN bank, as stored.
    public func exportTask(
        _ i: Int, after last: Int
    ) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? {
        guard masks.indices.contains(i) else {
            throw ConFiTError.bankMismatch(
                key: "piggyback.mask.\(i)", reason: "the checkpoint holds no masks for this task")
        }
        return (
            BinaryMask.exportedTask(masks: masks[i], bank: normalization.trains ? normalization.banks[i] : nil), [:]
        )
    }

    public var hasSharedHead: Bool { false }

    public func importTask(
        _ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator
    ) throws {
        try BinaryMask.importTask(tensors, into: evaluator.network)
    }

    public func storedBytes(task t: Int) -> Int {
        (masks.indices.contains(t) ? masks[t].values.reduce(0) { $0 + $1.count } : 0) + normalization.bytes(task: t)
    }

    /// Task t's packed masks under `piggyback.mask.<t>.` (U8), the training task's
    /// real-valued masks under `piggyback.real.`, BN banks under `piggyback.bn.<t>.`.
    public func state() throws -> [(String, HostTensor)] {
        var tensors: [(String, HostTensor)] = []
        for (t, task) in masks.enumerated() {
            for name in task.keys.sorted() {
                tensors.append(
                    (
                        "piggyback.mask.\(t).\(name)",
                        HostTensor(shape: [task[name]!.count], dtype: .uint8, bytes: task[name]!)
                    ))
            }
        }
        for name in real.keys.sorted() {
            tensors.append(
                (
                    "piggyback.real." + name,
                    HostTensor(shape: real[name]!.value.shape, floats: try real[name]!.value.toArray())
                ))
        }
        return tensors + normalization.state
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        masks = []
        while case let task = tensors.under("piggyback.mask.\(masks.count)."), !task.isEmpty {
            masks.append(Dictionary(uniqueKeysWithValues: task.map { ($0.0, $0.1.bytes) }))
        }
        real = Dictionary(
            uniqueKeysWithValues: try tensors.under("piggyback.real.").map { name, tensor in
                (name, Parameter(try Tensor(shape: tensor.shape, values: tensor.floats())))
            })
        normalization.restore(from: tensors)
    }
}
