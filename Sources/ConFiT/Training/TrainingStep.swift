import ConFiTData
import ConFiTEngine
import ConFiTNN

/// One optimisation step on one batch, exactly as training runs it: zero the gradients,
/// forward, softmax cross-entropy over the task's classes only plus the strategy's loss
/// term, backward through what is trainable, the strategy's parameter terms, the
/// optimizer's update, the strategy's after-step work; with an `averager`, on one shard of
/// the batch per process. `confit bench` times this very step.
public final class TrainingStep {
    public let network: any Layer
    public let optimizer: any Optimizer
    /// The network's parameters and the optimizer's others, each once: the gradients zeroed per step.
    private let zeroed: [Parameter]
    /// ∂loss/∂logits, allocated once per logit shape.
    private var gradients: [[Int]: Tensor] = [:]

    /// With processes sharing each batch: averages the loss and, after backward, the
    /// gradients over them, so the update is the whole batch's.
    public let averager: GradientAverager?

    public init(network: any Layer, optimizer: any Optimizer, averager: GradientAverager? = nil) {
        (self.network, self.optimizer, self.averager) = (network, optimizer, averager)
        let own = network.namedParameters().map(\.1)
        let ids = Set(own.map(ObjectIdentifier.init))
        zeroed = own + optimizer.parameters.filter { !ids.contains(ObjectIdentifier($0)) }
    }

    /// Trains on `input` with `labels` given as indices into `classes` and returns the
    /// batch's mean loss: the cross-entropy, plus what `addLoss` returns (it adds its
    /// ∂/∂logits to the gradient it is given, before backward) and what `finishGradients`
    /// returns (it adjusts parameter gradients after backward, before the update);
    /// `stepFinished` runs after the update. A non-finite loss is returned before the update,
    /// so the weights stay as they were for the caller to stop cleanly. Every gradient is
    /// zeroed first, the network's as well as the optimizer's (PyTorch's `model.zero_grad()`),
    /// so that a network parameter the optimizer does not own cannot accumulate across steps.
    /// One step of `task` on `batch` (its images already in `input`) with `strategy`'s hooks
    /// wired in: its loss term, its parameter terms, its after-step work.
    public func callAsFunction(
        _ input: Tensor, batch: Batch, task: Scenario.Task, strategy: any ContinualStrategy,
        _ context: StrategyContext
    ) throws -> Float {
        try self(
            input, classes: task.classes, labels: batch.labels,
            addLoss: { try strategy.addLoss(logits: $0, gradient: $1, batch: batch, task: task, context) },
            finishGradients: { try strategy.finishGradients(task: task, context) },
            stepFinished: { try strategy.stepFinished(task: task, context) })
    }

    public func callAsFunction(
        _ input: Tensor, classes: [Int], labels: [Int],
        addLoss: (_ logits: Tensor, _ gradient: Tensor) throws -> Float = { _, _ in 0 },
        finishGradients: () throws -> Float = { 0 }, stepFinished: () throws -> Void = {}
    ) throws -> Float {
        for p in zeroed { p.zeroGradient() }
        let logits = try network.forward(input)
        let gradient = gradients[logits.shape] ?? Tensor(shape: logits.shape)
        gradients[logits.shape] = gradient
        var loss = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
        loss += try addLoss(logits, gradient)
        if let averager {
            // Before the check, so that every process stops at the same step, or none does.
            loss = Float(try averager.group.allReduceSum([Double(loss)])[0] / Double(averager.group.size))
        }
        guard loss.isFinite else { return loss }
        _ = try network.backward(gradient, needsInputGradient: false)
        try averager?.average(zeroed)
        loss += try finishGradients()
        guard loss.isFinite else { return loss }
        optimizer.step()
        try stepFinished()
        return loss
    }
}
