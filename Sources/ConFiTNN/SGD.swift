import ConFiTEngine
import ConFiTIO

/// PyTorch's `torch.optim.SGD` (dampening 0, no Nesterov) over the parameters that are
/// trainable at the time of each `step()`; frozen parameters are neither read nor moved.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, weightDecay: Float
    public let parameters: [Parameter]
    /// Momentum buffers, created at a parameter's first step as PyTorch does (buf = g).
    private var velocity: [ObjectIdentifier: Tensor] = [:]

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        (self.parameters, self.learningRate, self.momentum, self.weightDecay) = (
            parameters, learningRate, momentum, weightDecay
        )
    }

    /// p ← p − lr · (v), v = momentum · v + (g + weightDecay · p).
    public func step() {
        for p in parameters where p.trainable {
            let (w, g, n) = (p.value.pointer, p.gradient.pointer, p.value.count)
            if momentum == 0 {
                for i in 0..<n { w[i] -= learningRate * (g[i] + weightDecay * w[i]) }
            } else if let v = velocity[ObjectIdentifier(p)]?.pointer {
                for i in 0..<n {
                    v[i] = momentum * v[i] + g[i] + weightDecay * w[i]
                    w[i] -= learningRate * v[i]
                }
            } else {
                let buffer = Tensor(shape: p.value.shape)
                let v = buffer.pointer
                for i in 0..<n {
                    v[i] = g[i] + weightDecay * w[i]
                    w[i] -= learningRate * v[i]
                }
                velocity[ObjectIdentifier(p)] = buffer
            }
            p.markChanged()
        }
    }

    /// The momentum buffer of `parameter`, if it has taken a step with momentum.
    public func velocity(of parameter: Parameter) -> Tensor? { velocity[ObjectIdentifier(parameter)] }

    /// Restores a momentum buffer (resuming a run).
    public func setVelocity(_ values: [Float], of parameter: Parameter) throws {
        let buffer = Tensor(shape: parameter.value.shape)
        try buffer.load(values)
        velocity[ObjectIdentifier(parameter)] = buffer
    }

    public func state(of parameter: Parameter) throws -> [String: HostTensor] {
        guard let v = velocity(of: parameter) else { return [:] }
        return ["momentum_buffer": HostTensor(shape: v.shape, floats: try v.toArray())]
    }

    public func setState(_ state: [String: HostTensor], of parameter: Parameter) throws {
        if let buffer = state["momentum_buffer"] { try setVelocity(buffer.floats(), of: parameter) }
    }
}
