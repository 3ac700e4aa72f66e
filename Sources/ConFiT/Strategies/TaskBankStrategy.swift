import ConFiTData
import ConFiTIO
import ConFiTNN

/// ConFiT and the methods that share its per-task BatchNorm banks (docs/methods.md): after each
/// task every BN's γ, β and running statistics and every tracker's means are stored; a
/// task is evaluated with its own bank, its BN running means recovered through the current
/// convolutions when the method recovers and the weights have moved on since.
///
/// `confit` (hierarchical, recovery), `confit-noxconv` (hierarchical), `confit-nohier`
/// (recovery) and `taskbn` (neither) are this strategy with other switches.
public final class TaskBankStrategy: ContinualStrategy {
    public let name: String
    public let schedule: TrainingSchedule
    public let recoversRunningMeans: Bool
    /// One bank per finished task.
    public private(set) var banks: [TaskBank] = []
    /// With `--head prototypes`: each task's class-mean features under its bank, computed
    /// after its training; they replace the `Linear` classifier in evaluation.
    private var prototypes = ClassPrototypes()

    public init(name: String, schedule: TrainingSchedule, recoversRunningMeans: Bool) {
        (self.name, self.schedule, self.recoversRunningMeans) = (name, schedule, recoversRunningMeans)
    }

    public func trackedPairs(in network: any Layer) throws -> [ConvolutionNormPair] {
        try ConvolutionNormPair.pairs(in: network)
    }

    public func epochStarting(_ epoch: Int, of epochs: Int, _ context: StrategyContext) -> TrainableSelection {
        let stage = schedule.selection(epoch: epoch, epochs: epochs)
        context.network.setTrainable(stage)
        context.network.train()
        return stage
    }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        banks.append(try TaskBank(capturing: context.evaluator.pairs))
        guard context.configuration.head == .prototypes else { return }
        try context.evaluator.select(banks[task.id], recover: false)
        let features = try context.evaluator.features(
            of: try context.trainingImages(task, false), classes: task.classes)
        prototypes.add(task.classes, means: try features.classMeans(task.classes), dimension: features.dimension)
    }

    /// Whether task i's BN running means are recovered when it is evaluated after training
    /// task t: for every task but the one the current weights were last trained on.
    public func recovers(task i: Int, after t: Int) -> Bool { recoversRunningMeans && i != t }

    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        guard banks.indices.contains(i) else {
            throw ConFiTError.bankMismatch(key: "bank \(i)", reason: "only \(banks.count) tasks have banks")
        }
        try context.evaluator.select(banks[i], recover: recovers(task: i, after: t))
        context.evaluator.head = prototypes.isEmpty ? nil : try prototypes.head(width: context.classifier.outFeatures)
    }

    /// The bank, and the prototypes of the task's classes with `--head prototypes`.
    public func storedBytes(task t: Int) -> Int {
        (banks.indices.contains(t) ? banks[t].byteCount : 0) + prototypes.bytes(task: t)
    }

    /// Bank i, and whether its means are recovered through the shared weights.
    public func exportTask(
        _ i: Int, after last: Int
    ) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? {
        guard banks.indices.contains(i) else {
            throw ConFiTError.bankMismatch(key: "bank.\(i)", reason: "the checkpoint holds no bank for this task")
        }
        let head = prototypes.isEmpty ? [] : [try prototypes.export(task: i)]
        return (
            banks[i].tensors.map { ($0.name, $0.tensor) } + head, ["recover": String(recovers(task: i, after: last))]
        )
    }

    public var hasSharedHead: Bool { false }

    public func importTask(
        _ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator
    ) throws {
        try TaskEvaluator(network: evaluator.network, pairs: try ConvolutionNormPair.pairs(in: evaluator.network))
            .select(TaskBank(tensors: tensors.filter { $0.0 != "prototypes" }), recover: metadata["recover"] == "true")
        evaluator.head = try ClassPrototypes.importedHead(tensors)
    }

    /// Bank t under `bank.<t>.`, as checkpoints have always stored them.
    public func state() throws -> [(String, HostTensor)] {
        banks.enumerated().flatMap { t, bank in bank.tensors.map { ("bank.\(t)." + $0.name, $0.tensor) } }
            + prototypes.state(prefix: "prototypes.")
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        var restored: [TaskBank] = []
        while true {
            let bank = tensors.under("bank.\(restored.count).")
            if bank.isEmpty { break }
            restored.append(TaskBank(tensors: bank))
        }
        let restoredPrototypes = try ClassPrototypes(from: tensors, prefix: "prototypes.")
        (banks, prototypes) = (restored, restoredPrototypes)
    }
}
