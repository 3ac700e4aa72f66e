import ConFiTData
import ConFiTIO
import ConFiTNN

/// SimpleCIL (Zhou et al., "Revisiting class-incremental learning with pre-trained models",
/// 2023; LAMDA-PILOT `models/simplecil.py`): the pre-trained backbone, never trained, in eval
/// mode with its own BN statistics; each class's prototype is the mean pooled feature of its
/// training images, and logits are cosine similarities to the prototypes (`PrototypeHead`).
public final class SimpleCILStrategy: ContinualStrategy {
    public let name = "simplecil"
    private var prototypes = ClassPrototypes()

    public init() {}

    public func validate(network: any Layer, classes: Int) throws { try FrozenFeatures.validate(network, method: name) }
    public func epochs(for task: Scenario.Task, configured: Int) -> Int { 0 }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        let features = try FrozenFeatures.training(task, context)
        prototypes.add(task.classes, means: try features.classMeans(task.classes), dimension: features.dimension)
    }

    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        try context.evaluator.select(nil, recover: false)
        FrozenFeatures.keep(context)
        context.evaluator.head = try prototypes.head(width: context.classifier.outFeatures)
    }

    /// The prototypes of task t's classes: float32, classes × features.
    public func storedBytes(task t: Int) -> Int { prototypes.bytes(task: t) }

    /// The prototypes of task i's classes, in the task's class order.
    public func exportTask(
        _ i: Int, after last: Int
    ) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? {
        ([try prototypes.export(task: i)], [:])
    }

    public func importTask(
        _ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator
    ) throws {
        guard let head = try ClassPrototypes.importedHead(tensors) else {
            throw ConFiTError.bankMismatch(key: "prototypes", reason: "the task file holds no prototypes")
        }
        evaluator.network.eval()
        evaluator.head = head
    }

    public func state() throws -> [(String, HostTensor)] { prototypes.state(prefix: "simplecil.") }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        prototypes = try ClassPrototypes(from: tensors, prefix: "simplecil.")
    }
}
