import CDNNL

/// `output = a + b` over same-shaped tensors in one layout (residual connections and
/// the merging of their gradients). `output` may be `a`.
public final class Addition {
    public let shape: [Int]
    private let format: TensorFormat
    public let dataType: DataType
    private let primitive: Primitive

    public init(shape: [Int], format: TensorFormat, dataType: DataType = .float32, profiler: Profiler? = nil) throws {
        (self.shape, self.format, self.dataType) = (shape, format, dataType)
        var md = memoryDescriptor(shape, format: format, dataType: dataType)
        var other = md, dst = md
        var desc = dnnl_binary_desc_t()
        try check(dnnl_binary_desc_init(&desc, dnnl_binary_add, &md, &other, &dst), "add \(shape)")
        primitive = try Primitive("add \(shape)", desc, profiler: profiler)
    }

    public func run(_ a: Tensor, _ b: Tensor, into output: Tensor) throws {
        for (t, what) in [(a, "first"), (b, "second"), (output, "output")] {
            try expect(t, shape, "add \(what) operand", format: format, dataType: dataType)
        }
        try primitive.execute([(DNNL_ARG_SRC_0, a), (DNNL_ARG_SRC_1, b), (DNNL_ARG_DST, output)])
    }
}
