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
    @Option(help: "Network (default: efficientnet_lite0).") var model: Architecture?
    @Option(help: "Pre-trained weights (.safetensors, .pth); the classifier is replaced.") var weights: String?
    @Option(help: "Epochs per task (default: the preset's).") var epochs: Int?
    @Option(help: "Batch size (default: the preset's).") var batchSize: Int?
    @Option(help: "SGD learning rate (default: 0.01).") var lr: Float?
    @Option(help: "Train only the first N tasks.") var tasks: Int?
    @Option(help: "Classes per task (with --class-order or a shuffled order).") var classesPerTask: Int?
    @Option(help: "Comma-separated class order, overriding the preset's.") var classOrder: String?
    @Option(help: "Centre-crop size, the short side resized to 256/224 of it (default: 224).") var imageSize: Int?
    @Option(help: "Decoding threads (default: 1; may change when a run resumes).") var workers: Int?
    @Option(
        help: ArgumentHelp(
            "Memory for decoded images kept across epochs, per run: bytes or 512M, 4G; 0 decodes every image "
                + "every epoch (default: 4G; may change when a run resumes; changes no result).", valueName: "size"))
    var cacheSize: ByteSize?
    @Option(help: "Use only the first N training images of each class.") var trainImagesPerClass: Int?
    @Option(help: "Use only the first N test images of each class.") var testImagesPerClass: Int?
    @Flag(help: "Skip images that cannot be decoded (each reported on stderr) instead of stopping.")
    var skipUnreadable = false
    @OptionGroup var precision: PrecisionOptions
    @Option(
        help:
            "Bank methods: classify with the trained classifier (linear) or with class-mean prototypes under each task's bank (prototypes)."
    )
    var head: TrainingConfiguration.Head?
    @Flag(
        help:
            "Bank and mask methods: also measure task-agnostic accuracy, inferring each image's task (one forward per seen task)."
    )
    var taskAgnostic = false

    /// The options given that define a run (refused beside `--resume` and `--configuration`,
    /// which take them from the run): every one but `--workers` and `--cache-size`.
    var given: [String] {
        [
            ("--preset", preset != nil), ("--root", root != nil), ("--dataset", dataset != nil),
            ("--split...", split.anyGiven),
            ("--model", model != nil), ("--weights", weights != nil), ("--epochs", epochs != nil),
            ("--batch-size", batchSize != nil),
            ("--lr", lr != nil), ("--tasks", tasks != nil), ("--classes-per-task", classesPerTask != nil),
            ("--class-order", classOrder != nil), ("--image-size", imageSize != nil),
            ("--train-images-per-class", trainImagesPerClass != nil),
            ("--test-images-per-class", testImagesPerClass != nil),
            ("--skip-unreadable", skipUnreadable), ("--precision", precision.precision != nil), ("--head", head != nil),
            ("--task-agnostic", taskAgnostic),
        ].filter(\.1).map(\.0)
    }

    /// The configuration these options describe for `method` and `seed`; warns on standard
    /// error when there are no pre-trained weights.
    func configuration(method: ContinualMethod, seed: UInt64) throws -> RunConfiguration {
        guard let preset, let root else { throw ValidationError("--preset and --root are required for a new run") }
        let model = model ?? .efficientNetLite0, imageSize = imageSize ?? 224
        var config = try RunConfiguration(preset: preset, root: root, model: model, weights: weights, method: method)
        (config.dataset, config.split) = (dataset ?? config.dataset, split.choice)
        config.training.epochs = epochs ?? config.training.epochs
        config.training.batchSize = batchSize ?? config.training.batchSize
        (config.training.learningRate, config.training.seed) = (lr ?? 0.01, seed)
        (config.training.imageSize, config.training.resizeShortSide) = (imageSize, imageSize * 256 / 224)
        (config.training.loaderWorkers, config.training.taskLimit, config.training.skipUnreadable) = (
            workers ?? 1, tasks, skipUnreadable
        )
        (config.training.trainImagesPerClass, config.training.testImagesPerClass) = (
            trainImagesPerClass, testImagesPerClass
        )
        config.training.cacheBytes = cacheSize?.bytes ?? config.training.cacheBytes
        (config.classOrder, config.classesPerTask) = (try classOrder.map(parseOrder), classesPerTask)
        config.resolvedPrecision = precision.precision ?? .float32
        config.training.head = head == .linear ? nil : head
        config.training.taskAgnostic = taskAgnostic ? true : nil
        let perTask = try config.resolvedClassesPerTask
        if let order = config.classOrder, order.count % perTask != 0 {
            throw ValidationError(
                "--class-order lists \(order.count) classes, which do not divide into tasks of \(perTask) "
                    + "(--classes-per-task)")
        }
        if weights == nil {
            FileHandle.standardError.write(
                Data(
                    ("warning: no --weights: training a randomly initialised \(model.rawValue), "
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
