import ConFiTEngine

/// PyTorch's `nn.MaxPool2d(kernel, stride, padding)`.
public final class MaxPool2d: Layer, ComputeConfigurable {
    public var isTraining = true
    public let kernelSize: Int, stride: Int, padding: Int
    public var settings = ComputeSettings() { didSet { kernels = .init() } }
    private var kernels = KernelCache<Pooling>()
    private var output = Buffer(), inputGradient = Buffer()
    private var kernel: Pooling?

    public init(kernelSize: Int, stride: Int, padding: Int = 0) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride, padding)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let kernel = try kernels.get(input.shape, training: isTraining) {
            try Pooling(
                .max, inputShape: input.shape, kernel: kernelSize, stride: stride, padding: padding,
                format: input.format, dataType: input.dataType, training: isTraining, profiler: settings.profiler)
        }
        let out = output.get(kernel.outputShape, input.format, input.dataType)
        try kernel.forward(input, into: out)
        self.kernel = isTraining ? kernel : nil
        return out
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let kernel else {
            throw EngineError.invalidArgument(
                operation: "MaxPool2d backward", reason: "no training-mode forward to go back through")
        }
        guard needsInputGradient else { return nil }
        let gradient = inputGradient.get(kernel.inputShape, outputGradient.format, outputGradient.dataType)
        try kernel.backward(outputGradient: outputGradient, into: gradient)
        return gradient
    }
}
