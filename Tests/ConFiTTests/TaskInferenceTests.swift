import ConFiT
import ConFiTData
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// Task-agnostic accuracy of the bank methods by task inference, and their prototype head.
@Suite struct TaskInferenceTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    /// `inferTasks` against the definition written out image by image: every image scored
    /// in each task's state, its task the most confident one (first on ties), right when
    /// that task is its own and the prediction there is its label.
    @Test func taskInferenceFollowsItsDefinition() throws {
        var trainer = try SyntheticProtocol.makeTrainer(.confit, in: workspaces, tasks: 2)
        try trainer.runLogged()
        let inferred = try trainer.inferTasks(after: 1)
        var expected: [(accuracy: Double, inference: Double)] = []
        for i in 0...1 {
            let samples = trainer.scenario.tasks[i].test
            var scored: [[(confidence: Double, top: Int)]] = []
            var labels: [Int] = []
            for j in 0...1 {
                try trainer.select(task: j, after: 1)
                let loader = try BatchLoader(samples: samples, options: loaderOptions(trainer), cache: nil)
                var rows: [(Double, Int)] = []
                let stream = loader.epoch(0)
                while let batch = try stream.next() {
                    if j == 0 { labels += batch.labels }
                    for logits in try trainer.evaluator.logits(for: batch, classes: trainer.scenario.tasks[j].classes) {
                        let probabilities = logits.map { exp(Double($0)) }
                        let total = probabilities.reduce(0, +)
                        let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                        rows.append((probabilities[top] / total, top))
                    }
                }
                scored.append(rows)
            }
            var (right, inferredRight) = (0, 0)
            for k in labels.indices {
                let task = scored[1][k].confidence > scored[0][k].confidence ? 1 : 0
                if task == i { inferredRight += 1 }
                if task == i && scored[task][k].top == labels[k] { right += 1 }
            }
            expected.append((Double(right) / Double(labels.count), Double(inferredRight) / Double(labels.count)))
        }
        for (got, want) in zip(inferred, expected) {
            expectClose(got.accuracy, want.accuracy, tolerance: 1e-12)
            expectClose(got.inference, want.inference, tolerance: 1e-12)
        }
        trainer = try SyntheticProtocol.makeTrainer(.finetune, in: workspaces, tasks: 1)
        #expect(trainer.strategy.hasSharedHead)
    }

    private func loaderOptions(_ trainer: ContinualTrainer) -> LoaderOptions {
        var options = LoaderOptions.evaluation(batchSize: 16)
        (options.transform, options.normalization) = (trainer.configuration.transform, trainer.normalization)
        return options
    }

    /// With `--head prototypes` a bank method stores each task's class means under its own
    /// bank and evaluates with them; the prototypes travel in the checkpoint and the export.
    @Test func prototypeHeadOfTheBankMethods() throws {
        var configuration = try SyntheticProtocol.makeTrainer(.taskBN, in: workspaces, tasks: 2).configuration
        configuration.head = .prototypes
        let trainer = try SyntheticProtocol.makeTrainer(.taskBN, in: workspaces, tasks: 2, configuration: configuration)
        let last = try trainer.runLogged().lastCheckpoint
        let features = try #require(trainer.network.classifier).layer.inFeatures
        #expect(trainer.strategy.storedBytes(task: 1) == trainer.banks[1].byteCount + 2 * features * 4)
        // Task 1's prototypes are its class means under its bank, after its training.
        let task = trainer.scenario.tasks[1]
        try trainer.select(task: 1, after: 1)
        // The means summed here image by image from the network's own pooled features.
        var sums = [[Double]](repeating: [Double](repeating: 0, count: features), count: 2), counts = [0, 0]
        let stream = try trainer.context.trainingImages(task, false).epoch(0)
        while let batch = try stream.next() {
            let pooled = try trainer.evaluator.pooledFeatures(for: batch).toArray()
            for (row, label) in batch.labels.enumerated() {
                counts[label] += 1
                for j in 0..<features { sums[label][j] += Double(pooled[row * features + j]) }
            }
        }
        let means = (0..<2).flatMap { c in sums[c].map { Float($0 / Double(counts[c])) } }
        let stored = try #require(last).file.tensor("prototypes.prototypes").floats()
        #expect(Array(stored[(2 * features)...]) == means)
        #expect(trainer.evaluator.head != nil)
        #expect(throws: (any Error).self) {
            try SyntheticProtocol.makeTrainer(.finetune, in: workspaces, tasks: 2, configuration: configuration)
        }
    }
}
