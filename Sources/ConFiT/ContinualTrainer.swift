import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// Trains a network task after task and evaluates every task seen so far after each,
/// exactly as DESIGN §2 describes. What differs between ConFiT and the baselines is read
/// off the `ContinualMethod`'s switches, never its name.
public final class ContinualTrainer {
    /// One finished epoch.
    public struct EpochReport: Sendable {
        public var task: Int, epoch: Int
        public var stage: TrainableSelection
        public var meanLoss: Double, imagesPerSecond: Double, seconds: Double
    }

    /// One finished task: a(t, 0…t), the bank size and the time taken.
    public struct TaskReport: Sendable {
        public var task: Int
        public var accuracies: [Double]
        public var bankBytes: Int
        public var trainSeconds: Double, evaluationSeconds: Double
    }

    public let network: any Layer
    public let method: ContinualMethod
    public let scenario: Scenario
    public let configuration: TrainingConfiguration
    public let normalization: Normalization
    /// Every conv → BN pair with the tracker on the conv's input; none for methods that
    /// keep no task banks (fine-tuning, linear probing), which then pay nothing for tracking.
    public let pairs: [ConvolutionNormPair]
    public private(set) var banks: [TaskBank] = []
    /// Images left out so far because they could not be decoded (`skipUnreadable`).
    public private(set) var skippedImages = 0
    private let classifier: Linear
    private let cache: ImageCache
    /// Momentum buffers from a checkpoint, applied when the resumed task's optimizer exists.
    private var pendingVelocity: [(String, HostTensor)]?
    /// The stopped epoch's totals from the checkpoint `restore(from:)` read.
    private var pendingProgress: EpochProgress?
    /// Input and logit-gradient buffers, allocated once per batch shape.
    private var inputs: [[Int]: Tensor] = [:], gradients: [[Int]: Tensor] = [:]

    public init(network: any Layer, method: ContinualMethod, scenario: Scenario, configuration: TrainingConfiguration,
                normalization: Normalization) throws {
        guard let classifier = network.namedLayers().map(\.1).last(where: { $0 is Linear }) as? Linear else {
            throw ConFiTError.invalidConfiguration("the network has no Linear classifier")
        }
        guard let top = scenario.tasks.flatMap(\.classes).max(), top < classifier.outFeatures else {
            throw ConFiTError.invalidConfiguration("the classifier has \(classifier.outFeatures) outputs; the scenario's classes need more")
        }
        guard configuration.epochs > 0, configuration.batchSize > 0 else {
            throw ConFiTError.invalidConfiguration("epochs and batch size must be positive")
        }
        (self.network, self.method, self.scenario, self.configuration) = (network, method, scenario, configuration)
        self.normalization = normalization
        self.classifier = classifier
        pairs = method.usesTaskBanks ? try ConvolutionNormPair.pairs(in: network) : []
        cache = ImageCache(budgetBytes: configuration.cacheBytes)
    }

    /// Callbacks of a run: progress reports, and a checkpoint to store after every epoch,
    /// every task, and when a stop was requested.
    public struct Observer {
        /// After every training batch: position, batches in the epoch, and that batch's loss.
        public var batchFinished: (_ position: TrainingPosition, _ batches: Int, _ loss: Float) -> Void = { _, _, _ in }
        public var epochFinished: (EpochReport) throws -> Void = { _ in }
        public var taskFinished: (TaskReport) throws -> Void = { _ in }
        public var checkpoint: (TrainingCheckpoint) throws -> Void = { _ in }
        public init() {}
    }

    /// Set from any thread (a SIGINT handler) to stop after the current batch.
    public let stop = StopRequest()

    /// Runs the tasks in order from `position` (a new run starts at `.start`; a resumed one
    /// where its checkpoint says, after `restore(from:)`). Throws `ConFiTError.interrupted`
    /// after checkpointing when `stop` was requested.
    public func run(from position: TrainingPosition = .start, _ observer: Observer) throws {
        for task in scenario.tasks.prefix(configuration.taskLimit ?? scenario.tasks.count) where task.id >= position.task {
            let trainStart = Date()
            let resume = task.id == position.task ? position : TrainingPosition(task: task.id, epoch: 0)
            try train(task, from: resume, observer)
            if method.usesTaskBanks { banks.append(try TaskBank(capturing: pairs)) }
            let evaluationStart = Date()
            let accuracies = try (0...task.id).map { try evaluate(task: $0, after: task.id) }
            try observer.taskFinished(TaskReport(task: task.id, accuracies: accuracies, bankBytes: banks.last?.byteCount ?? 0,
                                                 trainSeconds: evaluationStart.timeIntervalSince(trainStart),
                                                 evaluationSeconds: Date().timeIntervalSince(evaluationStart)))
            try observer.checkpoint(try TrainingCheckpoint(self, position: TrainingPosition(task: task.id + 1, epoch: 0), optimizer: nil))
        }
    }

    /// Trains `task` from `position` to its last epoch with a fresh SGD (its momentum
    /// restored when resuming mid-task), the method's schedule, and logits restricted to
    /// the task's classes.
    func train(_ task: Scenario.Task, from position: TrainingPosition, _ observer: Observer) throws {
        let loader = try makeLoader(task.train, perClass: configuration.trainImagesPerClass,
                                    .training(batchSize: configuration.batchSize, seed: configuration.seed &+ UInt64(task.id)))
        let optimizer = SGD(parameters: network.namedParameters().map(\.1), learningRate: configuration.learningRate,
                            momentum: configuration.momentum, weightDecay: configuration.weightDecay)
        if let pending = pendingVelocity, position.epoch > 0 || position.batch > 0 {
            let parameters = Dictionary(network.namedParameters(), uniquingKeysWith: { a, _ in a })
            for (name, values) in pending { if let p = parameters[name] { try optimizer.setVelocity(values.floats(), of: p) } }
        }
        pendingVelocity = nil
        defer { skippedImages += loader.skippedCount }
        for epoch in position.epoch..<max(position.epoch, configuration.epochs) {
            let stage = method.schedule.selection(epoch: epoch, epochs: configuration.epochs)
            network.setTrainable(stage)
            if method.backboneInEvalMode { network.eval(); classifier.train() } else { network.train() }
            let start = Date()
            var progress = epoch == position.epoch && position.batch > 0 ? pendingProgress ?? EpochProgress() : EpochProgress()
            pendingProgress = nil
            var index = epoch == position.epoch ? position.batch : 0
            let stream = loader.epoch(epoch, from: index)
            while let batch = try stream.next() {
                defer { index += 1 }
                let input = try tensor(for: batch)
                optimizer.zeroGradients()
                let logits = try network.forward(input)
                let gradient = try gradientBuffer(like: logits)
                let loss = try CrossEntropy.loss(logits: logits, classes: task.classes, labels: batch.labels, gradient: gradient)
                guard loss.isFinite else {
                    throw ConFiTError.nonFiniteLoss(task: task.id, epoch: epoch, batch: index, loss: loss)
                }
                _ = try network.backward(gradient, needsInputGradient: false)
                optimizer.step()
                progress.lossSum += Double(loss)
                (progress.images, progress.batches) = (progress.images + batch.count, progress.batches + 1)
                observer.batchFinished(TrainingPosition(task: task.id, epoch: epoch, batch: index), loader.batchesPerEpoch, loss)
                if stop.isRequested {
                    let next = TrainingPosition(task: task.id, epoch: epoch, batch: index + 1)
                    progress.seconds += Date().timeIntervalSince(start)
                    try observer.checkpoint(try TrainingCheckpoint(self, position: next, optimizer: optimizer, epochProgress: progress))
                    throw ConFiTError.interrupted(next)
                }
            }
            let seconds = progress.seconds + Date().timeIntervalSince(start)
            try observer.epochFinished(EpochReport(task: task.id, epoch: epoch, stage: stage,
                                                   meanLoss: progress.batches > 0 ? progress.lossSum / Double(progress.batches) : .nan,
                                                   imagesPerSecond: Double(progress.images) / max(seconds, 1e-9), seconds: seconds))
            try observer.checkpoint(try TrainingCheckpoint(self, position: TrainingPosition(task: task.id, epoch: epoch + 1),
                                                           optimizer: optimizer))
        }
    }

    /// Puts the network, trackers, banks and momentum back as `checkpoint` holds them;
    /// then `run(from: checkpoint.position, ...)` continues the run.
    public func restore(from checkpoint: TrainingCheckpoint) throws {
        try network.loadStateDict(checkpoint.tensors("model."))
        try TaskBank(tensors: checkpoint.tensors("current.")).restore(into: pairs)
        banks = (0..<checkpoint.bankCount).map { TaskBank(tensors: checkpoint.tensors("bank.\($0).")) }
        let velocity = checkpoint.tensors("optimizer.")
        pendingVelocity = velocity.isEmpty ? nil : velocity
        pendingProgress = checkpoint.epochProgress
    }

    /// Puts the network in its state for task i after training task t: task i's bank
    /// (with BN running means recovered through the current convolutions when i ≠ t and
    /// the method recovers), eval mode. Selecting i = t last leaves bank t in place.
    public func select(task i: Int, after t: Int) throws {
        if method.usesTaskBanks {
            guard banks.indices.contains(i) else {
                throw ConFiTError.bankMismatch(key: "bank \(i)", reason: "only \(banks.count) tasks have banks")
            }
            try banks[i].restore(into: pairs)
            if method.recoversRunningMeans && i != t {
                for pair in pairs { try pair.normalization.runningMean.load(try pair.tracker.recoveredMean()) }
            }
        }
        network.eval()
    }

    /// a(t, i): accuracy on task i's test set with restricted logits, in the state
    /// `select(task: i, after: t)` sets up.
    public func evaluate(task i: Int, after t: Int) throws -> Double {
        try select(task: i, after: t)
        let task = scenario.tasks[i]
        let loader = try makeLoader(task.test, perClass: configuration.testImagesPerClass,
                                    .evaluation(batchSize: configuration.evaluationBatchSize))
        let stream = loader.epoch(0)
        defer { skippedImages += loader.skippedCount }
        var (correct, total) = (0, 0)
        while let batch = try stream.next() {
            let logits = try logits(for: batch)
            let width = logits.shape[1]
            for row in 0..<batch.count {
                let scores = task.classes.map { logits.pointer[row * width + $0] }
                let predicted = scores.indices.max { scores[$0] < scores[$1] } ?? -1
                if predicted == batch.labels[row] { correct += 1 }
            }
            total += batch.count
        }
        return total > 0 ? Double(correct) / Double(total) : 0
    }

    /// A loader over the first `perClass` samples of each label (all when nil), with the
    /// run's transform, normalisation, workers and skipping, sharing the image cache.
    private func makeLoader(_ samples: [Sample], perClass: Int?, _ base: LoaderOptions) throws -> BatchLoader {
        var options = base
        options.transform = configuration.transform
        options.normalization = normalization
        options.workers = configuration.loaderWorkers
        options.skipUnreadable = configuration.skipUnreadable
        var taken: [Int: Int] = [:]
        let chosen = perClass.map { limit in
            samples.filter { sample in
                taken[sample.label, default: 0] += 1
                return taken[sample.label, default: 0] <= limit
            }
        } ?? samples
        return try BatchLoader(samples: chosen, options: options, cache: cache)
    }

    /// Logits [n, classes] for a batch, in whatever state the network is.
    public func logits(for batch: Batch) throws -> Tensor { try network.forward(try tensor(for: batch)) }

    /// The input tensor for a batch, allocated once per batch shape.
    private func tensor(for batch: Batch) throws -> Tensor {
        let input = inputs[batch.shape] ?? Tensor(shape: batch.shape)
        inputs[batch.shape] = input
        try input.load(batch.images)
        return input
    }

    private func gradientBuffer(like logits: Tensor) throws -> Tensor {
        let gradient = gradients[logits.shape] ?? Tensor(shape: logits.shape)
        gradients[logits.shape] = gradient
        return gradient
    }
}
