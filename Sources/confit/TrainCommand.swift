import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// `confit train`: a continual fine-tuning run over a preset's tasks, writing
/// `metrics.json` and `metrics.csv` into the run folder after every task.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train task after task with ConFiT or a baseline and evaluate every task seen so far.")

    @Option(help: "Protocol preset: \(TrainingPreset.names.joined(separator: ", ")).") var preset: String?
    @Option(help: "The dataset's folder (or the folder containing it).") var root: String?
    @Option(help: "Dataset reader (default: the preset's).") var dataset: String?
    @Option(help: "Network: \(ModelFactory.names.joined(separator: ", ")).") var model = "efficientnet_lite0"
    @Option(help: "Pre-trained weights (.safetensors, .pth); the classifier is replaced.") var weights: String?
    @Option(help: "Method: \(ContinualMethod.all.map(\.name).joined(separator: ", ")).") var method = "confit"
    @Option(help: "Run folder.") var out: String?
    @Option(help: "Continue the run in this folder from its last checkpoint.") var resume: String?
    @Option(help: "Epochs per task (default: the preset's).") var epochs: Int?
    @Option(help: "Batch size (default: the preset's).") var batchSize: Int?
    @Option(help: "SGD learning rate.") var lr: Float = 0.01
    @Option(help: "Train only the first N tasks.") var tasks: Int?
    @Option(help: "Classes per task (with --class-order or a shuffled order).") var classesPerTask: Int?
    @Option(help: "Comma-separated class order, overriding the preset's.") var classOrder: String?
    @Option(help: "Seed for shuffling and the new classifier.") var seed: UInt64 = 0
    @Option(help: "oneDNN threads (default: all cores).") var threads: Int?
    @Option(help: "Centre-crop size (the short side is resized to 256/224 of it).") var imageSize = 224
    @Option(help: "Decoding threads.") var workers = 1
    @Flag(help: "Skip images that cannot be decoded (each reported on stderr) instead of stopping.") var skipUnreadable = false

    func validate() throws {
        guard resume != nil || (preset != nil && root != nil && out != nil) else {
            throw ValidationError("give --preset, --root and --out for a new run, or --resume RUN_FOLDER")
        }
    }

    func run() throws {
        let runStart = Date()
        let (config, folder, checkpoint) = try resume.map(resumedRun) ?? newRun()
        Engine.shared.setThreads(config.threads)
        let factory = try ModelFactory(config.model)
        let data = try DatasetKind(name: config.dataset).load(root: config.root, options: DatasetOptions(split: .standard))
        let scenario = try Scenario(dataset: data, order: .explicit(config.classOrder), classesPerTask: config.classesPerTask)
        let network = factory.make(numClasses: data.classNames.count)
        if let weights = config.weights, checkpoint == nil {
            let file = try TensorFile(contentsOf: URL(fileURLWithPath: weights))
            try network.loadPretrained(file.tensors.map { ($0.name, $0.tensor) }, classifier: .reinitialize(seed: config.training.seed))
        }
        let trainer = try ContinualTrainer(network: network, method: config.method, scenario: scenario,
                                           configuration: config.training, normalization: factory.normalization)
        var metrics = RunMetrics(config: try JSONValue(encoding: config),
                                 versions: SoftwareVersions(confit: confitVersion, oneDNN: Engine.shared.version, swift: swiftVersion))
        if let checkpoint {
            try trainer.restore(from: checkpoint)
            guard let saved = checkpoint.file.metadata["metrics"] else {
                throw ValidationError("the checkpoint in \(folder.url.path) holds no metrics")
            }
            metrics = try RunMetrics.decode(from: Data(saved.utf8))
            say("resuming \(config.method.name) at \(checkpoint.position)")
        } else {
            say("\(config.method.name) on \(config.preset): \(scenario.tasks.count) tasks, \(config.training.epochs) epochs each, "
                + "batch \(config.training.batchSize), \(config.model) → \(folder.url.path)")
        }
        let interrupt = InterruptHandler(trainer.stop)
        defer { interrupt.cancel() }
        let elapsedBefore = metrics.totalWallSeconds
        var observer = ContinualTrainer.Observer()
        var (taskImages, taskSeconds) = (0.0, 0.0)
        observer.epochFinished = { report in
            say(String(format: "task %d epoch %d [%@] loss %.4f  %.1f img/s  %.1f s", report.task, report.epoch,
                       report.stage.rawValue, report.meanLoss, report.imagesPerSecond, report.seconds))
            metrics.recordEpoch(EpochRecord(task: report.task, epoch: report.epoch, stage: report.stage.rawValue,
                                            meanLoss: report.meanLoss, imagesPerSecond: report.imagesPerSecond, seconds: report.seconds))
            (taskImages, taskSeconds) = (taskImages + report.imagesPerSecond * report.seconds, taskSeconds + report.seconds)
        }
        observer.taskFinished = { report in
            let row = report.accuracies.map { String(format: "%.3f", $0) }.joined(separator: " ")
            let average = report.accuracies.reduce(0, +) / Double(report.accuracies.count)
            say(String(format: "after task %d: accuracies [%@]  A_t %.4f  bank %d bytes", report.task, row, average, report.bankBytes))
            try metrics.recordTask(accuracies: report.accuracies, bankBytes: report.bankBytes,
                                   wallSeconds: report.trainSeconds + report.evaluationSeconds,
                                   imagesPerSecond: taskImages / max(taskSeconds, 1e-9))
            (taskImages, taskSeconds) = (0, 0)
        }
        observer.checkpoint = { checkpoint in
            metrics.totalWallSeconds = elapsedBefore + Date().timeIntervalSince(runStart)
            var checkpoint = checkpoint
            checkpoint.attach("metrics", String(decoding: try metrics.jsonData(), as: UTF8.self))
            try checkpoint.write(to: folder.url.appendingPathComponent(TrainingCheckpoint.fileName))
            try folder.write(metrics)
        }
        do {
            try trainer.run(from: checkpoint?.position ?? .start, observer)
        } catch ConFiTError.interrupted(let position) {
            say("stopped at \(position); continue with: confit train --resume \(folder.url.path)")
            throw ExitCode(130)
        }
        if trainer.skippedImages > 0 { say("skipped \(trainer.skippedImages) unreadable images") }
        if let final = metrics.accuracy.finalAverageAccuracy {
            say(String(format: "final average accuracy %.4f, average incremental accuracy %.4f, forgetting %.4f, BWT %.4f, %.0f s",
                       final, metrics.accuracy.averageIncrementalAccuracy ?? 0, metrics.accuracy.forgetting ?? 0,
                       metrics.accuracy.backwardTransfer ?? 0, metrics.totalWallSeconds))
        }
    }

    /// The configuration of a new run, from the options and the preset.
    private func newRun() throws -> (RunConfiguration, RunFolder, TrainingCheckpoint?) {
        guard let preset, let root, let out else { throw ValidationError("--preset, --root and --out are required") }
        _ = try ModelFactory(model)
        let protocolPreset = try TrainingPreset.named(preset)
        let datasetName = dataset ?? protocolPreset.dataset
        let data = try DatasetKind(name: datasetName).load(root: root, options: DatasetOptions(split: .standard))
        let scenario = try protocolPreset.scenario(for: data, classOrder: classOrder.map(parseOrder), classesPerTask: classesPerTask)
        var training = TrainingConfiguration(epochs: epochs ?? protocolPreset.epochs, batchSize: batchSize ?? protocolPreset.batchSize,
                                             learningRate: lr, seed: seed)
        training.imageSize = imageSize
        training.resizeShortSide = imageSize * 256 / 224
        training.loaderWorkers = workers
        training.taskLimit = tasks
        training.skipUnreadable = skipUnreadable
        if let threads { Engine.shared.setThreads(threads) }
        let config = RunConfiguration(preset: preset, dataset: datasetName, root: root, model: model, weights: weights,
                                      method: try ContinualMethod.named(method), training: training,
                                      classOrder: scenario.classOrder, classesPerTask: scenario.tasks.first?.classes.count ?? 1,
                                      tasks: scenario.tasks.map { $0.classes }, threads: Engine.shared.threads)
        return (config, RunFolder(url: URL(fileURLWithPath: out)), nil)
    }

    /// The configuration and checkpoint of the run in `path`.
    private func resumedRun(_ path: String) throws -> (RunConfiguration, RunFolder, TrainingCheckpoint?) {
        let folder = RunFolder(url: URL(fileURLWithPath: path))
        let checkpoint = try TrainingCheckpoint(contentsOf: folder.url.appendingPathComponent(TrainingCheckpoint.fileName))
        guard let saved = checkpoint.file.metadata["metrics"] else {
            throw ValidationError("the checkpoint in \(path) holds no metrics")
        }
        let config = try RunMetrics.decode(from: Data(saved.utf8)).config.decode(as: RunConfiguration.self)
        return (config, folder, checkpoint)
    }

    private func parseOrder(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map {
            guard let value = Int($0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--class-order: '\($0)' is not a class index")
            }
            return value
        }
    }
}

/// Writes a progress line straight to standard output, so it appears when it happens even
/// when stdout is a file (`print` buffers it until exit there).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// What `metrics.json` records under `config`.
struct RunConfiguration: Codable {
    var preset: String, dataset: String, root: String, model: String
    var weights: String?
    var method: ContinualMethod
    var training: TrainingConfiguration
    var classOrder: [Int]
    var classesPerTask: Int
    var tasks: [[Int]]
    var threads: Int
}

let confitVersion = "0.1.0"
#if swift(>=6.3)
let swiftVersion = "6.3"
#else
let swiftVersion = "6.x"
#endif
