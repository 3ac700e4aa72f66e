import ConFiTEngine

/// PyTorch's `nn.ReLU(inplace=True)` / `nn.ReLU6(inplace=True)`: overwrites its input,
/// and goes backward from its output, so it costs no memory of its own.
public final class ActivationLayer: Layer, ComputeConfigurable {
    public var isTraining = true
    public let kind: Activation.Kind
    public var settings = ComputeSettings() { didSet { kernels = .init() } }
    private var kernels = KernelCache<Activation>()
    private var output: Tensor?
    private var kernel: Activation?

    public init(_ kind: Activation.Kind) { self.kind = kind }

    public static func relu() -> ActivationLayer { ActivationLayer(.relu) }
    public static func relu6() -> ActivationLayer { ActivationLayer(.relu6) }

    public func forward(_ input: Tensor) throws -> Tensor {
        let kernel = try kernels.get(input.shape, training: isTraining) {
            try Activation(
                kind, shape: input.shape, format: input.format, dataType: input.dataType, training: isTraining,
                profiler: settings.profiler)
        }
        try kernel.forward(input, into: input)
        (output, self.kernel) = isTraining ? (input, kernel) : (nil, nil)
        return input
    }

    /// Computed in place: the returned gradient is `outputGradient`'s storage.
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let output, let kernel else {
            throw EngineError.invalidArgument(
                operation: "\(kind) backward", reason: "no training-mode forward to go back through")
        }
        guard needsInputGradient else { return nil }
        try kernel.backward(output: output, outputGradient: outputGradient, into: outputGradient)
        return outputGradient
    }
}
