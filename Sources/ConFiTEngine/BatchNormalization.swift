import CDNNL

/// oneDNN batch normalization over [N, C, H, W] activations with per-channel scale γ and
/// shift β: training-mode forward (batch statistics, or given ones when `frozenStatistics`),
/// inference forward (given statistics) and backward. Updating running statistics is the
/// layer's job.
///
/// With `fusedReLU` the output is relu(BN(x)) in the same pass (oneDNN's
/// `fuse_norm_relu`; training keeps a bit mask of the positive outputs for backward),
/// which saves an activation-sized read and write in each direction.
public final class BatchNormalization {
    public let shape: [Int]
    public let epsilon: Float
    public let fusedReLU: Bool
    private let forwardPrimitive: Primitive
    /// Which outputs the fused ReLU let through (training only).
    private let workspace: Tensor?
    private let training: Bool
    /// Training with the given statistics as constants (oneDNN's `use_global_stats` in both
    /// directions): PyTorch's eval-mode BN inside a network that trains.
    private let frozenStatistics: Bool
    private var backwardPrimitive: Primitive?
    private let format: TensorFormat
    /// The element type of the activations; scale, shift and statistics are float32.
    public let dataType: DataType
    /// Batch mean and biased batch variance of the last training forward.
    public let batchMean: Tensor, batchVariance: Tensor
    /// ∂loss/∂γ and ∂loss/∂β of the last backward: Σ dy·x̂ and Σ dy per channel.
    public let scaleGradient: Tensor, shiftGradient: Tensor

    public init(
        shape: [Int], format: TensorFormat, dataType: DataType = .float32, epsilon: Float, training: Bool,
        frozenStatistics: Bool = false, fusedReLU: Bool = false, profiler: Profiler? = nil
    ) throws {
        guard shape.count == 4 else {
            throw EngineError.invalidArgument(
                operation: "batch normalization", reason: "needs [N, C, H, W], got \(shape)")
        }
        self.shape = shape
        self.epsilon = epsilon
        self.training = training
        self.frozenStatistics = training && frozenStatistics
        self.format = format
        self.dataType = dataType
        self.fusedReLU = fusedReLU
        var data = memoryDescriptor(shape, format: format, dataType: dataType)
        var desc = dnnl_batch_normalization_desc_t()
        let flags = Self.flags(fusedReLU: fusedReLU, givenStatistics: !training || self.frozenStatistics)
        try check(
            dnnl_batch_normalization_forward_desc_init(
                &desc, training ? dnnl_forward_training : dnnl_forward_inference, &data, epsilon, flags),
            "batch norm \(shape) forward")
        forwardPrimitive = try Primitive("batch norm \(shape) forward", desc, profiler: profiler)
        workspace =
            training && fusedReLU ? Tensor(descriptor: forwardPrimitive.memoryDescriptor(dnnl_query_workspace_md)) : nil
        let channels = [shape[1]]
        (batchMean, batchVariance) = (Tensor(shape: channels), Tensor(shape: channels))
        (scaleGradient, shiftGradient) = (Tensor(shape: channels), Tensor(shape: channels))
    }

    /// Training: normalises with the batch statistics and leaves them in `batchMean` and
    /// `batchVariance`. Inference and frozen statistics: normalises with `mean` and `variance`.
    public func forward(
        _ input: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, into output: Tensor
    ) throws {
        try expect(input, shape, "batch norm input", format: format, dataType: dataType)
        try expect(output, shape, "batch norm output", format: format, dataType: dataType)
        let (m, v) = training && !frozenStatistics ? (batchMean, batchVariance) : (mean, variance)
        if frozenStatistics {
            try batchMean.copy(from: mean)
            try batchVariance.copy(from: variance)
        }
        try forwardPrimitive.execute(
            [
                (DNNL_ARG_SRC, input), (DNNL_ARG_DST, output), (DNNL_ARG_SCALE, scale),
                (DNNL_ARG_SHIFT, shift), (DNNL_ARG_MEAN, m), (DNNL_ARG_VARIANCE, v),
            ]
                + (workspace.map { [(DNNL_ARG_WORKSPACE, $0)] } ?? []))
    }

    /// Backward through a training-mode forward (batch statistics, or the frozen ones the
    /// forward was given, which are then constants), and through the fused
    /// ReLU if there is one (`outputGradient` is then the ReLU output's). Writes the input
    /// gradient when `inputGradient` is given and adds ∂loss/∂γ, ∂loss/∂β into
    /// `scaleGradient`/`shiftGradient` when those are given.
    public func backward(
        input: Tensor, outputGradient: Tensor, scale: Tensor, shift: Tensor, inputGradient: Tensor,
        accumulateScale: Tensor?, accumulateShift: Tensor?
    ) throws {
        guard training else {
            throw EngineError.invalidArgument(operation: "batch norm \(shape) backward", reason: "built for inference")
        }
        try expect(inputGradient, shape, "batch norm input gradient", format: format, dataType: dataType)
        try backward().execute(
            [
                (DNNL_ARG_SRC, input), (DNNL_ARG_MEAN, batchMean), (DNNL_ARG_VARIANCE, batchVariance),
                (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                (DNNL_ARG_DIFF_SRC, inputGradient), (DNNL_ARG_DIFF_SCALE, scaleGradient),
                (DNNL_ARG_DIFF_SHIFT, shiftGradient),
            ] + (workspace.map { [(DNNL_ARG_WORKSPACE, $0)] } ?? []))
        if let accumulateScale { add(scaleGradient, into: accumulateScale) }
        if let accumulateShift { add(shiftGradient, into: accumulateShift) }
    }

    /// Always oneDNN's full backward: 2.x has no data-only backward with scale and shift,
    /// and the γ/β gradients cost little next to the input gradient.
    private func backward() throws -> Primitive {
        if let backwardPrimitive { return backwardPrimitive }
        var data = memoryDescriptor(shape, format: format, dataType: dataType)
        var diff = data
        var desc = dnnl_batch_normalization_desc_t()
        try check(
            dnnl_batch_normalization_backward_desc_init(
                &desc, dnnl_backward, &diff, &data, epsilon,
                Self.flags(fusedReLU: fusedReLU, givenStatistics: frozenStatistics)),
            "batch norm \(shape) backward")
        let built = try Primitive("batch norm \(shape) backward", desc, hint: forwardPrimitive)
        backwardPrimitive = built
        return built
    }

    /// γ and β, the fused ReLU and given statistics when asked for.
    private static func flags(fusedReLU: Bool, givenStatistics: Bool) -> UInt32 {
        dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (fusedReLU ? dnnl_fuse_norm_relu.rawValue : 0)
            | (givenStatistics ? dnnl_use_global_stats.rawValue : 0)
    }
}
/// `destination += source`, element by element, for small plain tensors.
func add(_ source: Tensor, into destination: Tensor) {
    for i in 0..<destination.count { destination.pointer[i] += source.pointer[i] }
}
