import ConFiTData
import ConFiTNN

/// What the frozen-feature methods share: the backbone in eval mode with its own BN
/// statistics, and each task's training images through it once, in order.
enum FrozenFeatures {
    /// Refuses a network that does not expose its pooled features.
    static func validate(_ network: any Layer, method: String) throws {
        guard network is any FeatureExtractor else {
            throw ConFiTError.invalidConfiguration("\(method) classifies pooled features, which \(type(of: network)) does not expose")
        }
    }

    /// `task`'s training images once each through the network in eval mode.
    static func training(_ task: Scenario.Task, _ context: StrategyContext) throws -> FeatureSet {
        context.network.eval()
        return try context.evaluator.features(of: try context.trainingImages(task, false), classes: task.classes)
    }
}
