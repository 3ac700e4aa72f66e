import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// Trains a network task after task and evaluates every task seen so far after each,
/// exactly as docs/methods.md describes. What differs between ConFiT and the baselines is the
/// `ContinualStrategy`'s hooks; the trainer owns the data, the optimizer and the loop.
public final class ContinualTrainer {
    /// One finished task: a(t, 0…t), what the strategy stores and the time taken.
    public struct TaskReport: Sendable {
        public var task: Int
        public var accuracies: [Double]
        /// The task-agnostic row: accuracy on task i's test set of the arg-max over every
        /// class seen so far, or for the other strategies with `taskAgnostic` the accuracy when
        /// the task is inferred per image (`inferTasks(after:)`); nil when not measured.
        public var taskAgnosticAccuracies: [Double]?
        /// The fraction of task i's test images whose task was inferred right; nil when not inferred.
        public var taskInferenceAccuracies: [Double]?
        /// Bytes stored for this task alone (`ContinualStrategy.storedBytes(task:)`).
        public var bankBytes: Int
        /// Bytes carried to the next task that belong to no single task (`carriedBytes`).
        public var carriedBytes: Int
        public var trainSeconds: Double, evaluationSeconds: Double
    }

    public let network: any Layer
    public let strategy: any ContinualStrategy
    public let scenario: Scenario
    public let configuration: TrainingConfiguration
    public let normalization: Normalization
    /// Puts the network into each task's state for evaluation (and prediction).
    public let evaluator: TaskEvaluator
    /// Every conv → BN pair with the tracker on the conv's input; none for strategies that
    /// store no BN statistics (fine-tuning, linear probing), which then pay nothing for tracking.
    public var pairs: [ConvolutionNormPair] { evaluator.pairs }
    /// Images left out so far because they could not be decoded (`skipUnreadable`).
    public private(set) var skippedImages = 0
    private let classifier: Linear
    private let cache: ImageCache
    /// The checkpoint whose optimizer state is applied when the resumed task's optimizer exists.
    private var pendingOptimizerState: TrainingCheckpoint?
    /// The stopped epoch's totals from the checkpoint `restore(from:)` read.
    private var pendingProgress: EpochProgress?

    /// The processes sharing each batch (data parallelism); nil: this process alone.
    public let processGroup: (any ProcessGroup)?

    /// A trainer for `method`'s strategy.
    public convenience init(
        network: any Layer, method: ContinualMethod, scenario: Scenario, configuration: TrainingConfiguration,
        normalization: Normalization, processGroup: (any ProcessGroup)? = nil
    ) throws {
        try self.init(
            network: network, strategy: method.makeStrategy(), scenario: scenario, configuration: configuration,
            normalization: normalization, processGroup: processGroup)
    }

    /// A trainer for any strategy, the library's own or one of the caller's. With a
    /// `processGroup` of N processes, each trains on its 1/N of every batch (which must
    /// divide by N) and evaluates its share of every test set, and every step is the whole
    /// batch's: BN statistics, tracker means, the loss and the gradients are combined.
    public init(
        network: any Layer, strategy: any ContinualStrategy, scenario: Scenario, configuration: TrainingConfiguration,
        normalization: Normalization, processGroup: (any ProcessGroup)? = nil
    ) throws {
        let group = (processGroup?.size ?? 1) > 1 ? processGroup : nil
        if let group, configuration.batchSize % group.size != 0 {
            throw ConFiTError.invalidConfiguration(
                "the batch size \(configuration.batchSize) does not divide into \(group.size) "
                    + "equal shards, one per process; choose a multiple of \(group.size)")
        }
        guard let classifier = network.classifier?.layer else {
            throw ConFiTError.invalidConfiguration("the network has no Linear classifier")
        }
        guard let top = scenario.tasks.flatMap(\.classes).max(), top < classifier.outFeatures else {
            throw ConFiTError.invalidConfiguration(
                "the classifier has \(classifier.outFeatures) outputs; the scenario's classes need more")
        }
        guard configuration.epochs > 0, configuration.batchSize > 0 else {
            throw ConFiTError.invalidConfiguration("epochs and batch size must be positive")
        }
        guard configuration.imageSize > 0, configuration.resizeShortSide >= configuration.imageSize else {
            throw ConFiTError.invalidConfiguration(
                "image size \(configuration.imageSize) (short side resized to "
                    + "\(configuration.resizeShortSide)): the crop must be positive and no larger than the resized side"
            )
        }
        guard configuration.learningRate.isFinite, configuration.learningRate > 0 else {
            throw ConFiTError.invalidConfiguration(
                "the learning rate must be positive and finite, not \(configuration.learningRate)")
        }
        if let limit = configuration.taskLimit, !(1...scenario.tasks.count).contains(limit) {
            throw ConFiTError.invalidConfiguration("--tasks \(limit): the scenario has \(scenario.tasks.count) tasks")
        }
        for task in Self.trainedTasks(of: scenario, configuration) {
            let images = Self.firstOfEachClass(task.train, perClass: configuration.trainImagesPerClass).count
            guard images >= configuration.batchSize else {
                throw ConFiTError.invalidConfiguration(
                    "task \(task.id) has \(images) training images, fewer than the batch size "
                        + "\(configuration.batchSize): the last partial batch is dropped, so it would train nothing "
                        + "(lower --batch-size, or use more images per class)")
            }
        }
        (self.network, self.strategy, self.scenario, self.configuration) = (network, strategy, scenario, configuration)
        (self.normalization, self.processGroup) = (normalization, group)
        network.shareStatistics(over: group)
        self.classifier = classifier
        try strategy.validate(network: network, classes: classifier.outFeatures)
        if configuration.head == .prototypes, !(strategy is TaskBankStrategy) {
            throw ConFiTError.invalidConfiguration(
                "the prototype head is for the bank methods (confit, its ablations, taskbn), "
                    + "not \(strategy.name)")
        }
        evaluator = TaskEvaluator(network: network, pairs: try strategy.trackedPairs(in: network))
        cache = ImageCache(budgetBytes: configuration.cacheBytes)
    }

    /// What the strategy's hooks see of this trainer.
    public private(set) lazy var context = StrategyContext(
        network: network, classifier: classifier, evaluator: evaluator, configuration: configuration,
        tasks: scenario.tasks,
        trainingImages: { [unowned self] task, shuffled in
            try makeLoader(
                task.train, perClass: configuration.trainImagesPerClass,
                shuffled
                    ? .training(batchSize: configuration.batchSize, seed: configuration.seed &+ UInt64(task.id))
                    : .evaluation(batchSize: configuration.evaluationBatchSize))
        })

    /// Set from any thread (a SIGINT handler) to stop after the current batch.
    public let stop = StopRequest()

    /// The tasks a run trains: the scenario's, or its first `taskLimit`.
    public var tasks: ArraySlice<Scenario.Task> { Self.trainedTasks(of: scenario, configuration) }

    private static func trainedTasks(
        of scenario: Scenario, _ configuration: TrainingConfiguration
    ) -> ArraySlice<Scenario.Task> {
        scenario.tasks.prefix(configuration.taskLimit ?? scenario.tasks.count)
    }

    /// Runs the tasks in order from `position` (a new run starts at `.start`; a resumed one
    /// where its checkpoint says, after `restore(from:)`), reporting each batch, epoch, task
    /// and checkpoint to `report` as it happens. Throws `ConFiTError.interrupted` after
    /// checkpointing when `stop` was requested.
    public func run(from position: TrainingPosition = .start, report: (RunEvent) throws -> Void) throws {
        for task in tasks where task.id >= position.task {
            let trainStart = Date()
            let resume = task.id == position.task ? position : TrainingPosition(task: task.id, epoch: 0)
            try train(task, from: resume, report: report)
            try strategy.taskFinished(task, context)
            let evaluationStart = Date()
            let inferred =
                configuration.taskAgnostic == true && !strategy.hasSharedHead ? try inferTasks(after: task.id) : nil
            let tallies = try (0...task.id).map { try tally(task: $0, after: task.id) }
            try report(
                .taskFinished(
                    TaskReport(
                        task: task.id, accuracies: tallies.map(\.taskAware),
                        taskAgnosticAccuracies: strategy.hasSharedHead
                            ? tallies.map(\.taskAgnostic)
                            : inferred?.map(\.accuracy),
                        taskInferenceAccuracies: inferred?.map(\.inference),
                        bankBytes: strategy.storedBytes(task: task.id),
                        carriedBytes: strategy.carriedBytes,
                        trainSeconds: evaluationStart.timeIntervalSince(trainStart),
                        evaluationSeconds: Date().timeIntervalSince(evaluationStart))))
            let next = TrainingPosition(task: task.id + 1, epoch: 0)
            try report(.checkpoint(try TrainingCheckpoint(self, position: next, optimizer: nil)))
            // Closed-form methods run no batch, where stops are otherwise taken.
            if task.id < tasks.last?.id ?? 0, try agreeAfterBatch(unreadable: 0).stop {
                throw ConFiTError.interrupted(next)
            }
        }
    }

    /// Trains `task` from `position` to its last epoch with a fresh optimizer from the
    /// strategy (its state restored when resuming mid-task), the strategy's schedule and loss
    /// terms, and logits restricted to the task's classes.
    func train(_ task: Scenario.Task, from position: TrainingPosition, report: (RunEvent) throws -> Void) throws {
        // Before the task: the strategy's start, a fresh optimizer (its state back when resuming).
        let loader = try context.trainingImages(task, true)
        if position.epoch == 0 && position.batch == 0 { try strategy.taskStarting(task, context) }
        let optimizer = try strategy.makeOptimizer(task: task, context)
        if let pending = pendingOptimizerState, position.epoch > 0 || position.batch > 0 {
            try pending.restoreOptimizer(optimizer)
        }
        pendingOptimizerState = nil
        let step = TrainingStep(
            network: strategy.trainsOnlyClassifier ? classifier : network, optimizer: optimizer.0,
            averager: processGroup.map(GradientAverager.init))
        let processes = processGroup?.size ?? 1
        let epochs = strategy.epochs(for: task, configured: configuration.epochs)
        for epoch in position.epoch..<max(position.epoch, epochs) {
            // Before the epoch: what trains, and the network's mode.
            let stage = strategy.epochStarting(epoch, of: epochs, context)
            let start = Date()
            var progress =
                epoch == position.epoch && position.batch > 0 ? pendingProgress ?? EpochProgress() : EpochProgress()
            pendingProgress = nil
            var index = epoch == position.epoch ? position.batch : 0
            let stream = loader.epoch(epoch, from: index, shard: (processGroup?.rank ?? 0, processes))
            while var batch = try stream.next() {
                defer { index += 1 }
                // The step: forward, restricted cross-entropy and the strategy's terms, backward, update.
                if let processGroup, configuration.skipUnreadable {
                    batch = try Self.equalShare(batch, over: processGroup)
                }
                let input =
                    strategy.trainsOnlyClassifier
                    ? try evaluator.pooledFeatures(for: batch, keep: true) : try evaluator.input(for: batch)
                let loss = try step(input, batch: batch, task: task, strategy: strategy, context)
                guard loss.isFinite else {
                    throw ConFiTError.nonFiniteLoss(task: task.id, epoch: epoch, batch: index, loss: loss)
                }
                // After the batch: progress, skipped images, and a stop agreed by every process.
                progress.lossSum += Double(loss)
                (progress.images, progress.batches) = (progress.images + batch.count * processes, progress.batches + 1)
                try report(
                    .batchFinished(
                        TrainingPosition(task: task.id, epoch: epoch, batch: index), batches: loader.batchesPerEpoch,
                        loss: loss))
                let agreed = try agreeAfterBatch(unreadable: batch.unreadable)
                skippedImages += agreed.unreadable
                if agreed.stop {
                    let next = TrainingPosition(task: task.id, epoch: epoch, batch: index + 1)
                    progress.seconds += Date().timeIntervalSince(start)
                    try report(
                        .checkpoint(
                            try TrainingCheckpoint(self, position: next, optimizer: optimizer, epochProgress: progress))
                    )
                    throw ConFiTError.interrupted(next)
                }
            }
            // After the epoch: its record and a checkpoint.
            let seconds = progress.seconds + Date().timeIntervalSince(start)
            try report(
                .epochFinished(
                    EpochRecord(
                        task: task.id, epoch: epoch, stage: stage,
                        meanLoss: progress.batches > 0 ? progress.lossSum / Double(progress.batches) : .nan,
                        imagesPerSecond: Double(progress.images) / max(seconds, 1e-9), seconds: seconds)))
            try report(
                .checkpoint(
                    try TrainingCheckpoint(
                        self, position: TrainingPosition(task: task.id, epoch: epoch + 1), optimizer: optimizer)))
        }
    }

    /// After a batch, in one collective: whether to stop — asked for here, or in any process
    /// of the group, so that all stop at the same batch — and how many images of the whole
    /// batch were left out as unreadable.
    private func agreeAfterBatch(unreadable: Int) throws -> (stop: Bool, unreadable: Int) {
        guard let processGroup else { return (stop.isRequested, unreadable) }
        let sums = try processGroup.allReduceSum([stop.isRequested ? 1 : 0, Double(unreadable)])
        return (sums[0] > 0, Int(sums[1]))
    }

    /// This process's share cut to the smallest share of the group: synchronised batch norm
    /// and gradient averaging take equal shares, which images skipped as unreadable can
    /// make unequal.
    private static func equalShare(_ batch: Batch, over group: any ProcessGroup) throws -> Batch {
        batch.prefix(Int(try group.allGather([Double(batch.count)]).min() ?? 0))
    }

    /// Puts the network, trackers, the strategy's state and the optimizer's back as
    /// `checkpoint` holds them; then `run(from: checkpoint.position, ...)` continues the run.
    public func restore(from checkpoint: TrainingCheckpoint) throws {
        try network.loadStateDict(checkpoint.modelStateDict)
        try checkpoint.currentBank.restore(into: pairs)
        try strategy.restore(from: checkpoint.allTensors)
        pendingOptimizerState = checkpoint.hasOptimizerState ? checkpoint : nil
        pendingProgress = checkpoint.epochProgress
    }

    /// Puts the network in its state for task i after training task t, as the strategy
    /// says (ConFiT: task i's bank, BN running means recovered), eval mode. Selecting i = t
    /// last leaves task t's state in place for the next task's training.
    public func select(task i: Int, after t: Int) throws { try strategy.select(task: i, after: t, context) }

    /// a(t, i): accuracy on task i's test set with restricted logits, in the state
    /// `select(task: i, after: t)` sets up.
    public func evaluate(task i: Int, after t: Int) throws -> Double { try tally(task: i, after: t).taskAware }

    /// a(t, i) and, from the same forward, the task-agnostic accuracy: the arg-max over
    /// every class of tasks 0…t (meaningful for strategies with `hasSharedHead`).
    public func tally(task i: Int, after t: Int) throws -> (taskAware: Double, taskAgnostic: Double) {
        try select(task: i, after: t)
        let task = scenario.tasks[i]
        let seen = scenario.tasks[0...t].flatMap(\.classes)
        // Each process its share of the test images; the counts added up.
        let loader = try makeLoader(
            testShare(of: task), perClass: nil, .evaluation(batchSize: configuration.evaluationBatchSize))
        let tally = try evaluator.tally(loader, classes: task.classes, seen: seen)
        var sums = [
            Double(tally.correct), Double(tally.taskAgnosticCorrect), Double(tally.total), Double(loader.skippedCount),
        ]
        if let processGroup { sums = try processGroup.allReduceSum(sums) }
        skippedImages += Int(sums[3])
        return sums[2] > 0 ? (sums[0] / sums[2], sums[1] / sums[2]) : (0, 0)
    }

    /// Task-agnostic accuracy of a strategy whose tasks differ in more than the head (banks,
    /// masks): each test image of tasks 0…t is scored in the state of every task j ≤ t, its
    /// task inferred as the j whose restricted prediction is most confident (the largest
    /// softmax probability; the first j on ties), and classified there. For each task i: the
    /// fraction classified right, and the fraction whose task was inferred right. Costs t + 1
    /// forwards per image; leaves task t's state.
    public func inferTasks(after t: Int) throws -> [(accuracy: Double, inference: Double)] {
        var best: [[(confidence: Double, task: Int, correct: Bool)]] = Array(repeating: [], count: t + 1)
        for j in 0...t {
            try select(task: j, after: t)
            for i in 0...t {
                var k = 0
                let stream = try makeLoader(
                    testShare(of: scenario.tasks[i]), perClass: nil,
                    .evaluation(batchSize: configuration.evaluationBatchSize)
                ).epoch(0)
                while let batch = try stream.next() {
                    for (scores, label) in zip(
                        try evaluator.logits(for: batch, classes: scenario.tasks[j].classes), batch.labels)
                    {
                        let top = TaskEvaluator.argmax(scores), largest = Double(scores[top])
                        let confidence = 1 / scores.reduce(0.0) { $0 + exp(Double($1) - largest) }
                        let scored = (confidence, j, j == i && top == label)
                        if j == 0 {
                            best[i].append(scored)
                        } else if confidence > best[i][k].confidence {
                            best[i][k] = scored
                        }
                        k += 1
                    }
                }
            }
        }
        var sums = best.enumerated().flatMap { i, images in
            [
                Double(images.count { $0.task == i && $0.correct }), Double(images.count { $0.task == i }),
                Double(images.count),
            ]
        }
        if let processGroup { sums = try processGroup.allReduceSum(sums) }
        try select(task: t, after: t)
        return (0...t).map { i in
            sums[3 * i + 2] > 0 ? (sums[3 * i] / sums[3 * i + 2], sums[3 * i + 1] / sums[3 * i + 2]) : (0, 0)
        }
    }

    /// Task `task`'s test images this process evaluates: all of them, or its contiguous share.
    private func testShare(of task: Scenario.Task) -> [Sample] {
        let samples = Self.firstOfEachClass(task.test, perClass: configuration.testImagesPerClass)
        guard let processGroup else { return samples }
        let (rank, size) = (processGroup.rank, processGroup.size)
        return Array(samples[samples.count * rank / size..<samples.count * (rank + 1) / size])
    }

    /// A loader over the first `perClass` samples of each label (all when nil), with the
    /// run's transform, normalisation, workers and skipping, sharing the image cache.
    private func makeLoader(_ samples: [Sample], perClass: Int?, _ base: LoaderOptions) throws -> BatchLoader {
        var options = base
        options.transform = configuration.transform
        options.normalization = normalization
        options.workers = configuration.loaderWorkers
        options.skipUnreadable = configuration.skipUnreadable
        return try BatchLoader(
            samples: Self.firstOfEachClass(samples, perClass: perClass), options: options, cache: cache)
    }

    /// The first `perClass` samples of each label, in order (all when nil).
    private static func firstOfEachClass(_ samples: [Sample], perClass: Int?) -> [Sample] {
        var taken: [Int: Int] = [:]
        return perClass.map { limit in
            samples.filter { sample in
                taken[sample.label, default: 0] += 1
                return taken[sample.label, default: 0] <= limit
            }
        } ?? samples
    }
}
