import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Testing

/// LwF and EWC in whole runs of the synthetic protocol: the first task is plain
/// fine-tuning (no earlier task to distil or anchor to), later ones are not; what each
/// keeps between tasks is what FACIL keeps.
@Suite struct BaselineStrategyTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    @Test func firstTaskIsFineTuningAndLaterTasksAreNot() throws {
        let finetune = try SyntheticProtocol.run(.finetune, in: workspaces)
        for method in [ContinualMethod.lwf(.init()), .ewc(.init())] {
            let run = try SyntheticProtocol.run(method, in: workspaces)
            #expect(run.rows[0] == finetune.rows[0], "\(method.name)")
            #expect(Array(run.losses.prefix(5)) == Array(finetune.losses.prefix(5)), "\(method.name)")
            #expect(Array(run.losses.suffix(5)) != Array(finetune.losses.suffix(5)), "\(method.name)")
        }
    }

    /// After task 0 EWC holds θ* = the weights and F = (1 − α) · the Fisher over the
    /// task's training batches in the order of one more epoch (merged into zeros).
    @Test func ewcKeepsTheAnchorAndTheMergedFisherOfTheTask() throws {
        let trainer = try SyntheticProtocol.makeTrainer(
            .ewc(.init(lambda: 5000, alpha: 0.25)), in: workspaces, tasks: 1)
        try trainer.runLogged()
        let state = Dictionary(try trainer.strategy.state(), uniquingKeysWith: { a, _ in a })
        let backbone = trainer.network.namedParameters().filter { !$0.0.hasPrefix("fc.") }
        #expect(Set(state.keys) == Set(backbone.flatMap { ["ewc.fisher." + $0.0, "ewc.anchor." + $0.0] }))
        for (name, p) in backbone { #expect(try state["ewc.anchor." + name]?.floats() == p.value.toArray(), "\(name)") }

        let context = trainer.context, task = trainer.scenario.tasks[0]
        let stream = try context.trainingImages(task, true).epoch(context.configuration.epochs)
        let fisher = try FisherDiagonal(network: trainer.network, parameters: backbone, classes: task.classes) {
            try stream.next().map { try context.evaluator.input(for: $0) }
        }
        #expect(fisher.samples == 48 / 8 * 8, "every full batch of the task's 48 training images")
        for (name, _) in backbone {
            let expected = try #require(fisher.values[name]).map { 0.75 * $0 }
            #expect(try #require(state["ewc.fisher." + name]).floats() == expected, "\(name)")
        }
        #expect(backbone.contains { name, _ in state["ewc.fisher." + name]!.floats().contains { $0 > 0 } })
        #expect(trainer.strategy.carriedBytes == 2 * 4 * backbone.reduce(0) { $0 + $1.1.value.count })
    }

    /// LwF's teacher for task 1 is the network as task 0 left it, in eval mode: its logits
    /// over task 0's classes for each of task 1's training images.
    @Test func lwfTeacherIsTheNetworkAtTheTasksStartInEvalMode() throws {
        let trainer = try SyntheticProtocol.makeTrainer(.lwf(.init()), in: workspaces, tasks: 1)
        try trainer.runLogged()
        let context = trainer.context, task = trainer.scenario.tasks[1]
        try trainer.strategy.taskStarting(task, context)
        let state = Dictionary(try trainer.strategy.state(), uniquingKeysWith: { a, _ in a })
        let ids = try #require(state["lwf.teacher_ids"]).ints(), logits = try #require(state["lwf.teacher_logits"])
        #expect(logits.shape == [48, 2])
        #expect(Set(ids) == Set(task.train.map(\.id)))

        trainer.network.eval()
        var expected: [Int: [Float]] = [:]
        let stream = try context.trainingImages(task, false).epoch(0)
        while let batch = try stream.next() {
            for (id, row) in zip(
                batch.sampleIDs, try context.evaluator.logits(for: batch, classes: trainer.scenario.tasks[0].classes))
            {
                expected[id] = row
            }
        }
        let values = logits.floats()
        for (row, id) in ids.enumerated() {
            #expect(Array(values[(2 * row)..<(2 * row + 2)]) == expected[id], "image \(id)")
        }
    }
}
