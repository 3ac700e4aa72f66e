import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTNN
import ConFiTReport
import Foundation

/// `confit train`: a continual fine-tuning run over a preset's tasks, writing
/// `metrics.json`, `metrics.csv` and `report.html` into the run folder after every task.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train task after task with ConFiT or a baseline and evaluate every task seen so far.")

    @Option(help: "Protocol preset.") var preset: Preset?
    @Option(help: "The dataset's folder (or the folder containing it).") var root: String?
    @Option(help: "Dataset reader (default: the preset's).") var dataset: DatasetKind?
    @Option(help: "Network.") var model = Architecture.efficientNetLite0
    @Option(help: "Pre-trained weights (.safetensors, .pth); the classifier is replaced.") var weights: String?
    @OptionGroup var method: MethodOptions
    @Option(help: "Run folder.") var out: String?
    @Option(help: "Continue the run in this folder from its last checkpoint.") var resume: String?
    @Option(help: "Epochs per task (default: the preset's).") var epochs: Int?
    @Option(help: "Batch size (default: the preset's).") var batchSize: Int?
    @Option(help: "SGD learning rate.") var lr: Float = 0.01
    @Option(help: "Train only the first N tasks.") var tasks: Int?
    @Option(help: "Classes per task (with --class-order or a shuffled order).") var classesPerTask: Int?
    @Option(help: "Comma-separated class order, overriding the preset's.") var classOrder: String?
    @Option(help: "Seed for shuffling and the new classifier.") var seed: UInt64 = 0
    @OptionGroup var threads: ThreadOptions
    @Option(help: "Centre-crop size (the short side is resized to 256/224 of it).") var imageSize = 224
    @Option(help: "Decoding threads.") var workers = 1
    @OptionGroup var log: LogOptions
    @Option(help: "Use only the first N training images of each class.") var trainImagesPerClass: Int?
    @Option(help: "Use only the first N test images of each class.") var testImagesPerClass: Int?
    @Flag(help: "Skip images that cannot be decoded (each reported on stderr) instead of stopping.") var skipUnreadable = false

    func validate() throws {
        guard resume != nil || (preset != nil && root != nil && out != nil) else {
            throw ValidationError("give --preset, --root and --out for a new run, or --resume RUN_FOLDER")
        }
    }

    func run() throws {
        let run = try resume.map { try ContinualRun(resuming: URL(fileURLWithPath: $0)) } ?? newRun()
        try Self.execute(run, log: log.format)
    }

    /// The run the options describe.
    private func newRun() throws -> ContinualRun {
        guard let preset, let root, let out else { throw ValidationError("--preset, --root and --out are required") }
        var config = try RunConfiguration(preset: preset, root: root, model: model, weights: weights, method: method.resolved)
        config.dataset = dataset ?? config.dataset
        config.training.epochs = epochs ?? config.training.epochs
        config.training.batchSize = batchSize ?? config.training.batchSize
        (config.training.learningRate, config.training.seed) = (lr, seed)
        (config.training.imageSize, config.training.resizeShortSide) = (imageSize, imageSize * 256 / 224)
        (config.training.loaderWorkers, config.training.taskLimit, config.training.skipUnreadable) = (workers, tasks, skipUnreadable)
        (config.training.trainImagesPerClass, config.training.testImagesPerClass) = (trainImagesPerClass, testImagesPerClass)
        (config.classOrder, config.classesPerTask, config.threads) = (try classOrder.map(parseOrder), classesPerTask, threads.threads)
        let perTask = try config.resolvedClassesPerTask
        if let order = config.classOrder, order.count % perTask != 0 {
            throw ValidationError("--class-order lists \(order.count) classes, which do not divide into tasks of \(perTask) "
                + "(--classes-per-task)")
        }
        if weights == nil {
            FileHandle.standardError.write(Data(("warning: no --weights: training a randomly initialised \(model.rawValue), "
                + "not fine-tuning a pre-trained one (scripts/install-dependencies puts EfficientNet-Lite0's ImageNet weights "
                + "in ~/.cache/confit)\n").utf8))
        }
        return try ContinualRun(config, folder: URL(fileURLWithPath: out))
    }

    private func parseOrder(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map {
            guard let value = Int($0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--class-order: '\($0)' is not a class index")
            }
            return value
        }
    }

    /// Runs `run` to the end with progress in `log` and `report.html` kept current; Ctrl-C
    /// or SIGTERM checkpoints and exits with status 128 + the signal (130, 143), saying how
    /// to continue.
    @discardableResult
    static func execute(_ run: ContinualRun, log: LogFormat) throws -> RunMetrics {
        run.observers += [ProgressLog(log, batchSize: run.configuration.training.batchSize), ReportWriter()]
        let interrupt = InterruptHandler(run.stop) { signal in
            let name = signal == SIGTERM ? "interrupted (SIGTERM)" : "interrupted"
            FileHandle.standardError.write(Data("\n\(name): finishing the current batch, then checkpointing\n".utf8))
        }
        defer { interrupt.cancel() }
        do {
            return try run.execute()
        } catch ConFiTError.interrupted {
            throw ExitCode(128 + (interrupt.received ?? SIGINT))
        }
    }
}
