import ConFiTEngine

/// PyTorch's `nn.BatchNorm2d(channels, eps, momentum)`: batch statistics in training
/// mode, updating the running mean and the running *unbiased* variance with `momentum`;
/// running statistics in eval mode.
///
/// `fusingReLU` makes it `BatchNorm2d` followed by `ReLU(inplace=True)` in one oneDNN
/// pass, for networks where a ReLU directly follows (it has no state-dict keys of its own).
public final class BatchNorm2d: Layer, ComputeConfigurable {
    public var isTraining = true
    /// In train mode, normalise with the running statistics and leave them as they are,
    /// while backward still runs: PyTorch's BN in eval mode inside a network that trains
    /// (PackNet's and Piggyback's frozen BN). Eval mode ignores it.
    public var freezesStatistics = false
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    /// Whether the output is relu(BN(x)).
    public let fusesReLU: Bool
    /// γ and β.
    public let weight: Parameter, bias: Parameter
    public let runningMean: Tensor, runningVariance: Tensor
    /// Training-mode forwards seen so far (PyTorch's `num_batches_tracked`).
    public private(set) var batchesTracked = 0

    public var settings = ComputeSettings() { didSet { kernels = .init() } }
    private var kernels = KernelCache<BatchNormalization>()
    private var output = Buffer(), inputGradient = Buffer()
    private var input: Tensor?
    private var kernel: BatchNormalization?

    public init(_ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, fusingReLU: Bool = false) {
        (self.channels, self.epsilon, self.momentum, fusesReLU) = (channels, epsilon, momentum, fusingReLU)
        weight = Parameter(shape: [channels])
        bias = Parameter(shape: [channels])
        for i in 0..<channels { weight.value.pointer[i] = 1 }
        runningMean = Tensor(shape: [channels])
        runningVariance = Tensor(shape: [channels])
        for i in 0..<channels { runningVariance.pointer[i] = 1 }
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(String, Tensor)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func forward(_ input: Tensor) throws -> Tensor {
        try layerInput("BatchNorm2d(\(channels))", input, rank: 4, channels: channels)
        let frozen = isTraining && freezesStatistics
        let kernel = try kernels.get(input.shape, variant: frozen ? 2 : isTraining ? 1 : 0) {
            try BatchNormalization(shape: input.shape, format: input.format, epsilon: epsilon, training: isTraining,
                                   frozenStatistics: frozen, fusedReLU: fusesReLU, profiler: settings.profiler)
        }
        let out = output.get(input.shape, input.format)
        try kernel.forward(input, scale: weight.value, shift: bias.value, mean: runningMean, variance: runningVariance, into: out)
        if isTraining {
            if !frozen { updateRunningStatistics(kernel, elementsPerChannel: input.count / channels) }
            (self.input, self.kernel) = (input, kernel)
        } else {
            (self.input, self.kernel) = (nil, nil)
        }
        return out
    }

    /// running ← (1 − momentum)·running + momentum·batch, with the batch variance made
    /// unbiased (× n / (n − 1)) as PyTorch does.
    private func updateRunningStatistics(_ kernel: BatchNormalization, elementsPerChannel n: Int) {
        let unbias = n > 1 ? Float(n) / Float(n - 1) : 1
        let (mean, variance) = (kernel.batchMean.pointer, kernel.batchVariance.pointer)
        for c in 0..<channels {
            runningMean.pointer[c] = (1 - momentum) * runningMean.pointer[c] + momentum * mean[c]
            runningVariance.pointer[c] = (1 - momentum) * runningVariance.pointer[c] + momentum * variance[c] * unbias
        }
        batchesTracked += 1
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let input, let kernel else {
            throw EngineError.invalidArgument(operation: "BatchNorm2d backward", reason: "no training-mode forward to go back through")
        }
        let gradient = inputGradient.get(input.shape, input.format)
        try kernel.backward(input: input, outputGradient: outputGradient, scale: weight.value, shift: bias.value,
                            inputGradient: gradient,
                            accumulateScale: weight.trainable ? weight.gradient : nil,
                            accumulateShift: bias.trainable ? bias.gradient : nil)
        return needsInputGradient ? gradient : nil
    }
}

extension Layer {
    /// Sets `freezesStatistics` on every BatchNorm2d below this layer.
    public func freezeNormalizationStatistics(_ on: Bool = true) {
        for case let (_, norm as BatchNorm2d) in namedLayers() { norm.freezesStatistics = on }
    }
}
