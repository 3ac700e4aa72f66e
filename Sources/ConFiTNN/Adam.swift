import ConFiTEngine
import ConFiTIO
import Foundation

/// PyTorch's `torch.optim.Adam` (amsgrad off, L2 weight decay added to the gradient) over
/// the parameters that are trainable at each `step()`. Each parameter counts its own steps,
/// as PyTorch's per-parameter `state["step"]` does, so one frozen for a while resumes its
/// bias correction where it left off.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public let parameters: [Parameter]
    private struct Moments {
        var step: Int
        let first: Tensor, second: Tensor
    }
    private var moments: [ObjectIdentifier: Moments] = [:]

    /// PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay.
    public init(
        parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0
    ) {
        (self.parameters, self.learningRate, self.beta1, self.beta2) = (parameters, learningRate, beta1, beta2)
        (self.epsilon, self.weightDecay) = (epsilon, weightDecay)
    }

    /// m ← lerp(m, g, 1 − β₁), v ← β₂·v + (1 − β₂)·g², p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε),
    /// with g = ∇ + weightDecay · p; the bias corrections in Double, as PyTorch computes them
    /// from a Python float step.
    public func step() {
        for p in parameters where p.trainable {
            let key = ObjectIdentifier(p)
            var state =
                moments[key]
                ?? Moments(step: 0, first: Tensor(shape: p.value.shape), second: Tensor(shape: p.value.shape))
            state.step += 1
            moments[key] = state
            let correction1 = 1 - pow(Double(beta1), Double(state.step))
            let correction2 = (1 - pow(Double(beta2), Double(state.step))).squareRoot()
            let (stepSize, root) = (Float(Double(learningRate) / correction1), Float(correction2))
            let (w, g, m, v) = (p.value.pointer, p.gradient.pointer, state.first.pointer, state.second.pointer)
            for i in 0..<p.value.count {
                let grad = g[i] + weightDecay * w[i]
                m[i] += (1 - beta1) * (grad - m[i])
                v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
                w[i] -= stepSize * m[i] / (v[i].squareRoot() / root + epsilon)
            }
            p.markChanged()
        }
    }

    public func state(of parameter: Parameter) throws -> [String: HostTensor] {
        guard let state = moments[ObjectIdentifier(parameter)] else { return [:] }
        let shape = parameter.value.shape
        return [
            "step": HostTensor(shape: [1], floats: [Float(state.step)]),
            "exp_avg": HostTensor(shape: shape, floats: try state.first.toArray()),
            "exp_avg_sq": HostTensor(shape: shape, floats: try state.second.toArray()),
        ]
    }

    public func setState(_ state: [String: HostTensor], of parameter: Parameter) throws {
        guard let step = state["step"]?.floats().first, let first = state["exp_avg"], let second = state["exp_avg_sq"]
        else {
            throw EngineError.invalidArgument(operation: "Adam state", reason: "needs step, exp_avg and exp_avg_sq")
        }
        let (m, v) = (Tensor(shape: parameter.value.shape), Tensor(shape: parameter.value.shape))
        try m.load(first.floats())
        try v.load(second.floats())
        moments[ObjectIdentifier(parameter)] = Moments(step: Int(step), first: m, second: v)
    }
}
