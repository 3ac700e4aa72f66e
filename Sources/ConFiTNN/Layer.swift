import ConFiTEngine

/// A network layer with explicit forward and backward passes (llm.c, Caffe), not a
/// general autograd.
///
/// `forward` in training mode keeps what `backward` needs (usually references to its
/// input and output buffers, which stay valid until the next forward). `backward` takes
/// ∂loss/∂output, accumulates gradients of *trainable* parameters only, and returns
/// ∂loss/∂input only when `needsInputGradient` — i.e. when some layer below still has
/// trainable parameters. Returned tensors are buffers owned by the layer and are
/// overwritten by its next call.
public protocol Layer: AnyObject {
    /// PyTorch's `training` flag: batch statistics in BatchNorm, state kept for backward.
    var isTraining: Bool { get set }
    func forward(_ input: Tensor) throws -> Tensor
    func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor?
    /// This layer's own parameters, by their PyTorch names (`weight`, `bias`).
    var ownParameters: [(String, Parameter)] { get }
    /// This layer's own non-trainable state (`running_mean`, `running_var`).
    var ownBuffers: [(String, Tensor)] { get }
    /// Sub-layers by their PyTorch attribute names (`conv1`, `layer1`, `0`).
    var children: [(String, any Layer)] { get }
}

extension Layer {
    public var ownParameters: [(String, Parameter)] { [] }
    public var ownBuffers: [(String, Tensor)] { [] }
    public var children: [(String, any Layer)] { [] }

    /// Every parameter below this layer with its dotted state-dict name.
    public func namedParameters(prefix: String = "") -> [(String, Parameter)] {
        ownParameters.map { (prefix + $0.0, $0.1) }
            + children.flatMap { $0.1.namedParameters(prefix: prefix + $0.0 + ".") }
    }

    /// Every buffer below this layer with its dotted state-dict name.
    public func namedBuffers(prefix: String = "") -> [(String, Tensor)] {
        ownBuffers.map { (prefix + $0.0, $0.1) }
            + children.flatMap { $0.1.namedBuffers(prefix: prefix + $0.0 + ".") }
    }

    /// Every layer below and including this one, with its dotted name.
    public func namedLayers(prefix: String = "") -> [(String, any Layer)] {
        [(prefix.isEmpty ? "" : String(prefix.dropLast()), self)]
            + children.flatMap { $0.1.namedLayers(prefix: prefix + $0.0 + ".") }
    }

    /// Whether any parameter below this layer is trainable.
    public var hasTrainableParameters: Bool {
        ownParameters.contains { $0.1.trainable } || children.contains { $0.1.hasTrainableParameters }
    }

    /// PyTorch's `module.train()`: training mode for this layer and all below.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, child) in children { child.train(on) }
    }

    /// PyTorch's `module.eval()`.
    public func eval() { train(false) }
}

/// Runs `layers` forward in order.
func forwardChain(_ layers: [any Layer], _ input: Tensor) throws -> Tensor {
    try layers.reduce(input) { try $1.forward($0) }
}

/// Runs `layers` (in forward order) backward, stopping at the first layer from the top
/// below which nothing needs a gradient: a layer computes its input gradient only if a
/// layer below it has trainable parameters or the caller needs the chain's input gradient.
func backwardChain(_ layers: [any Layer], _ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
    var trainableBelow = [Bool](repeating: needsInputGradient, count: layers.count)
    for i in layers.indices.dropFirst() {
        trainableBelow[i] = trainableBelow[i - 1] || layers[i - 1].hasTrainableParameters
    }
    var gradient: Tensor? = outputGradient
    for i in layers.indices.reversed() {
        guard let g = gradient else { return nil }
        if !trainableBelow[i] && !layers[i].hasTrainableParameters { return nil }
        gradient = try layers[i].backward(g, needsInputGradient: trainableBelow[i])
    }
    return gradient
}
