import ConFiTData
import ConFiTNN

/// What the frozen-feature methods share: the backbone in eval mode with its own BN
/// statistics, and each task's training images through it once, in order.
enum FrozenFeatures {
    /// Refuses a network that does not expose its pooled features.
    static func validate(_ network: any Layer, method: String) throws {
        guard network is any FeatureExtractor else {
            throw ConFiTError.invalidConfiguration(
                "\(method) classifies pooled features, which \(type(of: network)) does not expose")
        }
    }

    /// `task`'s training images once each through the network in eval mode; from now on
    /// the body is frozen, so the evaluator keeps every image's features.
    static func training(_ task: Scenario.Task, _ context: StrategyContext) throws -> FeatureSet {
        context.network.eval()
        keep(context)
        return try context.evaluator.features(of: try context.trainingImages(task, false), classes: task.classes)
    }

    /// Has the evaluator keep pooled features: the body no longer changes.
    static func keep(_ context: StrategyContext) {
        context.evaluator.frozenFeatures = context.evaluator.frozenFeatures ?? [:]
    }
}
