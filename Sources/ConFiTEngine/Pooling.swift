import CDNNL

/// oneDNN pooling over [N, C, H, W]: max pooling (with the workspace its backward needs)
/// and average pooling, which with a kernel the size of the input is global average
/// pooling.
public final class Pooling {
    public enum Kind: Sendable { case max, average }

    public let inputShape: [Int], outputShape: [Int]
    private let forwardPrimitive: Primitive
    private var backwardPrimitive: Primitive?
    private let workspace: Tensor?
    private let format: TensorFormat
    public let dataType: DataType
    private let kind: Kind, kernel: [Int64], stride: [Int64], padding: [Int64]
    private let training: Bool

    /// Square `kernel` × `kernel` pooling with equal stride and padding on both axes.
    public convenience init(
        _ kind: Kind, inputShape: [Int], kernel: Int, stride: Int, padding: Int,
        format: TensorFormat, dataType: DataType = .float32, training: Bool, profiler: Profiler? = nil
    ) throws {
        try self.init(
            kind, inputShape: inputShape, kernel: [kernel, kernel], stride: stride, padding: padding,
            format: format, dataType: dataType, training: training, profiler: profiler)
    }

    /// Average over all of H × W: [N, C, H, W] → [N, C, 1, 1].
    public static func globalAverage(
        inputShape: [Int], format: TensorFormat, dataType: DataType = .float32, training: Bool,
        profiler: Profiler? = nil
    ) throws -> Pooling {
        guard inputShape.count == 4 else {
            throw EngineError.invalidArgument(
                operation: "global average pooling", reason: "needs [N, C, H, W], got \(inputShape)")
        }
        return try Pooling(
            .average, inputShape: inputShape, kernel: [inputShape[2], inputShape[3]], stride: 1, padding: 0,
            format: format, dataType: dataType, training: training, profiler: profiler)
    }

    private init(
        _ kind: Kind, inputShape: [Int], kernel: [Int], stride: Int, padding: Int, format: TensorFormat,
        dataType: DataType, training: Bool, profiler: Profiler?
    ) throws {
        guard inputShape.count == 4 else {
            throw EngineError.invalidArgument(operation: "pooling", reason: "needs [N, C, H, W], got \(inputShape)")
        }
        (self.kind, self.format, self.dataType, self.training) = (kind, format, dataType, training)
        (self.kernel, self.stride, self.padding) = (
            kernel.map(Int64.init), [Int64(stride), Int64(stride)], [Int64(padding), Int64(padding)]
        )
        self.inputShape = inputShape
        let out = { (size: Int, k: Int) in (size + 2 * padding - k) / stride + 1 }
        outputShape = [inputShape[0], inputShape[1], out(inputShape[2], kernel[0]), out(inputShape[3], kernel[1])]
        guard outputShape[2] > 0, outputShape[3] > 0 else {
            throw EngineError.invalidArgument(
                operation: "pooling \(inputShape)", reason: "kernel \(kernel) larger than the padded input")
        }
        var desc = dnnl_pooling_desc_t()
        var src = memoryDescriptor(inputShape, format: format, dataType: dataType)
        var dst = memoryDescriptor(outputShape, format: format, dataType: dataType)
        try check(
            dnnl_pooling_forward_desc_init(
                &desc, training ? dnnl_forward_training : dnnl_forward_inference,
                kind == .max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding, &src, &dst, self.stride,
                self.kernel,
                self.padding, self.padding), "pooling \(inputShape) forward")
        forwardPrimitive = try Primitive("pooling \(inputShape) forward", desc, profiler: profiler)
        let ws = forwardPrimitive.memoryDescriptor(dnnl_query_workspace_md)
        workspace = training && kind == .max && ws.ndims > 0 ? Tensor(descriptor: ws) : nil
    }

    public func forward(_ input: Tensor, into output: Tensor) throws {
        try expect(input, inputShape, "pooling input", format: format, dataType: dataType)
        try expect(output, outputShape, "pooling output", format: format, dataType: dataType)
        var args: [(Int32, Tensor)] = [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        try forwardPrimitive.execute(args)
    }

    /// Input gradient from the output gradient (max pooling routes it through the
    /// workspace the last training forward recorded).
    public func backward(outputGradient: Tensor, into inputGradient: Tensor) throws {
        try expect(outputGradient, outputShape, "pooling output gradient", format: format, dataType: dataType)
        try expect(inputGradient, inputShape, "pooling input gradient", format: format, dataType: dataType)
        var args: [(Int32, Tensor)] = [(DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_SRC, inputGradient)]
        if let workspace { args.append((DNNL_ARG_WORKSPACE, workspace)) }
        try backward().execute(args)
    }

    private func backward() throws -> Primitive {
        if let backwardPrimitive { return backwardPrimitive }
        guard training else {
            throw EngineError.invalidArgument(
                operation: "pooling \(inputShape) backward", reason: "built for inference")
        }
        var desc = dnnl_pooling_desc_t()
        var diffSrc = memoryDescriptor(inputShape, format: format, dataType: dataType)
        var diffDst = memoryDescriptor(outputShape, format: format, dataType: dataType)
        try check(
            dnnl_pooling_backward_desc_init(
                &desc, kind == .max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding, &diffSrc, &diffDst,
                stride, kernel, padding, padding), "pooling \(inputShape) backward")
        let built = try Primitive("pooling \(inputShape) backward", desc, hint: forwardPrimitive)
        backwardPrimitive = built
        return built
    }
}
