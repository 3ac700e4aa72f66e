import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTNN
import Foundation

/// The options that define a run's protocol, data and network — everything but the
/// method, the seed and the folder — shared by `train` (one run) and `sweep` (many).
struct RunOptions: ParsableArguments {
    @Option(help: "Protocol preset.") var preset: Preset?
    @Option(help: "The dataset's folder (or the folder containing it).") var root: String?
    @Option(help: "Dataset reader (default: the preset's).") var dataset: DatasetKind?
    @OptionGroup var split: SplitOptions
    @Option(help: "Network.") var model = Architecture.efficientNetLite0
    @Option(help: "Pre-trained weights (.safetensors, .pth); the classifier is replaced.") var weights: String?
    @Option(help: "Epochs per task (default: the preset's).") var epochs: Int?
    @Option(help: "Batch size (default: the preset's).") var batchSize: Int?
    @Option(help: "SGD learning rate.") var lr: Float = 0.01
    @Option(help: "Train only the first N tasks.") var tasks: Int?
    @Option(help: "Classes per task (with --class-order or a shuffled order).") var classesPerTask: Int?
    @Option(help: "Comma-separated class order, overriding the preset's.") var classOrder: String?
    @Option(help: "Centre-crop size (the short side is resized to 256/224 of it).") var imageSize = 224
    @Option(help: "Decoding threads.") var workers = 1
    @Option(help: "Use only the first N training images of each class.") var trainImagesPerClass: Int?
    @Option(help: "Use only the first N test images of each class.") var testImagesPerClass: Int?
    @Flag(help: "Skip images that cannot be decoded (each reported on stderr) instead of stopping.") var skipUnreadable = false
    @OptionGroup var precision: PrecisionOptions
    @Option(help: "Bank methods: classify with the trained classifier (linear) or with class-mean prototypes under each task's bank (prototypes).")
    var head: TrainingConfiguration.Head?
    @Flag(help: "Bank and mask methods: also measure task-agnostic accuracy, inferring each image's task (one forward per seen task).")
    var taskAgnostic = false

    /// Whether any option that defines a new run was given (refused beside `--resume`).
    var anyGiven: Bool {
        preset != nil || root != nil || dataset != nil || split.anyGiven || weights != nil || epochs != nil || batchSize != nil || tasks != nil
            || classesPerTask != nil || classOrder != nil || trainImagesPerClass != nil || testImagesPerClass != nil || skipUnreadable
            || precision.precision != nil || head != nil || taskAgnostic
    }

    /// The configuration these options describe for `method` and `seed`; warns on standard
    /// error when there are no pre-trained weights.
    func configuration(method: ContinualMethod, seed: UInt64) throws -> RunConfiguration {
        guard let preset, let root else { throw ValidationError("--preset and --root are required for a new run") }
        var config = try RunConfiguration(preset: preset, root: root, model: model, weights: weights, method: method)
        (config.dataset, config.split) = (dataset ?? config.dataset, split.choice)
        config.training.epochs = epochs ?? config.training.epochs
        config.training.batchSize = batchSize ?? config.training.batchSize
        (config.training.learningRate, config.training.seed) = (lr, seed)
        (config.training.imageSize, config.training.resizeShortSide) = (imageSize, imageSize * 256 / 224)
        (config.training.loaderWorkers, config.training.taskLimit, config.training.skipUnreadable) = (workers, tasks, skipUnreadable)
        (config.training.trainImagesPerClass, config.training.testImagesPerClass) = (trainImagesPerClass, testImagesPerClass)
        (config.classOrder, config.classesPerTask) = (try classOrder.map(parseOrder), classesPerTask)
        config.resolvedPrecision = precision.precision ?? .float32
        config.training.head = head == .linear ? nil : head
        config.training.taskAgnostic = taskAgnostic ? true : nil
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
        return config
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
