import ConFiTEngine

/// A trainable tensor of a layer, with its gradient and a `trainable` switch.
///
/// Schedules (e.g. ConFiT's hierarchical fine-tuning) flip `trainable`; backward passes
/// compute and accumulate gradients only for trainable parameters, and optimizers update
/// only those. `version` counts changes of `value`, so layers that keep the weights in a
/// kernel-specific layout know when to convert them again.
public final class Parameter {
    /// The values, plain row-major in PyTorch's shape.
    public let value: Tensor
    /// Whether backward computes a gradient for it and optimizers update it.
    public var trainable = true
    /// Bumped by `markChanged()`; compared by layers that cache converted weights.
    public private(set) var version = 0
    private var storedGradient: Tensor?

    public init(_ value: Tensor) { self.value = value }

    /// Zero-filled parameter of `shape`.
    public convenience init(shape: [Int]) { self.init(Tensor(shape: shape)) }

    /// ∂loss/∂value accumulated since the last `zeroGradient()`, allocated on first use.
    public var gradient: Tensor {
        if let storedGradient { return storedGradient }
        let g = Tensor(shape: value.shape)
        storedGradient = g
        return g
    }

    public func zeroGradient() { storedGradient?.zero() }

    /// Records that `value` was written (by an optimizer step or a load).
    public func markChanged() { version &+= 1 }
}
