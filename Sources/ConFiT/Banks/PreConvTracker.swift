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

    /// Attaches to `convolution`, replacing any previous observer of its input.
    public init(_ convolution: Conv2d, momentum: Float = 0.1) {
        self.convolution = convolution
        self.momentum = momentum
        means = Array(
            repeating: Array(repeating: 0, count: convolution.inChannels), count: convolution.stride == 2 ? 4 : 1)
        convolution.inputMeansObserver = (
            isPhased, { [unowned self] means, shape in self.update(means, inputShape: shape) }
        )
    }

    private func update(_ batchMeans: [[Float]], inputShape shape: [Int]) {
        for (phase, values) in batchMeans.enumerated() {
            for (c, value) in values.enumerated() {
                means[phase][c] = (1 - momentum) * means[phase][c] + momentum * value
            }
        }
        inputShape = shape
    }

    /// E[conv(x)] = conv(E[x]) for a linear, bias-free convolution: the convolution, with
    /// its current weights and its real (zero) padding, applied to a constant map of the
    /// tracked means at the recorded input size, averaged over space.
    public func recoveredMean() throws -> [Float] {
        guard let inputShape else {
            throw ConFiTError.invalidConfiguration(
                "cannot recover a running mean: the tracker has seen no training input")
        }
        return try convolution.meanOutput(forConstantInput: means, inputShape: inputShape)
    }
}
