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

    @Option(help: "Protocol preset: \(TrainingPreset.names.joined(separator: ", ")).") var preset: String
    @Option(help: "The dataset's folder (or the folder containing it).") var root: String
    @Option(help: "Dataset reader (default: the preset's).") var dataset: String?
    @Option(help: "Network: \(ModelFactory.names.joined(separator: ", ")).") var model = "efficientnet_lite0"
    @Option(help: "Pre-trained weights (.safetensors, .pth); the classifier is replaced.") var weights: String?
    @Option(help: "Method: \(ContinualMethod.all.map(\.name).joined(separator: ", ")).") var method = "confit"
    @Option(help: "Run folder.") var out: String
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

    func run() throws {
        if let threads { Engine.shared.setThreads(threads) }
        let runStart = Date()
        let factory = try ModelFactory(model)
        let protocolPreset = try TrainingPreset.named(preset)
        let data = try DatasetKind(name: dataset ?? protocolPreset.dataset)
            .load(root: root, options: DatasetOptions(split: .standard))
        let scenario = try protocolPreset.scenario(for: data, classOrder: classOrder.map(parseOrder), classesPerTask: classesPerTask)
        var training = TrainingConfiguration(epochs: epochs ?? protocolPreset.epochs, batchSize: batchSize ?? protocolPreset.batchSize,
                                             learningRate: lr, seed: seed)
        training.imageSize = imageSize
        training.resizeShortSide = imageSize * 256 / 224
        training.loaderWorkers = workers
        training.taskLimit = tasks
        training.skipUnreadable = skipUnreadable
        let network = factory.make(numClasses: data.classNames.count)
        if let weights {
            let file = try TensorFile(contentsOf: URL(fileURLWithPath: weights))
            try network.loadPretrained(file.tensors.map { ($0.name, $0.tensor) }, classifier: ClassifierLoading.reinitialize(seed: seed))
        }
        let continualMethod = try ContinualMethod.named(method)
        let trainer = try ContinualTrainer(network: network, method: continualMethod, scenario: scenario,
                                           configuration: training, normalization: factory.normalization)
        let folder = RunFolder(url: URL(fileURLWithPath: out))
        let config = RunConfiguration(preset: preset, dataset: dataset ?? protocolPreset.dataset, root: root, model: model,
                                      weights: weights, method: continualMethod, training: training,
                                      classOrder: scenario.classOrder, tasks: scenario.tasks.map { $0.classes }, threads: Engine.shared.threads)
        var metrics = RunMetrics(config: try JSONValue(encoding: config),
                                 versions: SoftwareVersions(confit: confitVersion, oneDNN: Engine.shared.version, swift: swiftVersion))
        say("\(continualMethod.name) on \(preset): \(scenario.tasks.count) tasks, \(training.epochs) epochs each, batch \(training.batchSize), \(model) → \(out)")
        var taskImages = 0.0, taskSeconds = 0.0
        try trainer.run(epochFinished: { report in
            say(String(format: "task %d epoch %d [%@] loss %.4f  %.1f img/s  %.1f s", report.task, report.epoch,
                         report.stage.rawValue, report.meanLoss, report.imagesPerSecond, report.seconds))
            metrics.recordEpoch(EpochRecord(task: report.task, epoch: report.epoch, stage: report.stage.rawValue,
                                            meanLoss: report.meanLoss, imagesPerSecond: report.imagesPerSecond, seconds: report.seconds))
            taskImages += report.imagesPerSecond * report.seconds
            taskSeconds += report.seconds
        }, taskFinished: { report in
            let row = report.accuracies.map { String(format: "%.3f", $0) }.joined(separator: " ")
            let average = report.accuracies.reduce(0, +) / Double(report.accuracies.count)
            say(String(format: "after task %d: accuracies [%@]  A_t %.4f  bank %d bytes", report.task, row, average, report.bankBytes))
            try metrics.recordTask(accuracies: report.accuracies, bankBytes: report.bankBytes,
                                    wallSeconds: report.trainSeconds + report.evaluationSeconds,
                                    imagesPerSecond: taskImages / max(taskSeconds, 1e-9))
            (taskImages, taskSeconds) = (0, 0)
            metrics.totalWallSeconds = Date().timeIntervalSince(runStart)
            try folder.write(metrics)
        })
        metrics.totalWallSeconds = Date().timeIntervalSince(runStart)
        try folder.write(metrics)
        if trainer.skippedImages > 0 { say("skipped \(trainer.skippedImages) unreadable images") }
        if let final = metrics.accuracy.finalAverageAccuracy {
            say(String(format: "final average accuracy %.4f, average incremental accuracy %.4f, forgetting %.4f, BWT %.4f, %.0f s",
                         final, metrics.accuracy.averageIncrementalAccuracy ?? 0, metrics.accuracy.forgetting ?? 0,
                         metrics.accuracy.backwardTransfer ?? 0, metrics.totalWallSeconds))
        }
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
    var tasks: [[Int]]
    var threads: Int
}

let confitVersion = "0.1.0"
#if swift(>=6.3)
let swiftVersion = "6.3"
#else
let swiftVersion = "6.x"
#endif
