import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// End to end on a tiny ResNet and a synthetic 4-class IDX dataset (2 tasks of 2 classes,
/// 12×12 images): banks are restored per task, recovery touches old tasks only, and the
/// accuracy matrix has the shape docs/methods.md describes.
@Suite struct ContinualTrainerTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    @Test func banksAndRecoveryPerTask() throws {
        let trainer = try makeTrainer(.confit)
        let rows = try accuracyRows(trainer)
        #expect(rows.map(\.count) == [1, 2])
        // Accuracies count right answers out of each task's 16 test images (8 per class).
        #expect(rows.joined().allSatisfy { ($0 * 16).rounded() == $0 * 16 }, "\(rows)")
        #expect(trainer.banks.count == 2)

        // Evaluating the current task restores its bank exactly.
        _ = try trainer.evaluate(task: 1, after: 1)
        try assertStatistics(trainer, equal: trainer.banks[1], means: true)
        // An old task gets its bank's variance and γ/β, but means recovered through the
        // current convolutions from its bank's tracker means.
        _ = try trainer.evaluate(task: 0, after: 1)
        try assertStatistics(trainer, equal: trainer.banks[0], means: false)
        let stored = try bankValues(trainer.banks[0], trainer.pairs[5].normalizationName + ".running_mean")
        #expect(
            try trainer.pairs[5].normalization.runningMean.toArray() != stored,
            "the recovered mean differs from the stored one once later tasks changed the convolutions")
    }

    @Test func taskBNRestoresStoredMeansForOldTasks() throws {
        let trainer = try makeTrainer(.taskBN)
        try trainer.runLogged()
        _ = try trainer.evaluate(task: 0, after: 1)
        try assertStatistics(trainer, equal: trainer.banks[0], means: true)
    }

    @Test func finetuneKeepsNoBanks() throws {
        let trainer = try makeTrainer(.finetune)
        let log = try trainer.runLogged()
        #expect(log.tasks.map(\.bankBytes) == [0, 0])
        #expect(trainer.banks.isEmpty)
        #expect(log.epochs.map(\.stage) == Array(repeating: .all, count: 10))
    }

    /// Hierarchical stages for E = 5: epoch 0 classifier, 1 BN, 2–4 all.
    @Test func hierarchicalStagesInTraining() throws {
        #expect(try stages(makeTrainer(.confit)) == [.classifier, .classifierAndNormalization, .all, .all, .all])
    }

    /// The ablation without Xconv BN: the same hierarchical stages, but old tasks are
    /// evaluated with their stored BN means (no recovery).
    @Test func confitNoXconvIsHierarchicalWithoutRecovery() throws {
        let trainer = try makeTrainer(.confitNoXconv)
        #expect(try stages(trainer) == [.classifier, .classifierAndNormalization, .all, .all, .all])
        #expect(trainer.banks.count == 2)
        _ = try trainer.evaluate(task: 0, after: 1)
        try assertStatistics(trainer, equal: trainer.banks[0], means: true)
    }

    /// The ablation without the hierarchy: every parameter in every epoch, and old tasks'
    /// BN means recovered through the current convolutions.
    @Test func confitNoHierTrainsEverythingAndRecovers() throws {
        let trainer = try makeTrainer(.confitNoHier)
        #expect(try stages(trainer) == Array(repeating: .all, count: 5))
        _ = try trainer.evaluate(task: 0, after: 1)
        try assertStatistics(trainer, equal: trainer.banks[0], means: false)
        let stored = try bankValues(trainer.banks[0], trainer.pairs[5].normalizationName + ".running_mean")
        #expect(try trainer.pairs[5].normalization.runningMean.toArray() != stored, "old tasks' means are recovered")
    }

    /// The linear probe trains the classifier alone with the backbone in eval mode: every
    /// other parameter and every BN running statistic ends bit for bit as it started.
    @Test func linearProbeChangesNothingButTheClassifier() throws {
        let trainer = try makeTrainer(.linear)
        let before = try trainer.network.stateDict()
        #expect(try stages(trainer) == Array(repeating: .classifier, count: 5))
        #expect(trainer.banks.isEmpty && trainer.pairs.isEmpty)
        let after = try trainer.network.stateDict()
        #expect(before.map(\.0) == after.map(\.0))
        for ((name, old), (_, new)) in zip(before, after) {
            if name.hasPrefix("fc.") { #expect(old != new, "\(name)") } else { #expect(old == new, "\(name)") }
        }
    }

    /// A run stopped mid-epoch and resumed from its checkpoint file ends exactly as an
    /// uninterrupted run (same seed, same threads): the same last accuracy row and, bit
    /// for bit, the same weights, BN statistics and strategy state (task banks, LwF's
    /// teacher logits, EWC's Fisher and anchor, PackNet's owners across its pruning,
    /// Piggyback's masks with Adam's moments).
    @Test func stoppedAndResumedRunMatchesUninterruptedRun() throws {
        for method in [ContinualMethod.confit, .lwf(.init()), .ewc(.init()), .packnet(.init()), .piggyback(.init())] {
            let uninterrupted = try makeTrainer(method)
            let expectedRows = try accuracyRows(uninterrupted)

            let first = try makeTrainer(method)
            var log = TrainerLog()
            #expect(throws: ConFiTError.interrupted(TrainingPosition(task: 1, epoch: 3, batch: 1))) {
                try first.run(into: &log) {
                    if case .epochFinished(let epoch) = $0, epoch.task == 1, epoch.epoch == 2 {
                        first.stop.request()
                    }
                }
            }
            let folder = try TemporaryDirectory("confit-checkpoint")
            let url = folder.appending("checkpoint.safetensors")
            try #require(log.lastCheckpoint).write(to: url)

            let resumed = try makeTrainer(method)
            let checkpoint = try TrainingCheckpoint(contentsOf: url)
            try resumed.restore(from: checkpoint)
            #expect(
                try accuracyRows(resumed, from: checkpoint.position) == Array(expectedRows.suffix(1)), "\(method.name)")
            #expect(
                try resumed.network.stateDict().map(\.1) == uninterrupted.network.stateDict().map(\.1), "\(method.name)"
            )
            let (state, expected) = (try resumed.strategy.state(), try uninterrupted.strategy.state())
            #expect(state.map(\.0) == expected.map(\.0), "\(method.name)")
            #expect(state.map(\.1) == expected.map(\.1), "\(method.name)")
            #expect(state.isEmpty == (method.name == "lwf"), "only LwF holds nothing between tasks")
        }
    }

    /// A task's export holds exactly its bank and the classifier rows of its classes.
    @Test func exportedTaskHoldsItsBankAndClassifierRows() throws {
        let trainer = try makeTrainer(.confit)
        let last = try trainer.runLogged().lastCheckpoint
        let exported = try export(1, classes: [2, 3], from: #require(last)).file
        let names = exported.tensors.map(\.name)
        #expect(names.filter { !$0.hasPrefix("classifier.") } == trainer.banks[1].tensors.map(\.name))
        for (name, tensor) in trainer.banks[1].tensors { #expect(try exported.tensor(name) == tensor, "\(name)") }
        let weight = try #require(trainer.network.namedParameters().first { $0.0 == "fc.weight" }).1.value.toArray()
        let features = weight.count / 10
        #expect(try exported.tensor("classifier.weight").floats() == Array(weight[(2 * features)..<(4 * features)]))
        #expect(try exported.tensor("classifier.weight").shape == [2, features])
        #expect(throws: (any Error).self) { try export(5, classes: [0], from: #require(last)) }
    }

    /// Runs `trainer` to the end and returns the stage of each epoch of task 0.
    private func stages(_ trainer: ContinualTrainer) throws -> [TrainableSelection] {
        try trainer.runLogged().epochs.filter { $0.task == 0 }.map(\.stage)
    }

    private func export(_ task: Int, classes: [Int], from checkpoint: TrainingCheckpoint) throws -> TaskFile {
        try TaskFile(
            task: task, classes: classes, checkpoint: checkpoint, classifier: "fc", model: .resnet18, method: .confit,
            transform: EvalTransform(resizeShortSide: 12, cropSize: 12), classNames: nil)
    }

    private func assertStatistics(
        _ trainer: ContinualTrainer, equal bank: TaskBank, means: Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for pair in trainer.pairs {
            let bn = pair.normalization, name = pair.normalizationName
            var checked = [("weight", bn.weight.value), ("bias", bn.bias.value), ("running_var", bn.runningVariance)]
            if means { checked.append(("running_mean", bn.runningMean)) }
            for (suffix, tensor) in checked {
                #expect(
                    try tensor.toArray() == bankValues(bank, name + "." + suffix), "\(name + "." + suffix)",
                    sourceLocation: sourceLocation)
            }
        }
    }

    private func bankValues(_ bank: TaskBank, _ key: String) throws -> [Float] {
        try #require(bank.tensors.first { $0.name == key }).tensor.floats()
    }

    /// Runs `trainer` from `position` and returns the accuracy row of every task it finishes.
    private func accuracyRows(
        _ trainer: ContinualTrainer, from position: TrainingPosition = .start
    ) throws -> [[Double]] {
        try trainer.runLogged(from: position).accuracyRows
    }

    private func makeTrainer(_ method: ContinualMethod) throws -> ContinualTrainer {
        try SyntheticProtocol.makeTrainer(method, in: workspaces, images: (180, 40, 60, 8), order: [0, 1, 2, 3])
    }
}
