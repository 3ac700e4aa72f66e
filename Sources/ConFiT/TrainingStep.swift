import ConFiTEngine
import ConFiTNN

/// One optimisation step on one batch, exactly as training runs it: zero the gradients,
/// forward, softmax cross-entropy over the task's classes only, backward through what is
/// trainable, SGD update. `confit bench` times this very step.
public final class TrainingStep {
    public let network: any Layer
    public let optimizer: SGD
    /// ∂loss/∂logits, allocated once per logit shape.
    private var gradients: [[Int]: Tensor] = [:]

    public init(network: any Layer, optimizer: SGD) {
        (self.network, self.optimizer) = (network, optimizer)
    }

    /// Trains on `input` with `labels` given as indices into `classes` and returns the
    /// batch's mean loss. A non-finite loss is returned before backward and the update, so
    /// the weights stay as they were for the caller to stop cleanly.
    public func callAsFunction(_ input: Tensor, classes: [Int], labels: [Int]) throws -> Float {
        optimizer.zeroGradients()
        let logits = try network.forward(input)
        let gradient = gradients[logits.shape] ?? Tensor(shape: logits.shape)
        gradients[logits.shape] = gradient
        let loss = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
        guard loss.isFinite else { return loss }
        _ = try network.backward(gradient, needsInputGradient: false)
        optimizer.step()
        return loss
    }
}
