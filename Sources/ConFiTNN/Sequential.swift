import ConFiTEngine

/// Layers run one after another, named "0", "1", ... as `torch.nn.Sequential`.
public final class Sequential: Layer {
    public var isTraining = true
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public var children: [(String, any Layer)] { layers.enumerated().map { (String($0.offset), $0.element) } }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardChain(layers, input) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try backwardChain(layers, outputGradient, needsInputGradient: needsInputGradient)
    }
}
