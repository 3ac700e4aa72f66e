import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// Ranks the classes of image files under a network in eval mode: a pre-trained
/// checkpoint with its own classifier (`confit classify`), one task of a run (`confit
/// predict --run`), or the run's shared weights with an exported task file (`confit
/// predict --bank`). Images go through the evaluation preprocessing of training.
public final class ImagePredictor {
    /// The names of the classes that predictions index into.
    public let classNames: [String]
    /// Batch size, transform and normalisation of the images.
    public var options: LoaderOptions
    private let evaluator: TaskEvaluator
    /// The logit columns predictions rank, in order.
    private let classes: [Int]

    private init(
        evaluator: TaskEvaluator, classes: [Int], classNames: [String], transform: EvalTransform,
        normalization: Normalization
    ) {
        (self.evaluator, self.classes, self.classNames) = (evaluator, classes, classNames)
        options = LoaderOptions.evaluation(batchSize: 16)
        (options.transform, options.normalization, options.skipUnreadable) = (transform, normalization, true)
    }

    /// `architecture` with the checkpoint's classifier, whatever its class count (read from
    /// the classifier's weight), so fine-tuned checkpoints classify into their own classes;
    /// classes are named by index. A file without that classifier (most likely weights of
    /// another network) fails before any image is read, saying what its keys look like.
    public static func pretrained(
        _ architecture: Architecture, weights: URL, precision: DataType = .float32
    ) throws -> ImagePredictor {
        let file = try TensorFile(contentsOf: weights)
        let key = architecture.classifierName + ".weight"
        guard let head = file.tensors.first(where: { $0.name == key })?.tensor, head.shape.count == 2 else {
            throw ConFiTError.weightsMismatch(
                path: weights.path, model: architecture.rawValue, classifierKey: key,
                recognised: ArchitectureRecognizer.recognize(file.tensors.map(\.name)))
        }
        let network = architecture.make(numClasses: head.shape[0], settings: ComputeSettings(precision: precision))
        try network.loadPretrained(file.tensors.map { ($0.name, $0.tensor) })
        let evaluator = TaskEvaluator(network: network, pairs: [])
        try evaluator.select(nil, recover: false)
        return ImagePredictor(
            evaluator: evaluator, classes: Array(0..<head.shape[0]), classNames: (0..<head.shape[0]).map(String.init),
            transform: .standard, normalization: architecture.normalization)
    }

    /// Finished task `task` of `run`, in the state its evaluation after the run's last
    /// finished task uses (bank, recovery), over the task's classes.
    public static func task(_ task: Int, of run: ContinualRun) throws -> ImagePredictor {
        let classes = try run.select(task: task)
        return ImagePredictor(
            evaluator: run.trainer.evaluator, classes: classes, classNames: classes.map { run.classNames[$0] },
            transform: run.configuration.training.transform, normalization: run.trainer.normalization)
    }

    /// The shared weights (a run's `checkpoint.safetensors`, or a plain state dict) with
    /// one exported task: what a deployment keeps per task instead of a model copy.
    public static func exported(
        _ taskFile: TaskFile, weights: URL, precision: DataType = .float32
    ) throws -> ImagePredictor {
        let base = try TensorFile(contentsOf: weights).tensors.map { ($0.name, $0.tensor) }
        let model = base.under(TrainingCheckpoint.modelPrefix)
        let stateDict = model.isEmpty ? base : model
        let network = taskFile.model.make(
            numClasses: taskFile.classes.count, settings: ComputeSettings(precision: precision))
        try network.loadPretrained(stateDict, classifier: .reinitialize(seed: 0))
        try network.loadStateDict(taskFile.classifierStateDict, strict: false)
        let evaluator = TaskEvaluator(network: network, pairs: [])
        try ContinualMethod.named(taskFile.method).makeStrategy()
            .importTask(taskFile.taskTensors, metadata: taskFile.file.metadata, into: evaluator)
        return ImagePredictor(
            evaluator: evaluator, classes: Array(taskFile.classes.indices), classNames: taskFile.classNames,
            transform: taskFile.transform, normalization: taskFile.model.normalization)
    }

    /// The `k` most probable classes of each readable image (softmax over the ranked
    /// classes), handed to `receive` in the order given. Returns how many images could not
    /// be read; each is reported through `warn` and the others are still ranked.
    @discardableResult
    public func predict(
        _ images: [String], top k: Int, warn: @escaping @Sendable (String) -> Void,
        _ receive: (_ image: String, _ top: [Prediction]) throws -> Void
    ) throws -> Int {
        let samples = images.enumerated().map { Sample(id: $0.offset, label: 0, source: .file($0.element)) }
        let loader = try BatchLoader(samples: samples, options: options, warn: warn)
        let stream = loader.epoch(0)
        while let batch = try stream.next() {
            guard batch.count > 0 else { continue }
            let rows = try evaluator.logits(for: batch, classes: classes)
            let logits = try Tensor(shape: [batch.count, classes.count], values: rows.flatMap { $0 })
            for (id, top) in zip(batch.sampleIDs, try Prediction.top(min(k, classes.count), of: logits)) {
                try receive(images[id], top)
            }
        }
        return loader.skippedCount
    }
}
