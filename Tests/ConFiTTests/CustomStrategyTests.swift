import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Testing

/// A method of the caller's own (README, "A method of your own"): the trainer calls its
/// hooks in the documented order, adds its loss terms to the step, and checkpoints its state.
@Suite struct CustomStrategyTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    /// Logit decay: loss += ½·c·mean‖z‖², ∂/∂z = c·z/N; records every hook.
    private final class LogitDecay: ContinualStrategy {
        let name = "logit-decay"
        var calls: [String] = []
        var steps = 0

        func taskStarting(_ task: Scenario.Task, _ context: StrategyContext) throws { calls.append("start \(task.id)") }
        func epochStarting(_ epoch: Int, of epochs: Int, _ context: StrategyContext) -> TrainableSelection {
            calls.append("epoch \(epoch)")
            context.network.setTrainable(.classifier)
            context.network.train()
            return .classifier
        }
        func addLoss(
            logits: Tensor, gradient: Tensor, batch: Batch, task: Scenario.Task, _ context: StrategyContext
        ) throws -> Float {
            let (n, c) = (logits.shape[0], Float(0.01))
            var sum: Float = 0
            for i in 0..<logits.count {
                sum += logits.pointer[i] * logits.pointer[i]
                gradient.pointer[i] += c * logits.pointer[i] / Float(n)
            }
            return 0.5 * c * sum / Float(n)
        }
        func finishGradients(task: Scenario.Task, _ context: StrategyContext) throws -> Float {
            steps += 1
            return 0
        }
        func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
            calls.append("finish \(task.id)")
        }
        func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
            calls.append("select \(i) after \(t)")
            try context.evaluator.select(nil, recover: false)
        }
        func state() throws -> [(String, HostTensor)] { [("decay.steps", HostTensor(shape: [1], int64s: [steps]))] }
        func restore(from tensors: [(String, HostTensor)]) throws {
            steps = tensors.first { $0.0 == "decay.steps" }?.1.ints().first ?? 0
        }
    }

    @Test func hooksRunInOrderAndTheStateIsCheckpointed() throws {
        let base = try SyntheticProtocol.makeTrainer(.finetune, in: workspaces)
        let strategy = LogitDecay()
        let trainer = try ContinualTrainer(
            network: base.network, strategy: strategy, scenario: base.scenario,
            configuration: base.configuration, normalization: base.normalization)
        let log = try trainer.runLogged()
        let (last, losses) = (log.lastCheckpoint, log.epochs.map(\.meanLoss))
        let epochs = (0..<5).map { "epoch \($0)" }
        #expect(
            strategy.calls == ["start 0"] + epochs + [
                "finish 0", "select 0 after 0",
                "start 1",
            ] + epochs + ["finish 1", "select 0 after 1", "select 1 after 1"])
        #expect(strategy.steps == 2 * 5 * 48 / 8, "one per batch: 6 batches of 8 per epoch")
        #expect(trainer.pairs.isEmpty, "no trackers unless the strategy asks for them")

        let restored = LogitDecay()
        try restored.restore(from: try #require(last).file.tensors.map { ($0.name, $0.tensor) })
        #expect(restored.steps == 60)
        #expect(losses.allSatisfy { $0.isFinite && $0 > 0 })
    }
}
