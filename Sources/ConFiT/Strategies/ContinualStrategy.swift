import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// What a continual-learning method does around the trainer's loop, as hooks (FACIL's
/// `Inc_Learning_Appr`, Avalanche's plugins): the trainer owns the data, the optimizer and
/// the batch loop, and asks the strategy what to train, what to add to each batch's loss,
/// what to keep after a task and what to put into the network before evaluating one.
///
/// Every hook but `name` has a default: fine-tuning is the strategy that overrides nothing.
/// Hooks get the `StrategyContext` (network, classifier, evaluator, loaders) rather than
/// storing it, so a strategy holds only its own state — and `state()`/`restore(from:)` put
/// all of that into the checkpoint, so that a stopped run resumes bit for bit.
public protocol ContinualStrategy: AnyObject {
    /// The method's name, as runs record it (`confit`, `lwf`, ...).
    var name: String { get }
    /// The conv → BN pairs whose inputs are tracked (`PreConvTracker`); trackers cost a
    /// reduction per training forward, so only methods that store them ask for them.
    func trackedPairs(in network: any Layer) throws -> [ConvolutionNormPair]
    /// Refuses, before anything runs, a network or scenario the method cannot work with
    /// (the frozen-feature methods need a `FeatureExtractor`; RanPAC checks its memory).
    func validate(network: any Layer, classes: Int) throws
    /// The epochs of gradient descent `task` trains, of the configured ones: 0 for the
    /// methods that fit their head in closed form after the task (`taskFinished`).
    func epochs(for task: Scenario.Task, configured: Int) -> Int
    /// Whether only the classifier trains, over a body frozen in eval mode (`linear`): the
    /// trainer then trains the classifier on pooled features, which the strategy keeps in
    /// `TaskEvaluator.frozenFeatures` so that each image passes through the body once.
    var trainsOnlyClassifier: Bool { get }
    /// Whether every task is classified by one head over all classes, so that the arg-max
    /// over every class seen so far (task-agnostic accuracy) needs no task identity.
    var hasSharedHead: Bool { get }
    /// Before the first epoch of `task` (not again when a run resumes inside the task).
    func taskStarting(_ task: Scenario.Task, _ context: StrategyContext) throws
    /// The optimizer of `task`'s training (a fresh one per task, and again when a run resumes
    /// inside it) and the names under which the checkpoint keeps its state for each of its
    /// parameters. Default: SGD with the configuration's learning rate, momentum and weight
    /// decay over the network's parameters.
    func makeOptimizer(
        task: Scenario.Task, _ context: StrategyContext
    ) throws -> (any Optimizer, names: [(String, Parameter)])
    /// Sets which parameters train in `epoch` (0-based) of `epochs`, and the network's mode.
    func epochStarting(_ epoch: Int, of epochs: Int, _ context: StrategyContext) -> TrainableSelection
    /// The method's loss term for `batch` beyond the restricted cross-entropy, whose
    /// ∂/∂logits it adds to `gradient` before backward.
    func addLoss(
        logits: Tensor, gradient: Tensor, batch: Batch, task: Scenario.Task, _ context: StrategyContext
    ) throws -> Float
    /// After backward, before the optimizer step: adds the gradients of a loss term on the
    /// parameters themselves (returning its value) and clears those of parameters the
    /// method keeps fixed.
    func finishGradients(task: Scenario.Task, _ context: StrategyContext) throws -> Float
    /// After the optimizer's step: re-derives what depends on the updated parameters
    /// (Piggyback's masked weights).
    func stepFinished(task: Scenario.Task, _ context: StrategyContext) throws
    /// After the last epoch of `task`, before its evaluation: what to keep.
    func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws
    /// Puts the network into its state for evaluating task `i` after training task `t`
    /// (eval mode). Called with i = t last, which leaves task t's state for training t + 1.
    func select(task i: Int, after t: Int, _ context: StrategyContext) throws
    /// Bytes stored for task `t` alone (a BN bank, a mask), beyond the shared network.
    func storedBytes(task t: Int) -> Int
    /// Bytes of state carried from task to task that belongs to no single task (EWC's
    /// Fisher and anchor weights).
    var carriedBytes: Int { get }
    /// What using task `i` needs beyond the shared network (`confit export`): named tensors
    /// and metadata strings; nil for methods that keep nothing per task (the run's network
    /// is every task's). Called on a strategy restored from the run's last checkpoint, whose
    /// last finished task is `last`.
    func exportTask(_ i: Int, after last: Int) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])?
    /// Puts what `exportTask` gave into the evaluator's network, freshly built with the
    /// shared weights (`confit predict --bank`), or its head, leaving it in eval mode.
    func importTask(_ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator) throws
    /// Everything the strategy holds, as named tensors under a prefix of its own.
    func state() throws -> [(String, HostTensor)]
    /// Reads back `state()` from a checkpoint's tensors (all of them; a strategy picks its own).
    func restore(from tensors: [(String, HostTensor)]) throws
}

extension ContinualStrategy {
    public func trackedPairs(in network: any Layer) throws -> [ConvolutionNormPair] { [] }
    public func validate(network: any Layer, classes: Int) throws {}
    public func epochs(for task: Scenario.Task, configured: Int) -> Int { configured }
    public var hasSharedHead: Bool { true }
    public var trainsOnlyClassifier: Bool { false }
    public func taskStarting(_ task: Scenario.Task, _ context: StrategyContext) throws {}
    public func makeOptimizer(
        task: Scenario.Task, _ context: StrategyContext
    ) throws -> (any Optimizer, names: [(String, Parameter)]) {
        let named = context.network.namedParameters()
        let c = context.configuration
        return (
            SGD(
                parameters: named.map(\.1), learningRate: c.learningRate, momentum: c.momentum,
                weightDecay: c.weightDecay), named
        )
    }
    /// Every parameter, network in training mode.
    public func epochStarting(_ epoch: Int, of epochs: Int, _ context: StrategyContext) -> TrainableSelection {
        context.network.setTrainable(.all)
        context.network.train()
        return .all
    }
    public func addLoss(
        logits: Tensor, gradient: Tensor, batch: Batch, task: Scenario.Task, _ context: StrategyContext
    ) throws -> Float { 0 }
    public func finishGradients(task: Scenario.Task, _ context: StrategyContext) throws -> Float { 0 }
    public func stepFinished(task: Scenario.Task, _ context: StrategyContext) throws {}
    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {}
    /// The one shared network, as trained: nothing to put in but eval mode.
    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        try context.evaluator.select(nil, recover: false)
    }
    public func storedBytes(task t: Int) -> Int { 0 }
    public var carriedBytes: Int { 0 }
    public func exportTask(
        _ i: Int, after last: Int
    ) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? { nil }
    public func importTask(
        _ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator
    ) throws {
        throw ConFiTError.invalidConfiguration("\(name) keeps nothing per task to import")
    }
    public func state() throws -> [(String, HostTensor)] { [] }
    public func restore(from tensors: [(String, HostTensor)]) throws {}
}

extension [(String, HostTensor)] {
    /// The tensors under `prefix`, with it removed.
    func under(_ prefix: String) -> [(String, HostTensor)] {
        filter { $0.0.hasPrefix(prefix) }.map { (String($0.0.dropFirst(prefix.count)), $0.1) }
    }
}
