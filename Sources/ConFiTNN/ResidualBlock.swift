import ConFiTEngine

/// A residual block: relu(main(x) + shortcut(x)), where the shortcut is the identity or a
/// `downsample` (1×1 conv + BN). torchvision's `BasicBlock` and `Bottleneck` are both
/// this with different main branches; the ReLUs inside the main branch are fused into the
/// BatchNorms before them, the final one runs in place on the sum.
public final class ResidualBlock: Layer, ComputeConfigurable {
    public var isTraining = true
    /// The main branch in order, with PyTorch names (`conv1`, `bn1`, ...).
    public let main: [(String, any Layer)]
    public let downsample: Sequential?
    private let relu = ActivationLayer.relu()
    public var settings = ComputeSettings() { didSet { add = .init() } }
    private var add = InPlaceAddition()

    public init(main: [(String, any Layer)], downsample: Sequential?) {
        self.main = main
        self.downsample = downsample
    }

    /// torchvision's `BasicBlock`: two 3×3 convolutions (the first strided).
    public static func basic(_ inChannels: Int, _ channels: Int, stride: Int) -> ResidualBlock {
        ResidualBlock(
            main: [
                ("conv1", Conv2d(inChannels, channels, kernelSize: 3, stride: stride, padding: .symmetric(1))),
                ("bn1", BatchNorm2d(channels, fusingReLU: true)),
                ("conv2", Conv2d(channels, channels, kernelSize: 3, padding: .symmetric(1))),
                ("bn2", BatchNorm2d(channels)),
            ], downsample: shortcut(inChannels, channels, stride: stride))
    }

    /// torchvision's `Bottleneck` (ResNet v1.5: the stride on the 3×3): 1×1 → 3×3 → 1×1
    /// expanding to 4 × `channels`.
    public static func bottleneck(_ inChannels: Int, _ channels: Int, stride: Int) -> ResidualBlock {
        ResidualBlock(
            main: [
                ("conv1", Conv2d(inChannels, channels, kernelSize: 1)),
                ("bn1", BatchNorm2d(channels, fusingReLU: true)),
                ("conv2", Conv2d(channels, channels, kernelSize: 3, stride: stride, padding: .symmetric(1))),
                ("bn2", BatchNorm2d(channels, fusingReLU: true)),
                ("conv3", Conv2d(channels, 4 * channels, kernelSize: 1)), ("bn3", BatchNorm2d(4 * channels)),
            ], downsample: shortcut(inChannels, 4 * channels, stride: stride))
    }

    private static func shortcut(_ inChannels: Int, _ outChannels: Int, stride: Int) -> Sequential? {
        guard stride != 1 || inChannels != outChannels else { return nil }
        return Sequential([Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride), BatchNorm2d(outChannels)])
    }

    /// The main branch, the shortcut, and the final ReLU (which has no state-dict keys).
    public var children: [(String, any Layer)] {
        main + (downsample.map { [("downsample", $0)] } ?? []) + [("relu", relu)]
    }

    private var mainLayers: [any Layer] { main.map(\.1) }

    public func forward(_ input: Tensor) throws -> Tensor {
        let sum = try forwardChain(mainLayers, input)
        let shortcut = try downsample?.forward(input) ?? input
        try add(sum, shortcut, profiler: settings.profiler)
        return try relu.forward(sum)
    }

    /// The output gradient reaches both branches unchanged (no branch writes to it), and
    /// the input gradient is their sum.
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let gradient = try relu.backward(outputGradient, needsInputGradient: true) else { return nil }
        let mainGradient = try backwardChain(mainLayers, gradient, needsInputGradient: needsInputGradient)
        let shortcutGradient =
            try downsample.map { try $0.backward(gradient, needsInputGradient: needsInputGradient) }
            ?? gradient
        guard needsInputGradient, let mainGradient, let shortcutGradient else { return nil }
        try add(mainGradient, shortcutGradient, profiler: settings.profiler)
        return mainGradient
    }
}
