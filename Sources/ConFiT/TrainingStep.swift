import ConFiTEngine
import ConFiTNN

/// One optimisation step on one batch, exactly as training runs it: zero the gradients,
/// forward, softmax cross-entropy over the task's classes only plus the strategy's loss
/// term, backward through what is trainable, the strategy's parameter terms, SGD update.
/// `confit bench` times this very step.
public final class TrainingStep {
    public let network: any Layer
    public let optimizer: SGD
    /// ∂loss/∂logits, allocated once per logit shape.
    private var gradients: [[Int]: Tensor] = [:]

    public init(network: any Layer, optimizer: SGD) {
        (self.network, self.optimizer) = (network, optimizer)
    }

    /// Trains on `input` with `labels` given as indices into `classes` and returns the
    /// batch's mean loss: the cross-entropy, plus what `addLoss` returns (it adds its
    /// ∂/∂logits to the gradient it is given, before backward) and what `finishGradients`
    /// returns (it adjusts parameter gradients after backward, before the update). A
    /// non-finite loss is returned before the update, so the weights stay as they were for
    /// the caller to stop cleanly.
    public func callAsFunction(_ input: Tensor, classes: [Int], labels: [Int],
                               addLoss: (_ logits: Tensor, _ gradient: Tensor) throws -> Float = { _, _ in 0 },
                               finishGradients: () throws -> Float = { 0 }) throws -> Float {
        optimizer.zeroGradients()
        let logits = try network.forward(input)
        let gradient = gradients[logits.shape] ?? Tensor(shape: logits.shape)
        gradients[logits.shape] = gradient
        var loss = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
        loss += try addLoss(logits, gradient)
        guard loss.isFinite else { return loss }
        _ = try network.backward(gradient, needsInputGradient: false)
        loss += try finishGradients()
        guard loss.isFinite else { return loss }
        optimizer.step()
        return loss
    }
}
