import CDNNL

/// oneDNN batch normalization over [N, C, H, W] activations with per-channel scale γ and
/// shift β: training-mode forward (batch statistics), inference forward (given
/// statistics) and backward. Updating running statistics is the layer's job.
public final class BatchNormalization {
    public let shape: [Int]
    public let epsilon: Float
    private let forwardPrimitive: Primitive
    private let training: Bool
    private var backwardPrimitive: Primitive?
    private let format: TensorFormat
    /// Batch mean and biased batch variance of the last training forward.
    public let batchMean: Tensor, batchVariance: Tensor
    private let scaleGradient: Tensor, shiftGradient: Tensor

    public init(shape: [Int], format: TensorFormat, epsilon: Float, training: Bool) throws {
        guard shape.count == 4 else {
            throw EngineError.invalidArgument(operation: "batch normalization", reason: "needs [N, C, H, W], got \(shape)")
        }
        self.shape = shape
        self.epsilon = epsilon
        self.training = training
        self.format = format
        var data = memoryDescriptor(shape, format: format)
        var desc = dnnl_batch_normalization_desc_t()
        let flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (training ? 0 : dnnl_use_global_stats.rawValue)
        try check(dnnl_batch_normalization_forward_desc_init(
            &desc, training ? dnnl_forward_training : dnnl_forward_inference, &data, epsilon, flags), "batch norm \(shape) forward")
        forwardPrimitive = try Primitive("batch norm \(shape) forward", desc)
        let channels = [shape[1]]
        (batchMean, batchVariance) = (Tensor(shape: channels), Tensor(shape: channels))
        (scaleGradient, shiftGradient) = (Tensor(shape: channels), Tensor(shape: channels))
    }

    /// Training: normalises with the batch statistics and leaves them in `batchMean` and
    /// `batchVariance`. Inference: normalises with `mean` and `variance`.
    public func forward(_ input: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, into output: Tensor) throws {
        try expect(input, shape, "batch norm input", format: format)
        try expect(output, shape, "batch norm output", format: format)
        let (m, v) = training ? (batchMean, batchVariance) : (mean, variance)
        try forwardPrimitive.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output), (DNNL_ARG_SCALE, scale),
                                      (DNNL_ARG_SHIFT, shift), (DNNL_ARG_MEAN, m), (DNNL_ARG_VARIANCE, v)])
    }

    /// Backward through a training-mode forward (batch statistics). Writes the input
    /// gradient when `inputGradient` is given and adds ∂loss/∂γ, ∂loss/∂β into
    /// `scaleGradient`/`shiftGradient` when those are given.
    public func backward(input: Tensor, outputGradient: Tensor, scale: Tensor, shift: Tensor, inputGradient: Tensor,
                         accumulateScale: Tensor?, accumulateShift: Tensor?) throws {
        guard training else {
            throw EngineError.invalidArgument(operation: "batch norm \(shape) backward", reason: "built for inference")
        }
        try expect(inputGradient, shape, "batch norm input gradient", format: format)
        try backward().execute([(DNNL_ARG_SRC, input), (DNNL_ARG_MEAN, batchMean), (DNNL_ARG_VARIANCE, batchVariance),
                                (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                                (DNNL_ARG_DIFF_SRC, inputGradient), (DNNL_ARG_DIFF_SCALE, scaleGradient),
                                (DNNL_ARG_DIFF_SHIFT, shiftGradient)])
        if let accumulateScale { add(scaleGradient, into: accumulateScale) }
        if let accumulateShift { add(shiftGradient, into: accumulateShift) }
    }

    /// Always oneDNN's full backward: 2.x has no data-only backward with scale and shift,
    /// and the γ/β gradients cost little next to the input gradient.
    private func backward() throws -> Primitive {
        if let backwardPrimitive { return backwardPrimitive }
        var data = memoryDescriptor(shape, format: format)
        var diff = data
        var desc = dnnl_batch_normalization_desc_t()
        try check(dnnl_batch_normalization_backward_desc_init(
            &desc, dnnl_backward, &diff, &data, epsilon, dnnl_use_scale.rawValue | dnnl_use_shift.rawValue),
                  "batch norm \(shape) backward")
        let built = try Primitive("batch norm \(shape) backward", desc, hint: forwardPrimitive)
        backwardPrimitive = built
        return built
    }
}
/// `destination += source`, element by element, for small plain tensors.
func add(_ source: Tensor, into destination: Tensor) {
    for i in 0..<destination.count { destination.pointer[i] += source.pointer[i] }
}
