import CDNNL

/// `output[n, c, h, w] = input[n, c, h, w] · scale[n, c] + shift[n, c]`, then ReLU when
/// fused: batch normalization in inference when every image of the batch has its own
/// statistics, γ and β — images of different tasks' banks in one batch (`confit serve`).
/// Two oneDNN binary primitives broadcasting the [N, C, 1, 1] scale and shift over the
/// image; the ReLU is a post-op of the second.
public final class PerImageChannelAffine {
    public let shape: [Int]
    public let fusedReLU: Bool
    private let format: TensorFormat
    private let dataType: DataType
    private let multiply: Primitive, add: Primitive

    public init(
        shape: [Int], format: TensorFormat, dataType: DataType = .float32, fusedReLU: Bool = false,
        profiler: Profiler? = nil
    ) throws {
        guard shape.count == 4 else {
            throw EngineError.invalidArgument(operation: "per-image affine", reason: "needs [N, C, H, W], got \(shape)")
        }
        (self.shape, self.format, self.dataType, self.fusedReLU) = (shape, format, dataType, fusedReLU)
        var data = memoryDescriptor(shape, format: format, dataType: dataType)
        var affine = memoryDescriptor(Self.affineShape(shape), format: .plain)
        var output = data
        var desc = dnnl_binary_desc_t()
        try check(dnnl_binary_desc_init(&desc, dnnl_binary_mul, &data, &affine, &output), "per-image scale \(shape)")
        multiply = try Primitive("per-image scale \(shape)", desc, profiler: profiler)
        try check(dnnl_binary_desc_init(&desc, dnnl_binary_add, &data, &affine, &output), "per-image shift \(shape)")
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "per-image shift attribute")
        defer { dnnl_primitive_attr_destroy(attr) }
        if fusedReLU {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "per-image shift post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op")
            try check(dnnl_primitive_attr_set_post_ops(attr, postOps), "per-image shift post-ops")
        }
        add = try Primitive("per-image shift \(shape)", desc, attr: attr, profiler: profiler)
    }

    /// The shape of `scale` and `shift` for activations of `shape`: [N, C, 1, 1].
    public static func affineShape(_ shape: [Int]) -> [Int] { [shape[0], shape[1], 1, 1] }

    /// `output` may be `input`.
    public func run(_ input: Tensor, scale: Tensor, shift: Tensor, into output: Tensor) throws {
        try expect(input, shape, "per-image affine input", format: format, dataType: dataType)
        try expect(output, shape, "per-image affine output", format: format, dataType: dataType)
        for (tensor, what) in [(scale, "scale"), (shift, "shift")] {
            try expect(tensor, Self.affineShape(shape), "per-image \(what)", format: .plain, dataType: .float32)
        }
        try multiply.execute([(DNNL_ARG_SRC_0, input), (DNNL_ARG_SRC_1, scale), (DNNL_ARG_DST, output)])
        try add.execute([(DNNL_ARG_SRC_0, output), (DNNL_ARG_SRC_1, shift), (DNNL_ARG_DST, output)])
    }
}
