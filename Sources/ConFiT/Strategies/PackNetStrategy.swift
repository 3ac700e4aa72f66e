import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// PackNet (Mallya & Lazebnik 2018) as its official code does it (arunmallya/packnet,
/// `src/prune.py`): every convolution weight belongs to at most one task. Task t trains only
/// the free weights (the others' gradients are cleared), then prunes `prune` of them per
/// layer by magnitude — the k = round(prune · n) smallest |w| and any tie with the k-th —
/// setting them to zero and freeing them for later tasks, and retrains the kept ones for the
/// last `retrainEpochs` of its epochs. Task i is evaluated with the weights of tasks ≤ i
/// (a mask on each convolution; the others read as zero), so later tasks cannot change it.
///
/// The pre-trained weights start free, so task 0 fine-tunes all of them (the official
/// sequence first prunes ImageNet's own model by half and retrains it on ImageNet, which
/// needs ImageNet). Freed weights are zero when the next task starts, as officially.
public final class PackNetStrategy: ContinualStrategy {
    public struct Options: Sendable, Hashable {
        /// The fraction of a task's weights pruned per layer (the official sequence: 0.75).
        public var prune: Double = 0.75
        /// The epochs after pruning, out of the task's budget; nil: a third, rounded up
        /// (⌈E / 3⌉: 2 of 5; the official sequence trains 20 and retrains 10). With 0,
        /// pruning ends the task.
        public var retrainEpochs: Int?
        /// Trains BN per task (banks) instead of keeping the pre-trained BN frozen.
        public var trainsNormalization = false
        public init(prune: Double = 0.75, retrainEpochs: Int? = nil, trainsNormalization: Bool = false) {
            (self.prune, self.retrainEpochs, self.trainsNormalization) = (prune, retrainEpochs, trainsNormalization)
        }

        /// The retraining epochs of a task of `epochs`.
        public func retraining(of epochs: Int) -> Int { retrainEpochs ?? (epochs + 2) / 3 }

        /// Refuses a pruned fraction outside (0, 1) and negative retraining epochs.
        public func validate() throws {
            guard prune > 0, prune < 1 else {
                throw ConFiTError.invalidConfiguration("PackNet's pruned fraction must be within (0, 1), not \(prune)")
            }
            if let retrainEpochs, retrainEpochs < 0 {
                throw ConFiTError.invalidConfiguration("PackNet's retraining epochs must be ≥ 0, not \(retrainEpochs)")
            }
        }
    }

    public let name = "packnet"

    public func validate(network: any Layer, classes: Int) throws { try options.validate() }
    public let options: Options
    /// Per convolution weight (state-dict name), each weight's owner: task id + 1, 0 = free.
    public private(set) var owners: [String: [UInt8]] = [:]
    /// The task being trained, and whether it has pruned yet.
    private var current = (task: -1, pruned: false)
    private let normalization: TaskNormalization

    public init(_ options: Options = Options()) {
        self.options = options
        normalization = TaskNormalization(trains: options.trainsNormalization, prefix: "packnet.bn.")
    }

    public func taskStarting(_ task: Scenario.Task, _ context: StrategyContext) throws {
        guard task.id < 255 else {
            throw ConFiTError.invalidConfiguration("packnet keeps at most 255 tasks (one byte per weight)")
        }
        let (epochs, retrain) = (context.configuration.epochs, options.retraining(of: context.configuration.epochs))
        guard retrain >= 0 && retrain < epochs else {
            throw ConFiTError.invalidConfiguration(
                "--packnet-retrain-epochs \(retrain): a task trains \(epochs) epochs, "
                    + "and at least one must come before pruning")
        }
        let own = UInt8(task.id + 1)
        for (name, conv) in context.network.namedConvolutions() {
            var owner = owners[name] ?? [UInt8](repeating: 0, count: conv.weight.value.count)
            for i in owner.indices where owner[i] == 0 { owner[i] = own }
            owners[name] = owner
        }
        current = (task.id, false)
    }

    public func epochStarting(_ epoch: Int, of epochs: Int, _ context: StrategyContext) -> TrainableSelection {
        context.network.setTrainable(.all)
        normalization.prepare(context.network)
        if epoch == epochs - options.retraining(of: epochs) && !current.pruned { prune(context) }
        return .all
    }

    /// Prunes the current task's weights in every convolution (`make_pruned_zero` included).
    func prune(_ context: StrategyContext) {
        let own = UInt8(current.task + 1)
        for (name, conv) in context.network.namedConvolutions() {
            guard var owner = owners[name] else { continue }
            let w = conv.weight.value.pointer
            let mine = owner.indices.filter { owner[$0] == own }
            let k = Int((options.prune * Double(mine.count)).rounded(.toNearestOrEven))
            guard k > 0 else { continue }
            let cutoff = mine.map { abs(w[$0]) }.sorted()[k - 1]
            for i in mine where abs(w[i]) <= cutoff {
                owner[i] = 0
                w[i] = 0
            }
            owners[name] = owner
            conv.weight.markChanged()
        }
        current.pruned = true
    }

    /// Clears the gradient of every weight the task does not own (`make_grads_zero`).
    public func finishGradients(task: Scenario.Task, _ context: StrategyContext) throws -> Float {
        let own = UInt8(task.id + 1)
        for (name, conv) in context.network.namedConvolutions() where conv.weight.trainable {
            guard let owner = owners[name] else {
                throw ConFiTError.bankMismatch(key: "packnet.owner." + name, reason: "missing")
            }
            let g = conv.weight.gradient.pointer
            owner.withUnsafeBufferPointer { owner in
                for i in owner.indices where owner[i] != own { g[i] = 0 }
            }
        }
        return 0
    }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        if !current.pruned { prune(context) }
        try normalization.taskFinished(context.network)
    }

    /// Task i's weights: a mask keeping those of tasks ≤ i, none after training task i
    /// itself (the weights of later tasks do not exist yet, and freed ones are zero).
    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        for (name, conv) in context.network.namedConvolutions() {
            guard i != t else {
                conv.weightMask = nil
                continue
            }
            guard let owner = owners[name], owner.count == conv.weight.value.count else {
                throw ConFiTError.bankMismatch(
                    key: "packnet.owner." + name, reason: "missing, or not of \(conv.weight.value.count) values")
            }
            conv.weightMask = try Self.mask(owner, upTo: i, shape: conv.weight.value.shape)
        }
        try normalization.select(task: i, context.network)
        try context.evaluator.select(nil, recover: false)
    }

    /// 1 where the owner is task ≤ i, else 0.
    static func mask(_ owner: [UInt8], upTo i: Int, shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, values: owner.map { $0 != 0 && Int($0) <= i + 1 ? 1 : 0 })
    }

    /// Task i's mask (the weights of tasks ≤ i) per convolution, 1 bit per weight, and its BN bank.
    public func exportTask(
        _ i: Int, after last: Int
    ) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? {
        guard (0...last).contains(i), !owners.isEmpty else {
            throw ConFiTError.bankMismatch(key: "packnet.owner", reason: "the checkpoint has not finished task \(i)")
        }
        let masks = owners.mapValues { owner in
            BinaryMask(count: owner.count) { owner[$0] != 0 && Int(owner[$0]) <= i + 1 }.bytes
        }
        return (BinaryMask.exportedTask(masks: masks, bank: normalization.trains ? normalization.banks[i] : nil), [:])
    }

    public var hasSharedHead: Bool { false }

    public func importTask(
        _ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator
    ) throws {
        try BinaryMask.importTask(tensors, into: evaluator.network)
    }

    public func storedBytes(task t: Int) -> Int { normalization.bytes(task: t) }

    /// The owner map: one byte per convolution weight, for all tasks together.
    public var carriedBytes: Int { owners.values.reduce(0) { $0 + $1.count } }

    public func state() throws -> [(String, HostTensor)] {
        owners.keys.sorted().map { name in
            ("packnet.owner." + name, HostTensor(shape: [owners[name]!.count], dtype: .uint8, bytes: owners[name]!))
        } + [("packnet.current", HostTensor(shape: [2], int64s: [current.task, current.pruned ? 1 : 0]))]
            + normalization.state
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        let stored = tensors.under("packnet.owner.")
        if let bad = stored.first(where: { $0.1.dtype != .uint8 }) {
            throw ConFiTError.bankMismatch(
                key: "packnet.owner." + bad.0, reason: "\(bad.1.dtype.rawValue), expected U8")
        }
        owners = Dictionary(uniqueKeysWithValues: stored.map { ($0.0, $0.1.bytes) })
        if let position = tensors.first(where: { $0.0 == "packnet.current" })?.1.ints(), position.count == 2 {
            current = (position[0], position[1] != 0)
        }
        normalization.restore(from: tensors)
    }
}
