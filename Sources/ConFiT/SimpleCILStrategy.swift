import ConFiTData
import ConFiTIO
import ConFiTNN

/// SimpleCIL (Zhou et al., "Revisiting class-incremental learning with pre-trained models",
/// 2023; LAMDA-PILOT `models/simplecil.py`): the pre-trained backbone, never trained, in eval
/// mode with its own BN statistics; each class's prototype is the mean pooled feature of its
/// training images, and logits are cosine similarities to the prototypes (`PrototypeHead`).
public final class SimpleCILStrategy: ContinualStrategy {
    public let name = "simplecil"
    /// Class ids with a prototype, in the order learnt, and the prototypes (not normalised),
    /// row-major [classes.count, dimension].
    public private(set) var classes: [Int] = [], prototypes: [Float] = []
    public private(set) var dimension = 0
    /// Classes per finished task, for `storedBytes`.
    private var taskClassCounts: [Int] = []
    private var head: PrototypeHead?

    public init() {}

    public func validate(network: any Layer, classes: Int) throws { try FrozenFeatures.validate(network, method: name) }
    public func epochs(for task: Scenario.Task, configured: Int) -> Int { 0 }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        let features = try FrozenFeatures.training(task, context)
        dimension = features.dimension
        prototypes += try features.classMeans(task.classes)
        classes += task.classes
        taskClassCounts.append(task.classes.count)
        head = nil
    }

    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        try context.evaluator.select(nil, recover: false)
        context.evaluator.head = try head ?? makeHead(width: context.classifier.outFeatures)
    }

    private func makeHead(width: Int) throws -> PrototypeHead {
        let head = PrototypeHead(classes: width, dimension: dimension)
        for (row, c) in classes.enumerated() {
            guard (0..<width).contains(c) else { throw ConFiTError.bankMismatch(key: "simplecil.classes", reason: "class \(c) of \(width)") }
            head.setPrototype(c, prototypes[(row * dimension)..<((row + 1) * dimension)])
        }
        self.head = head
        return head
    }

    /// The prototypes of task t's classes: float32, classes × features.
    public func storedBytes(task t: Int) -> Int {
        taskClassCounts.indices.contains(t) ? taskClassCounts[t] * dimension * MemoryLayout<Float>.size : 0
    }

    /// The prototypes of task i's classes, in the task's class order.
    public func exportTask(_ i: Int, after last: Int) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? {
        guard taskClassCounts.indices.contains(i) else {
            throw ConFiTError.bankMismatch(key: "simplecil.prototypes", reason: "the checkpoint holds no prototypes for task \(i)")
        }
        let first = taskClassCounts[..<i].reduce(0, +)
        let rows = Array(prototypes[(first * dimension)..<((first + taskClassCounts[i]) * dimension)])
        return ([("prototypes", HostTensor(shape: [taskClassCounts[i], dimension], floats: rows))], [:])
    }

    public func importTask(_ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator) throws {
        guard let tensor = tensors.first(where: { $0.0 == "prototypes" })?.1, tensor.shape.count == 2 else {
            throw ConFiTError.bankMismatch(key: "prototypes", reason: "the task file holds no [classes, features] prototypes")
        }
        let (count, width, rows) = (tensor.shape[0], tensor.shape[1], tensor.floats())
        let head = PrototypeHead(classes: count, dimension: width)
        for c in 0..<count { head.setPrototype(c, rows[(c * width)..<((c + 1) * width)]) }
        evaluator.network.eval()
        evaluator.head = head
    }

    public func state() throws -> [(String, HostTensor)] {
        [("simplecil.classes", HostTensor(shape: [classes.count], int64s: classes)),
         ("simplecil.task_classes", HostTensor(shape: [taskClassCounts.count], int64s: taskClassCounts)),
         ("simplecil.prototypes", HostTensor(shape: [classes.count, dimension], floats: prototypes))]
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        let state = Dictionary(tensors.under("simplecil."), uniquingKeysWith: { $1 })
        guard let stored = state["prototypes"] else { return }
        let (ids, counts) = (state["classes"]?.ints() ?? [], state["task_classes"]?.ints() ?? [])
        guard stored.shape.count == 2, stored.shape[0] == ids.count, counts.reduce(0, +) == ids.count else {
            throw ConFiTError.bankMismatch(key: "simplecil.prototypes", reason: "shape \(stored.shape) for \(ids.count) classes")
        }
        (classes, taskClassCounts, prototypes, dimension, head) = (ids, counts, stored.floats(), stored.shape[1], nil)
    }
}
