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
    @Option(help: "Progress on stdout: text, json (one object per line) or quiet.") var logFormat = RunLog.text
    @Flag(help: "Print nothing but errors (same as --log-format quiet).") var quiet = false
    @Option(help: "Use only the first N training images of each class.") var trainImagesPerClass: Int?
    @Option(help: "Use only the first N test images of each class.") var testImagesPerClass: Int?
    @Flag(help: "Skip images that cannot be decoded (each reported on stderr) instead of stopping.") var skipUnreadable = false

    func validate() throws {
        guard resume != nil || (preset != nil && root != nil && out != nil) else {
            throw ValidationError("give --preset, --root and --out for a new run, or --resume RUN_FOLDER")
        }
    }

    func run() throws {
        var session = try resume.map(RunSession.resuming) ?? newRun()
        session.log = quiet ? .quiet : logFormat
        _ = try session.execute()
    }

    /// The configuration of a new run, from the options and the preset.
    private func newRun() throws -> RunSession {
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
        (training.trainImagesPerClass, training.testImagesPerClass) = (trainImagesPerClass, testImagesPerClass)
        if let threads { Engine.shared.setThreads(threads) }
        let config = RunConfiguration(preset: preset, dataset: datasetName, root: root, model: model, weights: weights,
                                      method: try ContinualMethod.named(method), training: training,
                                      classOrder: scenario.classOrder, classesPerTask: scenario.tasks.first?.classes.count ?? 1,
                                      tasks: scenario.tasks.map { $0.classes }, threads: Engine.shared.threads)
        return RunSession(config: config, folder: RunFolder(url: URL(fileURLWithPath: out)), checkpoint: nil)
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

