import ConFiTEngine

/// torchvision's ResNet (v1.5) with its `state_dict` key names (`conv1`, `bn1`,
/// `layer1.0.conv1`, `layer2.0.downsample.0`, `fc`), so torchvision and timm checkpoints
/// load unchanged. Stage widths are configurable so that small test networks run the
/// very same code as ResNet-18.
public final class ResNet: FeatureExtractor {
    public enum BlockKind: String, Sendable { case basic, bottleneck }

    public struct Configuration: Sendable, Hashable {
        public var block: BlockKind
        /// Blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18.
        public var layers: [Int]
        /// Channels of each stage's blocks (before the bottleneck's ×4); the stem has widths[0].
        public var widths: [Int]
        public var numClasses: Int

        public init(block: BlockKind, layers: [Int], widths: [Int] = [64, 128, 256, 512], numClasses: Int = 1000) {
            (self.block, self.layers, self.widths, self.numClasses) = (block, layers, widths, numClasses)
        }

        public static func resnet18(numClasses: Int = 1000) -> Configuration {
            .init(block: .basic, layers: [2, 2, 2, 2], numClasses: numClasses)
        }
        public static func resnet34(numClasses: Int = 1000) -> Configuration {
            .init(block: .basic, layers: [3, 4, 6, 3], numClasses: numClasses)
        }
        public static func resnet50(numClasses: Int = 1000) -> Configuration {
            .init(block: .bottleneck, layers: [3, 4, 6, 3], numClasses: numClasses)
        }
    }

    public var isTraining = true
    public let configuration: Configuration
    /// `bn1` applies the stem's ReLU itself (fused).
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    public let stages: [Sequential]
    public let avgpool = GlobalAveragePool()
    public let fc: Linear

    /// A network with torchvision's initialisation drawn from `seed`.
    public init(_ configuration: Configuration, seed: UInt64 = 0) {
        self.configuration = configuration
        let stem = configuration.widths[0]
        conv1 = Conv2d(3, stem, kernelSize: 7, stride: 2, padding: .symmetric(3))
        bn1 = BatchNorm2d(stem, fusingReLU: true)
        var inChannels = stem
        var stages: [Sequential] = []
        for (stage, (count, width)) in zip(configuration.layers, configuration.widths).enumerated() {
            var blocks: [any Layer] = []
            for i in 0..<count {
                let stride = stage > 0 && i == 0 ? 2 : 1
                let block =
                    configuration.block == .basic
                    ? ResidualBlock.basic(inChannels, width, stride: stride)
                    : ResidualBlock.bottleneck(inChannels, width, stride: stride)
                blocks.append(block)
                inChannels = configuration.block == .basic ? width : 4 * width
            }
            stages.append(Sequential(blocks))
        }
        self.stages = stages
        fc = Linear(inChannels, configuration.numClasses)
        var generator = SplitMix64(seed: seed)
        for (_, layer) in namedLayers() {
            if let conv = layer as? Conv2d { Initialization.kaimingNormalFanOut(conv, using: &generator) }
        }
        Initialization.linear(fc, using: &generator)
    }

    public var children: [(String, any Layer)] {
        [("conv1", conv1), ("bn1", bn1), ("maxpool", maxpool)]
            + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
            + [("avgpool", avgpool), ("fc", fc)]
    }

    private var chain: [any Layer] { children.map(\.1) }

    /// Logits [N, numClasses] for images [N, 3, H, W] (plain NCHW).
    public func forward(_ input: Tensor) throws -> Tensor { try forwardChain(chain, input) }

    /// The globally pooled features [N, classifier.inFeatures] the classifier reads.
    public func features(_ input: Tensor) throws -> Tensor { try forwardChain(chain.dropLast(), input) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool = false) throws -> Tensor? {
        try backwardChain(chain, outputGradient, needsInputGradient: needsInputGradient)
    }
}
