import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// One continual fine-tuning run and its folder: the data, network and trainer built from
/// a `RunConfiguration` (new) or from the folder's checkpoint (resumed), and after every
/// epoch and task the checkpoint, `metrics.json` and `metrics.csv`, written atomically.
///
/// ```swift
/// var config = try RunConfiguration(preset: .fashionMNIST, root: "/usr/share/datasets/fashion-mnist", model: .resnet18)
/// config.training.taskLimit = 2
/// let metrics = try ContinualRun(config, folder: URL(fileURLWithPath: "runs/example")).execute()
/// ```
///
/// A stopped run (`stop.request()`, which `InterruptHandler` does on Ctrl-C) checkpoints
/// after its current batch; `ContinualRun(resuming:)` then continues it bit for bit.
public final class ContinualRun {
    /// The configuration with the class order, tasks and thread count it resolved to.
    public let configuration: RunConfiguration
    public let folder: RunFolder
    public let trainer: ContinualTrainer
    /// The dataset's class names, indexed by class id.
    public let classNames: [String]
    /// Everything measured so far (read back from the checkpoint when resumed).
    public private(set) var metrics: RunMetrics
    /// Where training continues: `.start` for a new run, else the last checkpoint's place.
    public private(set) var position: TrainingPosition
    /// The checkpoint position a resumed run started from; nil for a new run.
    public let resumedFrom: TrainingPosition?
    /// Told about progress, in order.
    public var observers: [any RunObserver] = []
    /// Request from any thread to stop after the current batch, with a checkpoint.
    public var stop: StopRequest { trainer.stop }
    /// When this object was made: a run's wall time includes loading data and weights.
    private let created = Date()

    /// A new run into `folder` (created when the first checkpoint is written): loads the
    /// dataset and the pre-trained weights, resolves the class order and tasks. A folder
    /// that already holds a run is refused, not overwritten (`resumingIfPresent` continues it).
    public convenience init(
        _ configuration: RunConfiguration, folder: URL, processGroup: (any ProcessGroup)? = nil
    ) throws {
        let checkpoint = folder.appendingPathComponent(TrainingCheckpoint.fileName)
        guard !FileManager.default.fileExists(atPath: checkpoint.path) else {
            throw ConFiTError.invalidConfiguration(
                "\(folder.path) already holds a run (\(TrainingCheckpoint.fileName)); "
                    + "continue it with confit train --resume \(folder.path), or choose another folder. Nothing was overwritten"
            )
        }
        try self.init(configuration, folder: RunFolder(url: folder), checkpoint: nil, processGroup: processGroup)
    }

    /// The run of `configuration` in `folder`: continued from its checkpoint when the folder
    /// holds one of the same configuration (a finished one then only reports), new when it
    /// holds none; a run of another configuration there is an error.
    public static func resumingIfPresent(
        _ configuration: RunConfiguration, folder: URL,
        processGroup: (any ProcessGroup)? = nil
    ) throws -> ContinualRun {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(TrainingCheckpoint.fileName).path)
        else {
            return try ContinualRun(configuration, folder: folder, processGroup: processGroup)
        }
        let run = try ContinualRun(
            resuming: folder, processGroup: processGroup, workers: configuration.training.loaderWorkers,
            cacheBytes: configuration.training.cacheBytes, threads: configuration.threads)
        guard run.configuration.matches(configuration) else {
            throw ConFiTError.invalidConfiguration(
                "\(folder.path) holds a run of another configuration ("
                    + run.configuration.differences(from: configuration).joined(separator: "; ")
                    + "); choose another folder")
        }
        return run
    }

    /// The run in `folder`, from its last checkpoint: its configuration, network, trackers,
    /// banks, optimizer state and metrics so far.
    /// `precision`, when given, replaces the recorded one: for evaluating or predicting with a
    /// run in another precision, never for training it further. `workers`, `cacheBytes` and
    /// `threads`, when given, replace the recorded decoding threads, image-cache budget and
    /// oneDNN threads: a machine's own choices, recorded as the run's resumes them.
    public convenience init(
        resuming folder: URL, processGroup: (any ProcessGroup)? = nil, precision: DataType? = nil,
        workers: Int? = nil, cacheBytes: Int? = nil, threads: Int? = nil
    ) throws {
        var (checkpoint, metrics, configuration) = try TrainingCheckpoint.last(ofRunIn: folder)
        if let precision { configuration.resolvedPrecision = precision }
        configuration.training.loaderWorkers = workers ?? configuration.training.loaderWorkers
        configuration.training.cacheBytes = cacheBytes ?? configuration.training.cacheBytes
        configuration.threads = threads ?? configuration.threads
        try self.init(
            configuration, folder: RunFolder(url: folder), checkpoint: (checkpoint, metrics), processGroup: processGroup
        )
    }

    /// Whether this process writes the run's files: the only one, or rank 0 of a group.
    public var writesFiles: Bool { (trainer.processGroup?.rank ?? 0) == 0 }

    private init(
        _ requested: RunConfiguration, folder: RunFolder, checkpoint: (TrainingCheckpoint, RunMetrics)?,
        processGroup: (any ProcessGroup)?
    ) throws {
        var configuration = requested
        if checkpoint == nil { configuration.makePathsAbsolute() }
        let shared = (processGroup?.size ?? 1) > 1 ? processGroup : nil
        configuration.processes = shared?.size
        if let threads = configuration.threads { Engine.shared.setThreads(threads) }
        configuration.threads = Engine.shared.threads
        // Before the data is read or anything written; the kernels check again when built.
        try Engine.shared.require(configuration.resolvedPrecision)
        let data = try configuration.dataset.load(
            root: configuration.root, options: DatasetOptions(split: configuration.split ?? .standard))
        let scenario = try configuration.scenario(for: data)
        (configuration.classOrder, configuration.tasks) = (scenario.classOrder, scenario.tasks.map(\.classes))
        configuration.classesPerTask = scenario.tasks.first?.classes.count
        let network = configuration.model.make(
            numClasses: data.classNames.count,
            settings: ComputeSettings(precision: configuration.resolvedPrecision))
        if let weights = configuration.weights, checkpoint == nil {
            let file = try TensorFile(contentsOf: URL(fileURLWithPath: weights))
            do {
                try network.loadPretrained(
                    file.tensors.map { ($0.name, $0.tensor) },
                    classifier: .reinitialize(seed: configuration.training.seed))
            } catch {
                throw ConFiTError.invalidConfiguration(
                    "\(weights) does not hold \(configuration.model.rawValue) weights (its key "
                        + "names look like: \(ArchitectureRecognizer.recognize(file.tensors.map(\.name)))): \(error)")
            }
        }
        trainer = try ContinualTrainer(
            network: network, method: configuration.method, scenario: scenario,
            configuration: configuration.training, normalization: configuration.model.normalization,
            processGroup: shared)
        if let (saved, _) = checkpoint { try trainer.restore(from: saved) }
        (self.configuration, self.folder, classNames) = (configuration, folder, data.classNames)
        metrics = try checkpoint?.1 ?? RunMetrics(config: JSONValue(encoding: configuration), versions: .current)
        position = checkpoint?.0.position ?? .start
        resumedFrom = checkpoint?.0.position
    }

    /// The number of tasks trained and evaluated so far.
    public var finishedTasks: Int { metrics.accuracy.taskCount }

    /// Trains the remaining tasks, evaluating every task so far after each, and returns the
    /// metrics. On a stop request: checkpoints, tells the observers, and throws
    /// `ConFiTError.interrupted` with the position the checkpoint continues at. Holds the
    /// folder's lock throughout: a second run into the folder fails with
    /// `RunFolderError.inUse` before it writes anything.
    @discardableResult
    public func execute() throws -> RunMetrics {
        let lock = writesFiles ? try folder.lock() : nil
        defer { withExtendedLifetime(lock) {} }
        let elapsedBefore = metrics.totalWallSeconds
        var (taskImages, taskSeconds) = (0.0, 0.0)
        /// Records an event (metrics, the checkpoint's files), then tells every observer.
        func record(_ event: RunEvent) throws {
            switch event {
            case .epochFinished(let epoch):
                metrics.recordEpoch(epoch)
                (taskImages, taskSeconds) = (
                    taskImages + epoch.imagesPerSecond * epoch.seconds, taskSeconds + epoch.seconds
                )
            case .taskFinished(let report):
                try metrics.recordTask(
                    accuracies: report.accuracies, taskAgnostic: report.taskAgnosticAccuracies,
                    taskInference: report.taskInferenceAccuracies, bankBytes: report.bankBytes,
                    carriedBytes: report.carriedBytes,
                    wallSeconds: report.trainSeconds + report.evaluationSeconds,
                    evaluationSeconds: report.evaluationSeconds,
                    imagesPerSecond: taskImages / max(taskSeconds, 1e-9))
                (taskImages, taskSeconds) = (0, 0)
            case .checkpoint(var checkpoint):
                metrics.totalWallSeconds = elapsedBefore + Date().timeIntervalSince(created)
                position = checkpoint.position
                guard writesFiles else { return }  // nor is it told: the files are rank 0's
                checkpoint.attach(
                    TrainingCheckpoint.metricsKey, String(decoding: try metrics.jsonData(), as: UTF8.self))
                try folder.writeAtomically(
                    try checkpoint.serialized(), to: TrainingCheckpoint.fileName,
                    keepingPreviousAs: TrainingCheckpoint.previousFileName)
                try folder.write(metrics)
            case .started, .batchFinished, .stopped, .finished:
                break
            }
            for observer in observers { try observer.observe(event, of: self) }
        }
        try record(.started)
        do {
            try trainer.run(from: position, report: record)
        } catch ConFiTError.interrupted(let position) {
            try record(.stopped(position))
            throw ConFiTError.interrupted(position)
        }
        try record(.finished)
        return metrics
    }

    /// The last finished task, T, after checking that `tasks` are all finished (an error
    /// names the first that is not, or says that none is).
    private func lastFinishedTask(checking tasks: [Int] = []) throws -> Int {
        guard finishedTasks > 0 else {
            throw ConFiTError.invalidConfiguration(
                "\(folder.url.path) has no finished task yet (checkpoint at \(position))")
        }
        let last = finishedTasks - 1
        if let outside = tasks.first(where: { !(0...last).contains($0) }) {
            throw ConFiTError.invalidConfiguration(
                "task \(outside) is not finished in \(folder.url.path): tasks 0...\(last) are")
        }
        return last
    }

    /// a(T, i) for finished tasks i (all when nil) after the last finished task T, exactly
    /// as after training T (bank, recovery, restricted logits); leaves task T's state in
    /// the network, as training does.
    public func evaluate(tasks: [Int]? = nil) throws -> [(task: Int, accuracy: Double)] {
        let last = try lastFinishedTask(checking: tasks ?? [])
        let chosen = tasks ?? Array(0...last)
        let accuracies = try chosen.map { (task: $0, accuracy: try trainer.evaluate(task: $0, after: last)) }
        try trainer.select(task: last, after: last)
        return accuracies
    }

    /// The task-agnostic accuracy of every finished task after the last one T: the arg-max
    /// over every class of tasks 0…T for methods with one head, else with each image's task
    /// inferred (`ContinualTrainer.inferTasks(after:)`, which also gives the fraction inferred
    /// right); leaves task T's state in the network.
    public func evaluateTaskAgnostic() throws -> [(accuracy: Double, inference: Double?)] {
        let last = try lastFinishedTask()
        guard trainer.strategy.hasSharedHead else {
            return try trainer.inferTasks(after: last).map { ($0.accuracy, $0.inference) }
        }
        let rows = try (0...last).map {
            (accuracy: try trainer.tally(task: $0, after: last).taskAgnostic, inference: Double?.none)
        }
        try trainer.select(task: last, after: last)
        return rows
    }

    /// Puts the network into finished task i's state after the last finished task, as its
    /// evaluation does, and returns the task's classes (for predictions).
    public func select(task i: Int) throws -> [Int] {
        let last = try lastFinishedTask(checking: [i])
        try trainer.select(task: i, after: last)
        return trainer.scenario.tasks[i].classes
    }
}
