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

    /// In eval mode, each image's own BN as a channel affine — scale and shift [N, C, 1, 1]
    /// (`inferenceAffine` of the image's task) — instead of this layer's statistics, γ and
    /// β: one forward over images of several tasks' banks (`confit serve`). nil: this
    /// layer's own BN for every image.
    public var perImageAffine: (scale: Tensor, shift: Tensor)?

    public var settings = ComputeSettings() {
        didSet { (kernels, affineKernels) = (.init(), .init()) }
    }
    private var kernels = KernelCache<BatchNormalization>()
    private var affineKernels = KernelCache<PerImageChannelAffine>()
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

    /// Eval mode as one affine per channel, y = scale · x + shift: scale = γ / √(σ² + ε),
    /// shift = β − scale · μ, from the running statistics as they are now.
    public func inferenceAffine() throws -> (scale: [Float], shift: [Float]) {
        let (gamma, beta) = (try weight.value.toArray(), try bias.value.toArray())
        let (mean, variance) = (try runningMean.toArray(), try runningVariance.toArray())
        let scale = (0..<channels).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
        return (scale, (0..<channels).map { beta[$0] - scale[$0] * mean[$0] })
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(String, Tensor)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func forward(_ input: Tensor) throws -> Tensor {
        try layerInput("BatchNorm2d(\(channels))", input, rank: 4, channels: channels)
        let frozen = isTraining && freezesStatistics
        let out = output.get(input.shape, input.format, input.dataType)
        synchronized = isTraining && !frozen && settings.sharedWith != nil
        if synchronized, let group = settings.sharedWith {
            try synchronizedForward(input, over: group, into: out)
            return out
        }
        if !isTraining, let (scale, shift) = perImageAffine {
            let affine = try affineKernels.get(input.shape, variant: 0) {
                try PerImageChannelAffine(
                    shape: input.shape, format: input.format, dataType: input.dataType, fusedReLU: fusesReLU,
                    profiler: settings.profiler)
            }
            try affine.run(input, scale: scale, shift: shift, into: out)
            (self.input, self.kernel) = (nil, nil)
            return out
        }
        let kernel = try kernel(input, frozen: frozen)
        try kernel.forward(
            input, scale: weight.value, shift: bias.value, mean: runningMean, variance: runningVariance, into: out)
        if isTraining {
            if !frozen { updateRunningStatistics(kernel, elementsPerChannel: input.count / channels) }
            (self.input, self.kernel) = (input, kernel)
        } else {
            (self.input, self.kernel) = (nil, nil)
        }
        return out
    }

    private func kernel(_ input: Tensor, frozen: Bool) throws -> BatchNormalization {
        try kernels.get(input.shape, variant: frozen ? 2 : isTraining ? 1 : 0) {
            try BatchNormalization(
                shape: input.shape, format: input.format, dataType: input.dataType, epsilon: epsilon,
                training: isTraining,
                frozenStatistics: frozen, fusedReLU: fusesReLU, profiler: settings.profiler)
        }
    }

    /// Synchronised BN: this shard's statistics, combined with every other shard's (equal
    /// shards; Chan's formula, in Double, in rank order, so every process gets the same
    /// values), then normalisation with the whole batch's statistics, held as given for
    /// the backward pass, which `synchronizedBackward` completes.
    private func synchronizedForward(_ input: Tensor, over group: any ProcessGroup, into out: Tensor) throws {
        let local = try kernel(input, frozen: false)
        try local.forward(
            input, scale: weight.value, shift: bias.value, mean: runningMean, variance: runningVariance, into: out)
        let shards = try group.allGather(
            (0..<channels).map { Double(local.batchMean.pointer[$0]) }
                + (0..<channels).map { Double(local.batchVariance.pointer[$0]) })
        let statistics = synchronizedStatistics ?? (Tensor(shape: [channels]), Tensor(shape: [channels]))
        synchronizedStatistics = statistics
        for c in 0..<channels {
            let means = (0..<group.size).map { shards[$0 * 2 * channels + c] }
            let mean = means.reduce(0, +) / Double(group.size)
            let variance =
                (0..<group.size).map {
                    shards[$0 * 2 * channels + channels + c] + (means[$0] - mean) * (means[$0] - mean)
                }
                .reduce(0, +) / Double(group.size)
            (statistics.mean.pointer[c], statistics.variance.pointer[c]) = (Float(mean), Float(variance))
        }
        let given = try kernel(input, frozen: true)
        try given.forward(
            input, scale: weight.value, shift: bias.value, mean: statistics.mean, variance: statistics.variance,
            into: out)
        updateRunningStatistics(given, elementsPerChannel: input.count / channels * group.size)
        (self.input, self.kernel) = (input, given)
    }

    /// The whole batch's mean and biased variance while synchronised (`synchronizedForward`).
    private var synchronizedStatistics: (mean: Tensor, variance: Tensor)?
    /// Whether the last forward was synchronised, so its backward must be too.
    private var synchronized = false

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
            throw EngineError.invalidArgument(
                operation: "BatchNorm2d backward", reason: "no training-mode forward to go back through")
        }
        let gradient = inputGradient.get(input.shape, input.format, input.dataType)
        try kernel.backward(
            input: input, outputGradient: outputGradient, scale: weight.value, shift: bias.value,
            inputGradient: gradient,
            accumulateScale: weight.trainable ? weight.gradient : nil,
            accumulateShift: bias.trainable ? bias.gradient : nil)
        if synchronized, let statistics = synchronizedStatistics, let group = settings.sharedWith {
            try synchronizedBackward(kernel, input: input, gradient: gradient, statistics: statistics, over: group)
        }
        return needsInputGradient ? gradient : nil
    }

    /// Completes the input gradient of a synchronised forward. The kernel held the whole
    /// batch's statistics constant: dx′ = γ/σ·dy. Through the statistics,
    /// dx = γ/σ·(dy − Σdy/N − x̂·Σ(dy·x̂)/N) with the sums and N over every shard, which is
    /// dx′ plus a per-channel affine function of x. (γ's and β's gradients stay this shard's
    /// sums: averaging gradients over the processes completes them, as for every parameter.)
    private func synchronizedBackward(
        _ kernel: BatchNormalization, input: Tensor, gradient: Tensor,
        statistics: (mean: Tensor, variance: Tensor), over group: any ProcessGroup
    ) throws {
        var sums =
            (0..<channels).map { kernel.shiftGradient.pointer[$0] }
            + (0..<channels).map { kernel.scaleGradient.pointer[$0] }
        try sums.withUnsafeMutableBufferPointer { try group.allReduceSum($0) }
        let total = Float(input.count / channels * group.size)
        var (scale, shift) = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
        for c in 0..<channels {
            let sigma = (statistics.variance.pointer[c] + epsilon).squareRoot()
            let k = weight.value.pointer[c] / sigma
            let (meanDy, meanDyXhat) = (sums[c] / total, sums[channels + c] / total)
            scale[c] = -k * meanDyXhat / sigma
            shift[c] = -k * (meanDy - statistics.mean.pointer[c] * meanDyXhat / sigma)
        }
        try gradient.addChannelAffine(of: input, scale: scale, shift: shift)
    }
}

extension Layer {
    /// Sets `freezesStatistics` on every BatchNorm2d below this layer.
    public func freezeNormalizationStatistics(_ on: Bool = true) {
        for case let (_, norm as BatchNorm2d) in namedLayers() { norm.freezesStatistics = on }
    }
}
