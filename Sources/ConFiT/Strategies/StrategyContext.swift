import ConFiTData
import ConFiTNN

/// What a strategy's hooks may use of the trainer: the network and its classifier, the
/// evaluator that puts it into a task's state, the protocol values, every task, and the
/// task's training images in the trainer's loaders (same transform, cache and workers).
public struct StrategyContext {
    public let network: any Layer
    public let classifier: Linear
    public let evaluator: TaskEvaluator
    public let configuration: TrainingConfiguration
    /// The scenario's tasks, by id.
    public let tasks: [Scenario.Task]
    /// The task's training images: shuffled and in batches as training draws them, or (with
    /// `shuffled` false) each once in order, in evaluation batches.
    public let trainingImages: (_ task: Scenario.Task, _ shuffled: Bool) throws -> BatchLoader

    public init(
        network: any Layer, classifier: Linear, evaluator: TaskEvaluator, configuration: TrainingConfiguration,
        tasks: [Scenario.Task], trainingImages: @escaping (Scenario.Task, Bool) throws -> BatchLoader
    ) {
        (self.network, self.classifier, self.evaluator, self.configuration) = (
            network, classifier, evaluator, configuration
        )
        (self.tasks, self.trainingImages) = (tasks, trainingImages)
    }
}
