import ConFiTEngine

/// A bias-free 2-D convolution, PyTorch's `nn.Conv2d(bias=False)` (the networks here all
/// follow their convolutions with BatchNorm). `groups == inChannels` is depthwise.
public final class Conv2d: Layer {
    public var isTraining = true
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, groups: Int
    public let padding: Padding
    /// [out, in / groups, k, k], PyTorch's OIHW.
    public let weight: Parameter

    private final class Slot {
        let kernel: Convolution
        var weightsVersion = -1
        init(_ kernel: Convolution) { self.kernel = kernel }
    }
    /// Called with the input of every training-mode forward (ConFiT's pre-convolution
    /// trackers observe the convolution's input this way).
    public var inputObserver: ((Tensor) throws -> Void)?
    /// The geometry of the last forward, for FLOP accounting.
    public private(set) var lastShape: ConvolutionShape?
    private var kernels = KernelCache<Slot>()
    private var output = Buffer(), inputGradient = Buffer(), convertedInput = Buffer()
    private var inputConversion = KernelCache<Reorder>()
    private var input: Tensor?
    private var slot: Slot?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .symmetric(0),
                groups: Int = 1) {
        (self.inChannels, self.outChannels, self.kernelSize) = (inChannels, outChannels, kernelSize)
        (self.stride, self.padding, self.groups) = (stride, padding, groups)
        weight = Parameter(shape: [outChannels, inChannels / groups, kernelSize, kernelSize])
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight)] }

    /// The convolution geometry for an input of `shape` [N, C, H, W].
    public func geometry(for shape: [Int]) -> ConvolutionShape {
        let (top, bottom) = padding.amounts(size: shape[2], kernel: kernelSize, stride: stride)
        let (left, right) = padding.amounts(size: shape[3], kernel: kernelSize, stride: stride)
        return ConvolutionShape(batch: shape[0], inChannels: inChannels, height: shape[2], width: shape[3],
                                outChannels: outChannels, kernel: kernelSize, stride: stride,
                                padTop: top, padLeft: left, padBottom: bottom, padRight: right, groups: groups)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try layerInput("Conv2d(\(inChannels), \(outChannels))", input, rank: 4, channels: inChannels)
        let input = try inActivationLayout(input)
        if isTraining { try inputObserver?(input) }
        let shape = geometry(for: input.shape)
        let slot = try kernels.get(input.shape, training: isTraining) {
            Slot(try Convolution(shape, source: input.format, destination: TensorFormat.activations, training: isTraining))
        }
        if slot.weightsVersion != weight.version {
            try slot.kernel.loadWeights(weight.value)
            slot.weightsVersion = weight.version
        }
        let out = output.get(shape.outputShape, TensorFormat.activations)
        try slot.kernel.forward(input, into: out)
        lastShape = shape
        (self.input, self.slot) = isTraining ? (input, slot) : (nil, nil)
        return out
    }

    /// oneDNN's NHWC kernels need NHWC input even for the 3-channel stem, whereas its
    /// blocked kernels read plain NCHW images directly (padding 3 channels to 16 would
    /// waste work), so only the NHWC layout converts the network's plain input.
    private func inActivationLayout(_ input: Tensor) throws -> Tensor {
        guard TensorFormat.activations == .channelsLast, input.format != .channelsLast else { return input }
        let converted = convertedInput.get(input.shape, .channelsLast)
        try inputConversion.get(input.shape, training: false) { try Reorder(from: input, to: converted) }.run(input, converted)
        return converted
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let input, let slot else {
            throw EngineError.invalidArgument(operation: "Conv2d backward", reason: "no training-mode forward to go back through")
        }
        if weight.trainable {
            try slot.kernel.accumulateWeightGradient(input: input, outputGradient: outputGradient, into: weight.gradient)
        }
        guard needsInputGradient else { return nil }
        let gradient = inputGradient.get(input.shape, input.format)
        try slot.kernel.backwardData(outputGradient: outputGradient, into: gradient)
        return gradient
    }
}
