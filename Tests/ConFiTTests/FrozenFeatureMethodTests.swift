import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Testing

/// Whole runs of the frozen-feature methods (simplecil, ranpac, fsa) on the synthetic
/// protocol, and the task-agnostic tally counted by hand.
@Suite struct FrozenFeatureMethodTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    /// Runs `trainer` to the end: accuracy rows, task-agnostic rows, epochs trained, checkpoints.
    private func run(
        _ trainer: ContinualTrainer
    ) throws -> (
        rows: [[Double]], agnostic: [[Double]?], epochs: [EpochRecord],
        checkpoints: [TrainingCheckpoint]
    ) {
        let log = try trainer.runLogged(keepingEveryCheckpoint: true)
        return (log.accuracyRows, log.tasks.map(\.taskAgnosticAccuracies), log.epochs, log.checkpoints)
    }

    /// SimpleCIL trains nothing, keeps the pre-trained network bit for bit, and never
    /// forgets: a(t, i) = a(i, i); its stored bytes are the prototypes.
    @Test func simpleCILTrainsNothingAndNeverForgets() throws {
        let trainer = try SyntheticProtocol.makeTrainer(.simplecil, in: workspaces, tasks: 2)
        let before = try trainer.network.stateDict().map(\.1)
        let (rows, agnostic, epochs, checkpoints) = try run(trainer)
        #expect(epochs.isEmpty)
        #expect(try trainer.network.stateDict().map(\.1) == before)
        #expect(rows[1][0] == rows[0][0])
        #expect(agnostic.count == 2)
        #expect(agnostic[0] == [rows[0][0]], "with one task, task-agnostic is task-aware")
        let features = try #require(trainer.network.classifier).layer.inFeatures
        #expect(try #require(checkpoints.last).file.tensor("simplecil.prototypes").shape == [4, features])
        #expect(trainer.strategy.storedBytes(task: 1) == 2 * features * 4)
    }

    /// FSA trains task 0 only; afterwards the body stays as task 0 left it and only the
    /// LDA rows of the classifier change.
    @Test func fsaTrainsOnlyTheFirstTask() throws {
        let trainer = try SyntheticProtocol.makeTrainer(.fsa, in: workspaces, tasks: 2)
        let (_, _, epochs, checkpoints) = try run(trainer)
        #expect(epochs.map(\.task) == [0, 0, 0, 0, 0])
        let afterTask0 = try #require(checkpoints.first { $0.position == TrainingPosition(task: 1, epoch: 0) })
        for (name, tensor) in try trainer.network.stateDict() where !name.hasPrefix("fc.") {
            #expect(try tensor == afterTask0.file.tensor("model." + name), "\(name)")
        }
        #expect(
            try trainer.network.stateDict().first { $0.0 == "fc.weight" }?.1
                != afterTask0.file.tensor("model.fc.weight"))
    }

    /// RanPAC and FSA resumed from the checkpoint after task 0 (written to a file and read
    /// back: float64 sums included) end exactly as the uninterrupted run.
    @Test func resumedAfterFirstTaskMatchesUninterruptedRun() throws {
        for method in [ContinualMethod.ranpac(.init(dimension: 64)), .fsa, .simplecil] {
            let uninterrupted = try SyntheticProtocol.makeTrainer(method, in: workspaces, tasks: 2)
            let (rows, agnostic, _, checkpoints) = try run(uninterrupted)
            let folder = try TemporaryDirectory("confit-checkpoint")
            let url = folder.appending("checkpoint.safetensors")
            try #require(checkpoints.first { $0.position == TrainingPosition(task: 1, epoch: 0) }).write(to: url)
            let resumed = try SyntheticProtocol.makeTrainer(method, in: workspaces, tasks: 2)
            let checkpoint = try TrainingCheckpoint(contentsOf: url)
            try resumed.restore(from: checkpoint)
            let last = try resumed.runLogged(from: checkpoint.position).tasks.last
            #expect(last?.accuracies == rows.last, "\(method.name)")
            #expect(last?.taskAgnosticAccuracies == (agnostic.last ?? nil), "\(method.name)")
            #expect(
                try resumed.network.stateDict().map(\.1) == uninterrupted.network.stateDict().map(\.1), "\(method.name)"
            )
            let (state, expected) = (try resumed.strategy.state(), try uninterrupted.strategy.state())
            #expect(state.map(\.0) == expected.map(\.0), "\(method.name)")
            #expect(state.map(\.1) == expected.map(\.1), "\(method.name)")
            #expect(!state.isEmpty, "\(method.name)")
        }
    }

    /// An exported task of simplecil and ranpac, imported into a fresh network with the
    /// shared weights, gives the logits the run gives for that task.
    @Test func exportedHeadGivesTheRunsLogits() throws {
        for method in [ContinualMethod.simplecil, .ranpac(.init(dimension: 32))] {
            let trainer = try SyntheticProtocol.makeTrainer(method, in: workspaces, tasks: 2)
            let (_, _, _, checkpoints) = try run(trainer)
            let classes = trainer.scenario.tasks[1].classes
            let file = try TaskFile(
                task: 1, classes: classes, checkpoint: #require(checkpoints.last), classifier: "fc", model: .resnet18,
                method: method, transform: EvalTransform(resizeShortSide: 12, cropSize: 12), classNames: nil)
            let fresh = ResNet(
                .init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 16], numClasses: classes.count), seed: 9)
            try fresh.loadStateDict(
                try #require(checkpoints.last).file.tensors.filter {
                    $0.name.hasPrefix("model.") && !$0.name.hasPrefix("model.fc.")
                }
                .map { (String($0.name.dropFirst(6)), $0.tensor) }, strict: false)
            let evaluator = TaskEvaluator(network: fresh, pairs: [])
            try method.makeStrategy().importTask(file.taskTensors, metadata: file.file.metadata, into: evaluator)
            try trainer.select(task: 1, after: 1)
            let stream = try trainer.context.trainingImages(trainer.scenario.tasks[1], false).epoch(0)
            let batch = try #require(try stream.next())
            let expected = try trainer.evaluator.logits(for: batch, classes: classes)
            let got = try evaluator.logits(for: batch, classes: Array(classes.indices))
            for (row, reference) in zip(got, expected) {
                for (a, b) in zip(row, reference) {
                    expectClose(a, b, tolerance: 1e-5 * max(1, abs(b)), "\(method.name)")
                }
            }
        }
    }

    /// A stop request is honoured between tasks too, where a closed-form method runs no
    /// batch: the run stops with the checkpoint of the next task's start.
    @Test func stopBetweenTasksOfAClosedFormMethod() throws {
        let trainer = try SyntheticProtocol.makeTrainer(.simplecil, in: workspaces, tasks: 2)
        var log = TrainerLog()
        #expect(throws: ConFiTError.interrupted(TrainingPosition(task: 1, epoch: 0))) {
            try trainer.run(into: &log) {
                if case .taskFinished(let report) = $0, report.task == 0 { trainer.stop.request() }
            }
        }
    }

    /// A projection too wide for this machine's memory is refused before anything runs,
    /// with the bytes it would need.
    @Test func tooWideProjectionIsRefusedWithTheBytesNeeded() throws {
        if let error = #expect(
            throws: (any Error).self,
            performing: { try SyntheticProtocol.makeTrainer(.ranpac(.init(dimension: 2_000_000)), in: workspaces) })
        {
            let message = "\(error)"
            #expect(
                message.contains("RanPAC with M = 2000000 needs about 96000") && message.contains("MB"), "\(message)")
        }
    }

    /// The task-aware and task-agnostic counts of `TaskEvaluator.tally`, against a head whose
    /// logits are set per image: right in both, right only within the task, wrong in both.
    @Test func taskAgnosticTallyCountedByHand() throws {
        let trainer = try SyntheticProtocol.makeTrainer(.simplecil, in: workspaces, tasks: 2)
        let task = trainer.scenario.tasks[1], seen = trainer.scenario.tasks[0].classes + task.classes
        let loader = try trainer.context.trainingImages(task, false)
        var labels: [Int] = []
        let stream = loader.epoch(0)
        while let batch = try stream.next() { labels += batch.labels }
        // Image k: k % 3 == 0 → its class highest of all; 1 → another task's class highest,
        // its own highest within the task; 2 → the task's other class highest of all.
        let other = trainer.scenario.tasks[0].classes[0]
        let rows: [[Float]] = labels.enumerated().map { k, label in
            var row = [Float](repeating: 0, count: 10)
            let own = task.classes[label], wrong = task.classes[1 - label]
            switch k % 3 {
            case 0:
                row[own] = 2
                row[other] = 1
            case 1:
                row[own] = 1
                row[other] = 2
            default:
                row[wrong] = 2
                row[own] = 1
            }
            return row
        }
        trainer.evaluator.head = TableHead(rows)
        let tally = try trainer.evaluator.tally(loader, classes: task.classes, seen: seen)
        #expect(tally.total == labels.count)
        #expect(tally.correct == labels.indices.filter { $0 % 3 != 2 }.count)
        #expect(tally.taskAgnosticCorrect == labels.indices.filter { $0 % 3 == 0 }.count)
    }
}

/// A head answering the given logit rows in order, one per image scored.
private final class TableHead: FeatureHead {
    private var rows: ArraySlice<[Float]>
    init(_ rows: [[Float]]) { self.rows = rows[...] }

    var bytesPerClass: Int { 0 }

    func logits(features: Tensor) throws -> Tensor {
        let n = features.shape[0]
        let taken = rows.prefix(n)
        rows = rows.dropFirst(n)
        return try Tensor(shape: [n, 10], values: taken.flatMap { $0 })
    }
}
