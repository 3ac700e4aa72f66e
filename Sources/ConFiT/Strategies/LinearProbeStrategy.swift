import ConFiTNN

/// The linear probe (`linear`): the pre-trained backbone frozen in eval mode (running
/// statistics, no updates), only the classifier trains — on pooled features computed once
/// per image and run (`trainsOnlyClassifier`, `TaskEvaluator.frozenFeatures`).
public final class LinearProbeStrategy: ContinualStrategy {
    public let name = "linear"
    public init() {}

    public var trainsOnlyClassifier: Bool { true }

    public func epochStarting(_ epoch: Int, of epochs: Int, _ context: StrategyContext) -> TrainableSelection {
        context.evaluator.frozenFeatures = context.evaluator.frozenFeatures ?? [:]
        context.network.setTrainable(.classifier)
        context.network.eval()
        context.classifier.train()
        return .classifier
    }
}
