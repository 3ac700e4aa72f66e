import ConFiTEngine

/// A bias-free 2-D convolution, PyTorch's `nn.Conv2d(bias=False)` (the networks here all
/// follow their convolutions with BatchNorm). `groups == inChannels` is depthwise.
///
/// Its output is in the network's activation layout and precision (`settings.layout`,
/// `settings.precision`); an input in another precision (the network's float32 images) is
/// converted first. Two extras serve
/// ConFiT's Xconv BN, which watches a convolution's input and later pushes statistics
/// through it: `inputMeansObserver` and `meanOutput(forConstantInput:inputShape:)`.
public final class Conv2d: Layer, ComputeConfigurable {
    public var isTraining = true
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, groups: Int
    public let padding: Padding
    /// [out, in / groups, k, k], PyTorch's OIHW.
    public let weight: Parameter
    /// Multiplies the weight element by element wherever it is used, leaving `weight` as it
    /// is: PackNet's per-task masks, Piggyback's binary masks (1 keeps a weight, 0 drops
    /// it). With a mask, `weight.gradient` receives ∂loss/∂(weight ⊙ mask), the gradient of
    /// the weights the kernel used, which Piggyback's straight-through estimator needs.
    /// Setting it (the same tensor again after changing its values, too) reloads the kernels'
    /// weights; the masked copy costs one multiply per weight on each reload.
    public var weightMask: Tensor? { didSet { maskVersion &+= 1 } }
    private var maskVersion = 0
    private var maskedWeight: Tensor?

    private final class Slot {
        let kernel: Convolution
        var weightsVersion = (-1, -1)
        init(_ kernel: Convolution) { self.kernel = kernel }
    }
    /// Receives, after every training-mode forward, the per-channel means of the input over
    /// N, H and W — with `byParity`, four per channel, one per parity phase of the grid:
    /// (even row, even col), (even, odd), (odd, even), (odd, odd) — and the input's shape.
    public var inputMeansObserver: (byParity: Bool, receive: (_ means: [[Float]], _ shape: [Int]) throws -> Void)?
    /// The geometry of the last forward, for FLOP accounting.
    public private(set) var lastShape: ConvolutionShape?
    public var settings = ComputeSettings() {
        didSet { (kernels, inputConversion, meanReduction, constantInputKernel) = (.init(), .init(), nil, nil) }
    }
    private var kernels = KernelCache<Slot>()
    private var output = Buffer(), inputGradient = Buffer(), convertedInput = Buffer()
    private var inputConversion = KernelCache<Reorder>()
    private var meanReduction: ChannelMeanReduction?
    private var constantInputKernel: (shape: ConvolutionShape, kernel: Convolution)?
    private var input: Tensor?
    private var slot: Slot?

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .symmetric(0),
        groups: Int = 1
    ) {
        (self.inChannels, self.outChannels, self.kernelSize) = (inChannels, outChannels, kernelSize)
        (self.stride, self.padding, self.groups) = (stride, padding, groups)
        weight = Parameter(shape: [outChannels, inChannels / groups, kernelSize, kernelSize])
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight)] }

    /// The convolution geometry for an input of `shape` [N, C, H, W].
    public func geometry(for shape: [Int]) -> ConvolutionShape {
        let (top, bottom) = padding.amounts(size: shape[2], kernel: kernelSize, stride: stride)
        let (left, right) = padding.amounts(size: shape[3], kernel: kernelSize, stride: stride)
        return ConvolutionShape(
            batch: shape[0], inChannels: inChannels, height: shape[2], width: shape[3],
            outChannels: outChannels, kernel: kernelSize, stride: stride,
            padTop: top, padLeft: left, padBottom: bottom, padRight: right, groups: groups)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try layerInput("Conv2d(\(inChannels), \(outChannels))", input, rank: 4, channels: inChannels)
        let input = try inActivationLayout(input)
        if isTraining, let (byParity, receive) = inputMeansObserver {
            let (means, batchShape) = try batchInputMeans(input, byParity: byParity)
            try receive(means, batchShape)
        }
        let shape = geometry(for: input.shape)
        let slot = try kernels.get(input.shape, training: isTraining) {
            Slot(
                try Convolution(
                    shape, source: input.format, destination: settings.layout, dataType: settings.precision,
                    training: isTraining, winograd: settings.winograd, profiler: settings.profiler))
        }
        if slot.weightsVersion != (weight.version, maskVersion) {
            try slot.kernel.loadWeights(try effectiveWeight())
            slot.weightsVersion = (weight.version, maskVersion)
        }
        let out = output.get(shape.outputShape, settings.layout, settings.precision)
        try slot.kernel.forward(input, into: out)
        lastShape = shape
        (self.input, self.slot) = isTraining ? (input, slot) : (nil, nil)
        return out
    }

    /// The weights the kernels use: `weight ⊙ weightMask`, or `weight` without a mask.
    private func effectiveWeight() throws -> Tensor {
        guard let mask = weightMask else { return weight.value }
        guard mask.shape == weight.value.shape else {
            throw EngineError.shapeMismatch(
                operation: "Conv2d weight mask", expected: weight.value.shape, found: mask.shape)
        }
        let masked = maskedWeight ?? Tensor(shape: weight.value.shape)
        maskedWeight = masked
        let (w, m, out) = (weight.value.pointer, mask.pointer, masked.pointer)
        for i in 0..<masked.count { out[i] = w[i] * m[i] }
        return masked
    }

    /// oneDNN's NHWC kernels need NHWC input even for the 3-channel stem, whereas its
    /// blocked kernels read plain NCHW images directly (padding 3 channels to 16 would
    /// waste work), so only the NHWC layout converts the network's plain input's layout;
    /// bfloat16 converts its float32 images' element type (still NCHW for blocked kernels).
    private func inActivationLayout(_ input: Tensor) throws -> Tensor {
        let format = settings.layout == .channelsLast ? .channelsLast : input.format
        guard format != input.format || settings.precision != input.dataType else { return input }
        let converted = convertedInput.get(input.shape, format, settings.precision)
        try inputConversion.get(input.shape, training: false) {
            try Reorder(from: input, to: converted, profiler: settings.profiler)
        }.run(input, converted)
        return converted
    }

    /// The means `inputMeansObserver` receives and the shape they are of: this input's, or
    /// under a process group the whole batch's — with equal shards, the mean of the shards'
    /// means.
    private func batchInputMeans(_ input: Tensor, byParity: Bool) throws -> (means: [[Float]], shape: [Int]) {
        let means = try inputMeans(input, byParity: byParity)
        guard let group = settings.sharedWith else { return (means, input.shape) }
        let summed = try group.allReduceSum(means.joined().map(Double.init))
        let (width, size) = (means[0].count, Double(group.size))
        return (
            (0..<means.count).map { k in (0..<width).map { Float(summed[k * width + $0] / size) } },
            [input.shape[0] * group.size] + input.shape.dropFirst()
        )
    }

    /// The per-channel means `inputMeansObserver` receives, by a reduction built once per
    /// input shape and layout.
    private func inputMeans(_ input: Tensor, byParity: Bool) throws -> [[Float]] {
        if let reduction = meanReduction, reduction.shape == input.shape, reduction.format == input.format,
            reduction.dataType == input.dataType, reduction.byParity == byParity
        {
            return try reduction(input)
        }
        let reduction = try ChannelMeanReduction(
            shape: input.shape, format: input.format, dataType: input.dataType,
            byParity: byParity, profiler: settings.profiler)
        meanReduction = reduction
        return try reduction(input)
    }

    /// The spatial mean of this convolution's output, with its current weights and its real
    /// (zero) padding, for a constant input of `inputShape`'s size holding `means` — one
    /// value per channel, or four (parity phases, ordered as `inputMeansObserver`'s).
    /// Because the convolution is linear and bias-free, E[conv(x)] = conv(E[x]): this turns
    /// tracked input means into the mean of the output.
    public func meanOutput(forConstantInput means: [[Float]], inputShape: [Int]) throws -> [Float] {
        guard inputShape.count == 4, inputShape[1] == inChannels, means.count == 1 || means.count == 4,
            means.allSatisfy({ $0.count == inChannels })
        else {
            throw EngineError.invalidArgument(
                operation: "Conv2d(\(inChannels), \(outChannels)) mean output",
                reason: "needs 1 or 4 means per input channel and an [N, \(inChannels), H, W] size, "
                    + "got \(means.map(\.count)) means for \(inputShape)")
        }
        let (c, h, w) = (inputShape[1], inputShape[2], inputShape[3])
        var shape = geometry(for: inputShape)
        shape.batch = 1
        let kernel: Convolution
        if let built = constantInputKernel, built.shape == shape {
            kernel = built.kernel
        } else {
            kernel = try Convolution(
                shape, source: .plain, destination: .plain, training: false, winograd: settings.winograd,
                profiler: settings.profiler)
            constantInputKernel = (shape, kernel)
        }
        try kernel.loadWeights(try effectiveWeight())
        let phased = means.count == 4
        let constant = Tensor(shape: [1, c, h, w])
        for channel in 0..<c {
            for y in 0..<h {
                for x in 0..<w {
                    constant.pointer[(channel * h + y) * w + x] = means[phased ? (y % 2) * 2 + x % 2 : 0][channel]
                }
            }
        }
        let output = Tensor(shape: shape.outputShape)
        try kernel.forward(constant, into: output)
        let area = shape.outHeight * shape.outWidth
        return (0..<shape.outChannels).map { o in
            var sum = 0.0
            for i in 0..<area { sum += Double(output.pointer[o * area + i]) }
            return Float(sum / Double(area))
        }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let input, let slot else {
            throw EngineError.invalidArgument(
                operation: "Conv2d backward", reason: "no training-mode forward to go back through")
        }
        if weight.trainable {
            try slot.kernel.accumulateWeightGradient(
                input: input, outputGradient: outputGradient, into: weight.gradient)
        }
        guard needsInputGradient else { return nil }
        let gradient = inputGradient.get(input.shape, input.format, input.dataType)
        try slot.kernel.backwardData(outputGradient: outputGradient, into: gradient)
        return gradient
    }
}

extension Layer {
    /// Every convolution below this layer, by its weight's state-dict name (`layer1.0.conv1.weight`).
    public func namedConvolutions() -> [(String, Conv2d)] {
        namedLayers().compactMap { name, layer in (layer as? Conv2d).map { (name + ".weight", $0) } }
    }
}
