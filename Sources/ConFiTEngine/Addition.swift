import CDNNL

/// `output = a + b` over same-shaped tensors in one layout (residual connections and
/// the merging of their gradients). `output` may be `a`.
public final class Addition {
    public let shape: [Int]
    private let format: TensorFormat
    private let primitive: Primitive

    public init(shape: [Int], format: TensorFormat, profiler: Profiler? = nil) throws {
        (self.shape, self.format) = (shape, format)
        var md = memoryDescriptor(shape, format: format)
        var other = md, dst = md
        var desc = dnnl_binary_desc_t()
        try check(dnnl_binary_desc_init(&desc, dnnl_binary_add, &md, &other, &dst), "add \(shape)")
        primitive = try Primitive("add \(shape)", desc, profiler: profiler)
    }

    public func run(_ a: Tensor, _ b: Tensor, into output: Tensor) throws {
        for (t, what) in [(a, "first"), (b, "second"), (output, "output")] { try expect(t, shape, "add \(what) operand", format: format) }
        try primitive.execute([(DNNL_ARG_SRC_0, a), (DNNL_ARG_SRC_1, b), (DNNL_ARG_DST, output)])
    }
}
