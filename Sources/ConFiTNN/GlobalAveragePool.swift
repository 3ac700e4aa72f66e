import ConFiTEngine

/// PyTorch's `nn.AdaptiveAvgPool2d(1)` followed by `flatten(1)`: [N, C, H, W] in the
/// activation layout and precision → plain float32 [N, C], ready for a `Linear` (the
/// reorder to plain converts bfloat16 to float32, and its gradient back).
public final class GlobalAveragePool: Layer, ComputeConfigurable {
    public var isTraining = true

    private final class Slot {
        let pooling: Pooling
        let pooled: Tensor, flat: Tensor, flatView: Tensor
        let toPlain: Reorder, fromPlain: Reorder
        let pooledGradient: Tensor, inputGradient: Tensor

        init(_ pooling: Pooling, format: TensorFormat, profiler: Profiler?) throws {
            self.pooling = pooling
            pooled = Tensor(shape: pooling.outputShape, format: format, dataType: pooling.dataType)
            pooledGradient = Tensor(shape: pooling.outputShape, format: format, dataType: pooling.dataType)
            inputGradient = Tensor(shape: pooling.inputShape, format: format, dataType: pooling.dataType)
            flat = Tensor(shape: pooling.outputShape)
            flatView = try flat.viewed(as: Array(pooling.outputShape.prefix(2)))
            toPlain = try Reorder(from: pooled, to: flat, profiler: profiler)
            fromPlain = try Reorder(from: flat, to: pooledGradient, profiler: profiler)
        }
    }
    public var settings = ComputeSettings() { didSet { slots = .init() } }
    private var slots = KernelCache<Slot>()
    private var slot: Slot?

    public init() {}

    public func forward(_ input: Tensor) throws -> Tensor {
        let slot = try slots.get(input.shape, training: isTraining) {
            let pooling = try Pooling.globalAverage(
                inputShape: input.shape, format: input.format, dataType: input.dataType,
                training: isTraining, profiler: settings.profiler)
            return try Slot(pooling, format: input.format, profiler: settings.profiler)
        }
        try slot.pooling.forward(input, into: slot.pooled)
        try slot.toPlain.run(slot.pooled, slot.flat)
        self.slot = isTraining ? slot : nil
        return slot.flatView
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let slot else {
            throw EngineError.invalidArgument(
                operation: "GlobalAveragePool backward", reason: "no training-mode forward to go back through")
        }
        guard needsInputGradient else { return nil }
        try slot.fromPlain.run(try outputGradient.viewed(as: slot.pooling.outputShape), slot.pooledGradient)
        try slot.pooling.backward(outputGradient: slot.pooledGradient, into: slot.inputGradient)
        return slot.inputGradient
    }
}
