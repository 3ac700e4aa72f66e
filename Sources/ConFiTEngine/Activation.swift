import CDNNL

/// oneDNN element-wise activations, computed in place if the caller passes the same
/// tensor as input and output. Backward uses the forward's *output*, as PyTorch's
/// in-place `ReLU(inplace=True)` does, so the input need not be kept.
public final class Activation {
    public enum Kind: String, Sendable {
        case relu
        /// min(max(x, 0), 6), with gradient 1 for 0 < x < 6 as PyTorch's hardtanh.
        case relu6
    }

    public let kind: Kind
    public let shape: [Int]
    private let format: TensorFormat
    public let dataType: DataType
    private let forwardPrimitive: Primitive
    private var backwardPrimitive: Primitive?

    public init(
        _ kind: Kind, shape: [Int], format: TensorFormat, dataType: DataType = .float32, training: Bool,
        profiler: Profiler? = nil
    ) throws {
        (self.kind, self.shape, self.format, self.dataType) = (kind, shape, format, dataType)
        var data = memoryDescriptor(shape, format: format, dataType: dataType)
        var desc = dnnl_eltwise_desc_t()
        let (alg, alpha, beta) = Activation.algorithm(kind)
        try check(
            dnnl_eltwise_forward_desc_init(
                &desc, training ? dnnl_forward_training : dnnl_forward_inference, alg, &data, alpha, beta),
            "\(kind) \(shape) forward")
        forwardPrimitive = try Primitive("\(kind) \(shape) forward", desc, profiler: profiler)
    }

    public func forward(_ input: Tensor, into output: Tensor) throws {
        try expect(input, shape, "\(kind) input", format: format, dataType: dataType)
        try expect(output, shape, "\(kind) output", format: format, dataType: dataType)
        try forwardPrimitive.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)])
    }

    /// `inputGradient = outputGradient ⊙ f′`, where f′ is read off the forward `output`.
    public func backward(output: Tensor, outputGradient: Tensor, into inputGradient: Tensor) throws {
        try expect(outputGradient, shape, "\(kind) output gradient", format: format, dataType: dataType)
        try expect(inputGradient, shape, "\(kind) input gradient", format: format, dataType: dataType)
        try backward().execute([
            (DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_SRC, inputGradient),
        ])
    }

    private func backward() throws -> Primitive {
        if let backwardPrimitive { return backwardPrimitive }
        var data = memoryDescriptor(shape, format: format, dataType: dataType)
        var diff = data
        var desc = dnnl_eltwise_desc_t()
        let (alg, alpha, beta) = Activation.algorithm(kind)
        try check(dnnl_eltwise_backward_desc_init(&desc, alg, &diff, &data, alpha, beta), "\(kind) \(shape) backward")
        let built = try Primitive("\(kind) \(shape) backward", desc, hint: forwardPrimitive)
        backwardPrimitive = built
        return built
    }

    private static func algorithm(_ kind: Kind) -> (dnnl_alg_kind_t, Float, Float) {
        switch kind {
        case .relu: (dnnl_eltwise_relu_use_dst_for_bwd, 0, 0)
        case .relu6: (dnnl_eltwise_clip_v2_use_dst_for_bwd, 0, 6)
        }
    }
}
