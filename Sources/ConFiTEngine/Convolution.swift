import CDNNL

/// The oneDNN primitives of one convolution shape: forward, backward-data and
/// backward-weights, built on first use and reused for every later batch.
///
/// Activations use the layouts the caller gives; weights use whatever layout oneDNN
/// prefers, reordered from (and, for gradients, accumulated back into) PyTorch's OIHW.
/// With bfloat16 activations the kernels read bfloat16 weights — a rounded copy of the
/// float32 OIHW weights, made by the same reorder — and write float32 weight gradients.
public final class Convolution {
    public let shape: ConvolutionShape
    private let sourceFormat: TensorFormat
    private let destinationFormat: TensorFormat
    /// The element type of activations, their gradients and the weights the kernels read.
    public let dataType: DataType
    private let training: Bool
    private let algorithm: dnnl_alg_kind_t
    private let profiler: Profiler?
    private let forwardPrimitive: Primitive
    private let plainWeights: dnnl_memory_desc_t
    private let weightsToNative: Reorder
    /// The weights in the forward primitive's layout.
    private let nativeWeights: Tensor
    private var backwardData: (primitive: Primitive, weights: Tensor, reorder: Reorder)? = nil
    /// Counts `loadWeights` calls, so that backward-data reorders the weights into its own
    /// layout once per change rather than every step (frozen convolutions: never again).
    private var weightsGeneration = 0, backwardDataGeneration = -1
    private var weightGradient: WeightGradientKernel?
    /// GOIHW views of the OIHW weights and weight gradient of a grouped convolution.
    private var groupedViews: [(plain: Tensor, view: Tensor)] = []

    /// Builds the forward primitive; `training` selects oneDNN's forward-training kind,
    /// which backward primitives need as their hint. With `winograd`, a 3×3 stride-1
    /// convolution uses oneDNN's Winograd F(4×4, 3×3) kernels where it has them (blocked
    /// layout; direct otherwise): 1.6–2× faster than direct convolution here, and within
    /// 1e-5 of PyTorch on the parity fixture. Time goes to `profiler` when one is given.
    public init(
        _ shape: ConvolutionShape, source: TensorFormat, destination: TensorFormat, dataType: DataType = .float32,
        training: Bool, winograd: Bool = true, profiler: Profiler? = nil
    ) throws {
        self.shape = shape
        sourceFormat = source
        destinationFormat = destination
        self.dataType = dataType
        self.training = training
        self.profiler = profiler
        try Engine.shared.require(dataType)
        guard shape.inChannels % shape.groups == 0, shape.outChannels % shape.groups == 0 else {
            throw EngineError.invalidArgument(
                operation: shape.description, reason: "channels are not divisible by groups")
        }
        guard shape.outHeight > 0, shape.outWidth > 0 else {
            throw EngineError.invalidArgument(
                operation: shape.description, reason: "kernel larger than the padded input")
        }
        // oneDNN 2.6 has Winograd for float32 only.
        let candidates =
            winograd && dataType == .float32 && shape.kernel == 3 && shape.stride == 1 && shape.groups == 1
            ? [dnnl_convolution_winograd, dnnl_convolution_direct] : [dnnl_convolution_direct]
        var built: (Primitive, dnnl_alg_kind_t)?
        for algorithm in candidates where built == nil {
            var desc = dnnl_convolution_desc_t()
            var src = memoryDescriptor(shape.inputShape, format: source, dataType: dataType)
            var dst = memoryDescriptor(shape.outputShape, format: destination, dataType: dataType)
            var weights = memoryDescriptor(shape.engineWeightShape, format: .native, dataType: dataType)
            do {
                try withGeometry(shape) { strides, padL, padR in
                    try check(
                        dnnl_convolution_forward_desc_init(
                            &desc, training ? dnnl_forward_training : dnnl_forward_inference, algorithm,
                            &src, &weights, nil, &dst, strides, padL, padR), "\(shape) forward")
                }
                built = (try Primitive("\(shape) forward", desc, profiler: profiler), algorithm)
            } catch  where algorithm != dnnl_convolution_direct {
                continue
            }
        }
        guard let (primitive, algorithm) = built else {
            throw EngineError.invalidArgument(operation: "\(shape)", reason: "no convolution algorithm")
        }
        forwardPrimitive = primitive
        self.algorithm = algorithm
        plainWeights = memoryDescriptor(shape.engineWeightShape, format: .plain)
        let native = forwardPrimitive.memoryDescriptor(dnnl_query_weights_md)
        nativeWeights = Tensor(descriptor: native)
        weightsToNative = try Reorder(from: plainWeights, to: native, profiler: profiler)
    }

    /// Copies OIHW `weights` into the primitive's layout. Call after every change of the
    /// weights and before `forward` or `backwardData`.
    public func loadWeights(_ weights: Tensor) throws {
        try expect(weights, shape.weightShape, "\(shape) weights", format: .plain)
        try weightsToNative.run(try engineView(of: weights), nativeWeights)
        weightsGeneration += 1
    }

    /// `output = conv(input, weights)` with the weights last given to `loadWeights`.
    public func forward(_ input: Tensor, into output: Tensor) throws {
        try expect(input, shape.inputShape, "\(shape) input", format: sourceFormat, dataType: dataType)
        try expect(output, shape.outputShape, "\(shape) output", format: destinationFormat, dataType: dataType)
        try forwardPrimitive.execute([(DNNL_ARG_SRC, input), (DNNL_ARG_WEIGHTS, nativeWeights), (DNNL_ARG_DST, output)])
    }

    /// `inputGradient = convᵀ(outputGradient, weights)`.
    public func backwardData(outputGradient: Tensor, into inputGradient: Tensor) throws {
        try expect(
            outputGradient, shape.outputShape, "\(shape) output gradient", format: destinationFormat, dataType: dataType
        )
        try expect(inputGradient, shape.inputShape, "\(shape) input gradient", format: sourceFormat, dataType: dataType)
        let (primitive, weights, reorder) = try backwardDataPrimitive()
        if backwardDataGeneration != weightsGeneration {
            try reorder.run(nativeWeights, weights)
            backwardDataGeneration = weightsGeneration
        }
        try primitive.execute([
            (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DIFF_SRC, inputGradient),
        ])
    }

    /// Adds ∂loss/∂weights for this batch into the OIHW tensor `weightGradient`.
    public func accumulateWeightGradient(input: Tensor, outputGradient: Tensor, into weightGradient: Tensor) throws {
        try expect(input, shape.inputShape, "\(shape) input", format: sourceFormat, dataType: dataType)
        try expect(
            outputGradient, shape.outputShape, "\(shape) output gradient", format: destinationFormat, dataType: dataType
        )
        try expect(weightGradient, shape.weightShape, "\(shape) weight gradient", format: .plain)
        switch try weightGradientKernel() {
        case let .oneDNN(primitive, gradient, accumulate):
            try primitive.execute([
                (DNNL_ARG_SRC, input), (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_WEIGHTS, gradient),
            ])
            try accumulate.run(gradient, try engineView(of: weightGradient))
        case let .depthwise(kernel):
            Profiler.measure(profiler, "convolution backward_weights (depthwise, Swift)") {
                kernel.accumulate(input: input, outputGradient: outputGradient, into: weightGradient)
            }
        }
    }

    /// OIHW `tensor` as oneDNN's weight dims: itself when ungrouped, else a GOIHW view,
    /// made once per tensor (weights and their gradient) rather than every step.
    private func engineView(of tensor: Tensor) throws -> Tensor {
        guard shape.groups > 1 else { return tensor }
        if let cached = groupedViews.first(where: { $0.plain === tensor }) { return cached.view }
        let view = try tensor.viewed(as: shape.engineWeightShape)
        groupedViews.append((tensor, view))
        return view
    }

    private func backwardDataPrimitive() throws -> (Primitive, Tensor, Reorder) {
        if let built = backwardData { return built }
        try requireTraining("backward data")
        var desc = dnnl_convolution_desc_t()
        var diffSrc = memoryDescriptor(shape.inputShape, format: sourceFormat, dataType: dataType)
        var diffDst = memoryDescriptor(shape.outputShape, format: destinationFormat, dataType: dataType)
        var weights = memoryDescriptor(shape.engineWeightShape, format: .native, dataType: dataType)
        try withGeometry(shape) { strides, padL, padR in
            try check(
                dnnl_convolution_backward_data_desc_init(
                    &desc, algorithm, &diffSrc, &weights, &diffDst, strides, padL, padR), "\(shape) backward data")
        }
        let primitive = try Primitive("\(shape) backward data", desc, hint: forwardPrimitive)
        let md = primitive.memoryDescriptor(dnnl_query_weights_md)
        let built = (
            primitive, Tensor(descriptor: md), try Reorder(from: nativeWeights.descriptor, to: md, profiler: profiler)
        )
        backwardData = built
        return built
    }

    /// How weight gradients are computed: by oneDNN's primitive, written into its own
    /// layout and then added into OIHW; or, for depthwise shapes where oneDNN 2.6 has no
    /// depthwise kernel, by `DepthwiseWeightGradient`.
    private enum WeightGradientKernel {
        case oneDNN(Primitive, gradient: Tensor, accumulate: Reorder)
        case depthwise(DepthwiseWeightGradient)
    }

    private func weightGradientKernel() throws -> WeightGradientKernel {
        if let built = weightGradient { return built }
        try requireTraining("backward weights")
        var desc = dnnl_convolution_desc_t()
        var src = memoryDescriptor(shape.inputShape, format: sourceFormat, dataType: dataType)
        var diffDst = memoryDescriptor(shape.outputShape, format: destinationFormat, dataType: dataType)
        var diffWeights = memoryDescriptor(shape.engineWeightShape, format: .native)
        try withGeometry(shape) { strides, padL, padR in
            try check(
                dnnl_convolution_backward_weights_desc_init(
                    &desc, algorithm, &src, &diffWeights, nil, &diffDst, strides, padL, padR),
                "\(shape) backward weights")
        }
        let primitive = try Primitive("\(shape) backward weights", desc, hint: forwardPrimitive)
        let built: WeightGradientKernel
        if DepthwiseWeightGradient.handles(shape, format: sourceFormat), sourceFormat == destinationFormat,
            !primitive.implementation.hasPrefix("jit_dw")
        {
            built = .depthwise(DepthwiseWeightGradient(shape: shape, format: sourceFormat))
        } else {
            let md = primitive.memoryDescriptor(dnnl_query_diff_weights_md)
            let accumulate = try Reorder(from: md, to: plainWeights, accumulate: true, profiler: profiler)
            built = .oneDNN(primitive, gradient: Tensor(descriptor: md), accumulate: accumulate)
        }
        weightGradient = built
        return built
    }

    private func requireTraining(_ what: String) throws {
        guard training else {
            throw EngineError.invalidArgument(
                operation: "\(shape) \(what)", reason: "the convolution was built for inference")
        }
    }
}

/// Calls `body` with oneDNN's stride and left/right padding arrays for `shape`.
private func withGeometry(
    _ shape: ConvolutionShape,
    _ body: (UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>) throws -> Void
) throws {
    let strides: [Int64] = [Int64(shape.stride), Int64(shape.stride)]
    let padL: [Int64] = [Int64(shape.padTop), Int64(shape.padLeft)]
    let padR: [Int64] = [Int64(shape.padBottom), Int64(shape.padRight)]
    try body(strides, padL, padR)
}
