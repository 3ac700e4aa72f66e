import ConFiTEngine
import ConFiTIO

/// What a training step asks of an optimizer (PyTorch's `torch.optim.Optimizer`): update
/// the trainable parameters from their gradients, and hand over the state it keeps between
/// steps so that a checkpoint can hold it. Frozen parameters are neither read nor moved,
/// and keep their state, as PyTorch skips parameters without a gradient.
public protocol Optimizer: AnyObject {
    /// Everything the optimizer may update.
    var parameters: [Parameter] { get }
    /// One update of every trainable parameter.
    func step()
    /// The state kept for `parameter`, under PyTorch's names (`momentum_buffer`; `exp_avg`,
    /// `exp_avg_sq`, `step`); empty before its first step.
    func state(of parameter: Parameter) throws -> [String: HostTensor]
    /// Puts back what `state(of:)` returned (resuming a run).
    func setState(_ state: [String: HostTensor], of parameter: Parameter) throws
}

extension Optimizer {
    /// Zeroes the gradients of all its parameters (PyTorch's `zero_grad(set_to_none=False)`).
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }
}
