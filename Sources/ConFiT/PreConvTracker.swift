import ConFiTEngine
import ConFiTNN

/// ConFiT's pre-convolution tracker: the running mean of a convolution's *input*, per
/// input channel, so that the post-convolution mean its BatchNorm needs can be recovered
/// later through the convolution's current weights (`recoveredMean()`).
///
/// Momentum 0.1 from zero, updated on every training-mode forward. A stride-2 convolution
/// sees its input in four parity phases, so it keeps four means, ordered (even row, even
/// col), (even, odd), (odd, even), (odd, odd); the input's spatial size is recorded.
public final class PreConvTracker {
    public let convolution: Conv2d
    public let momentum: Float
    /// [1 or 4][inChannels].
    public var means: [[Float]]
    /// The last training input's [N, C, H, W].
    public var inputShape: [Int]?
    public var isPhased: Bool { convolution.stride == 2 }
    private var recovery: (shape: ConvolutionShape, kernel: Convolution)?
    private var reduction: ChannelMeanReduction?

    /// Attaches to `convolution`, replacing any previous observer.
    public init(_ convolution: Conv2d, momentum: Float = 0.1) {
        self.convolution = convolution
        self.momentum = momentum
        means = Array(repeating: Array(repeating: 0, count: convolution.inChannels), count: convolution.stride == 2 ? 4 : 1)
        convolution.inputObserver = { [unowned self] input in try self.observe(input) }
    }

    func observe(_ input: Tensor) throws {
        if reduction?.shape != input.shape || reduction?.format != input.format {
            reduction = try ChannelMeanReduction(shape: input.shape, format: input.format, byParity: isPhased)
        }
        for (phase, values) in try reduction!(input).enumerated() {
            for (c, value) in values.enumerated() {
                means[phase][c] = (1 - momentum) * means[phase][c] + momentum * value
            }
        }
        inputShape = input.shape
    }

    /// E[conv(x)] = conv(E[x]) for a linear, bias-free convolution: the convolution, with
    /// its current weights and its real (zero) padding, applied to a constant map of the
    /// tracked means at the recorded input size, averaged over space.
    public func recoveredMean() throws -> [Float] {
        guard let inputShape else {
            throw EngineError.invalidArgument(operation: "recover running mean", reason: "the tracker has seen no training input")
        }
        let (c, h, w) = (inputShape[1], inputShape[2], inputShape[3])
        var shape = convolution.geometry(for: inputShape)
        shape.batch = 1
        if recovery?.shape != shape {
            recovery = (shape, try Convolution(shape, source: .plain, destination: .plain, training: false))
        }
        guard let kernel = recovery?.kernel else { return [] }
        try kernel.loadWeights(convolution.weight.value)
        let constant = Tensor(shape: [1, c, h, w])
        for channel in 0..<c {
            for y in 0..<h {
                for x in 0..<w {
                    let phase = isPhased ? (y % 2) * 2 + x % 2 : 0
                    constant.pointer[(channel * h + y) * w + x] = means[phase][channel]
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
}
