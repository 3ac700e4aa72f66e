import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// One network serving many tasks at once (`confit serve`): the weights the tasks share,
/// loaded once, and per task only what differs (`ServedTask`). A batch of images of
/// different tasks runs **one** forward through the shared convolutions; each BatchNorm
/// applies each image's own task's scale and shift (`BatchNorm2d.perImageAffine`), and each
/// image's pooled features go through its task's classifier rows or prototypes. Methods
/// whose convolution weights differ per task (PackNet's and Piggyback's masks) run the
/// batch grouped by task instead.
///
/// Not thread-safe: one thread runs its forwards (the server's batcher).
public final class SharedBackbone {
    /// How a batch of images of several tasks runs.
    public enum Batching: String, Sendable, CaseIterable {
        /// One forward over the whole batch, each BN applying each image's task's values.
        case mixed
        /// A naive design, for comparison: the images grouped by task, and for each group
        /// the task's BN values written into the network before its forward.
        case swapped
        /// The other naive design, for comparison: a whole network of its own per task,
        /// weights, kernels and buffers included, and the images grouped by task. Exported
        /// tasks only (`init(weights:...)`).
        case copies
    }

    public let model: Architecture
    public let batching: Batching
    /// The evaluation preprocessing every task's images go through.
    public private(set) var transform: EvalTransform
    public let inputNormalization: Normalization
    /// The tasks served, in the order they were added.
    public private(set) var tasks: [ServedTask] = []
    private let evaluator: TaskEvaluator
    private let extractor: any FeatureExtractor
    private let norms: [BatchNorm2d]
    /// The per-image scale and shift of every BatchNorm, allocated once per batch size.
    private var affines: [Int: [(scale: Tensor, shift: Tensor)]] = [:]
    /// What a task file needs the shared network to be (nil when serving a run).
    private let body: (weights: URL, precision: DataType)?
    /// The run served, kept for grouped tasks, which select their weights through it.
    private let run: ContinualRun?

    /// Each task's BN values, by task name, when `batching` is `.swapped`.
    private var banks: [String: NormalizationBank] = [:]
    /// Each task's own network, by task name, when `batching` is `.copies`.
    private var copies: [String: any FeatureExtractor] = [:]

    private init(
        model: Architecture, transform: EvalTransform, evaluator: TaskEvaluator, run: ContinualRun?,
        body: (weights: URL, precision: DataType)?, batching: Batching
    ) throws {
        self.batching = batching
        guard let extractor = evaluator.network as? any FeatureExtractor else {
            throw ConFiTError.invalidConfiguration(
                "\(model.rawValue) does not expose the features its classifier reads")
        }
        (self.model, self.transform, self.evaluator, self.extractor) = (model, transform, evaluator, extractor)
        (self.run, self.body, inputNormalization) = (run, body, model.normalization)
        norms = evaluator.network.namedLayers().compactMap { $0.1 as? BatchNorm2d }
    }

    /// Every finished task of the run in `folder`, named by its index ("0", "1", ...), each
    /// in the state its evaluation after the run's last finished task uses.
    public convenience init(
        run folder: URL, precision: DataType? = nil, threads: Int? = nil, batching: Batching = .mixed
    ) throws {
        guard batching != .copies else {
            throw ConFiTError.invalidConfiguration("a network per task serves exported tasks, not a run")
        }
        let run = try ContinualRun(resuming: folder, precision: precision, threads: threads)
        try self.init(
            model: run.configuration.model, transform: run.configuration.training.transform,
            evaluator: run.trainer.evaluator, run: run, body: nil, batching: batching)
        for i in 0..<run.finishedTasks {
            let classes = try run.select(task: i)
            let grouped = Self.hasOwnWeights(run.trainer.network)
            if batching == .swapped { banks["\(i)"] = try NormalizationBank(capturing: run.trainer.network) }
            tasks.append(
                try ServedTask(
                    name: "\(i)", classNames: classes.map { run.classNames[$0] }, method: run.configuration.method.name,
                    head: try ServedTask.head(of: run.trainer.evaluator, columns: classes),
                    network: run.trainer.network, weightsOf: grouped ? { _ = try run.select(task: i) } : nil,
                    ownBytes: grouped ? run.trainer.strategy.storedBytes(task: i) : 0))
        }
    }

    /// The shared weights in `weights` (a run's `checkpoint.safetensors`, or a plain state
    /// dict) of a `model` network, with no task yet: `add` puts exported tasks on it.
    public convenience init(
        weights: URL, model: Architecture, precision: DataType = .float32, batching: Batching = .mixed
    ) throws {
        try self.init(
            model: model, transform: .standard,
            evaluator: Self.evaluator(of: model, weights: weights, precision: precision), run: nil,
            body: (weights, precision), batching: batching)
    }

    /// A `model` network in eval mode holding the shared weights in `weights`, with no task.
    private static func evaluator(of model: Architecture, weights: URL, precision: DataType) throws -> TaskEvaluator {
        let base = try TensorFile(contentsOf: weights).tensors.map { ($0.name, $0.tensor) }
        let state = base.under(TrainingCheckpoint.modelPrefix)
        let network = model.make(numClasses: 1, settings: ComputeSettings(precision: precision))
        do {
            try network.loadPretrained(state.isEmpty ? base : state, classifier: .reinitialize(seed: 0))
        } catch {
            throw ConFiTError.invalidConfiguration("\(weights.path) does not hold \(model.rawValue) weights: \(error)")
        }
        network.eval()
        return TaskEvaluator(network: network, pairs: [])
    }

    public func task(named name: String) -> ServedTask? { tasks.first { $0.name == name } }

    /// An encoded image (JPEG or PNG, by signature) as the network's input [3, S, S]: the
    /// evaluation preprocessing of training and `confit predict` — decoded, resized,
    /// centre-cropped by `transform`, normalised by `normalization`. An image of more than
    /// `maxPixels` pixels is refused from its header (`DataError.imageTooLarge`). Safe on
    /// any thread.
    public static func pixels(
        of bytes: [UInt8], name: String, transform: EvalTransform, normalization: Normalization,
        maxPixels: Int = .max
    ) throws -> [Float] {
        let image = transform.apply(try ImageDecoder().decode(bytes, path: name, maxPixels: maxPixels))
        var pixels = [Float](repeating: 0, count: 3 * transform.cropSize * transform.cropSize)
        pixels.withUnsafeMutableBufferPointer { normalization.write(image, into: $0) }
        return pixels
    }

    /// Adds the task in `file` (from `confit export`) as `name`, replacing a task of that
    /// name. Checked first — the model, the preprocessing, whether its method shares the
    /// convolutions the other tasks use, every tensor's key and shape — so a file that
    /// does not fit changes nothing.
    public func add(_ name: String, _ file: TaskFile) throws {
        guard let body else {
            throw ConFiTError.invalidConfiguration("tasks are added to shared weights, not to a served run")
        }
        guard file.model == model else {
            throw ConFiTError.invalidConfiguration(
                "the task is for \(file.model.rawValue); the shared weights are \(model.rawValue)")
        }
        let other = tasks.first { $0.name != name }
        if let other {
            guard file.transform == transform else {
                throw ConFiTError.invalidConfiguration(
                    "the task's images are \(file.transform.cropSize) px after resizing to "
                        + "\(file.transform.resizeShortSide); task \(other.name)'s are \(transform.cropSize) after "
                        + "\(transform.resizeShortSide)")
            }
        }
        let evaluator =
            batching == .copies
            ? try Self.evaluator(of: model, weights: body.weights, precision: body.precision) : self.evaluator
        let network = evaluator.network
        let strategy = try ContinualMethod.named(file.method).makeStrategy()
        let tensors = (file.taskTensors, file.file.metadata)
        let importTask = { [evaluator] in
            evaluator.head = nil
            try strategy.importTask(tensors.0, metadata: tensors.1, into: evaluator)
        }
        try importTask()
        let grouped = Self.hasOwnWeights(network)
        defer { if grouped, batching != .copies { Self.clearOwnWeights(network) } }
        if let other, (other.weightsOf != nil) != grouped {
            throw ConFiTError.invalidConfiguration(
                "a \(file.method) task cannot be served beside \(other.method) tasks: one of them has weights of "
                    + "its own per task (masks), the other shares the convolutions")
        }
        let width = network.classifier?.layer.inFeatures ?? 0
        let head: ServedTask.Head
        if let features = evaluator.head {
            head = .features(features, columns: Array(file.classes.indices))
        } else {
            let rows = Dictionary(file.classifierStateDict, uniquingKeysWith: { a, _ in a })
            guard let weight = rows["\(file.classifier).weight"], let bias = rows["\(file.classifier).bias"],
                weight.shape.count == 2, weight.shape == [file.classes.count, width],
                bias.shape == [file.classes.count]
            else {
                throw ConFiTError.bankMismatch(
                    key: "classifier", reason: "no rows [\(file.classes.count), \(width)] in the file")
            }
            head = .rows(
                try ServedTask.linear(weight: weight.floats(), bias: bias.floats(), inFeatures: weight.shape[1]))
        }
        let ownBytes =
            batching == .copies
            ? try network.stateDict().reduce(0) { $0 + $1.1.bytes.count } : grouped ? file.tensorBytes : 0
        let task = try ServedTask(
            name: name, classNames: file.classNames, method: file.method, head: head, network: network,
            weightsOf: grouped ? importTask : nil, ownBytes: ownBytes)
        let bank = batching == .swapped && !grouped ? try NormalizationBank(capturing: network) : nil
        tasks.removeAll { $0.name == name }
        tasks.append(task)
        banks[name] = bank
        copies[name] = batching == .copies ? network as? any FeatureExtractor : nil
        if other == nil { transform = file.transform }
    }

    /// Removes the task named `name`; false when there is none.
    @discardableResult
    public func remove(_ name: String) -> Bool {
        let count = tasks.count
        tasks.removeAll { $0.name == name }
        (banks[name], copies[name]) = (nil, nil)
        return tasks.count < count
    }

    /// Logits over each image's task's classes: `images` [N, 3, S, S] (plain, normalised as
    /// `inputNormalization` says), `tasks[j]` image j's task.
    public func logits(_ images: Tensor, tasks: [ServedTask]) throws -> [[Float]] {
        let n = images.shape[0]
        guard images.shape.count == 4, tasks.count == n else {
            throw ConFiTError.invalidConfiguration("\(tasks.count) tasks for images of shape \(images.shape)")
        }
        var rows = [[Float]](repeating: [], count: n)
        let groups = Dictionary(grouping: 0..<n, by: { tasks[$0].name })
        if batching != .mixed || tasks.contains(where: { $0.weightsOf != nil }) {
            // Weights or BN of their own: one forward per task of the batch.
            for members in groups.values {
                let task = tasks[members[0]]
                let copy = copies[task.name]
                if copy == nil { try task.weightsOf?() }
                try banks[task.name]?.restore(into: evaluator.network)
                // A batch of one task is the input as it is, not a copy of it.
                let group = members.count == n ? images : try Self.rows(members, of: images)
                let features = try (copy ?? extractor).features(group)
                for (j, row) in zip(members, try task.logits(features: features)) { rows[j] = row }
            }
            return rows
        }
        // Shared weights: one forward, each image with its task's BN; then each task's head.
        let affine = try affines(n, for: tasks)
        for (norm, buffers) in zip(norms, affine) { norm.perImageAffine = buffers }
        defer { for norm in norms { norm.perImageAffine = nil } }
        let features = try extractor.features(images)
        for members in groups.values {
            let task = tasks[members[0]]
            for (j, row) in zip(members, try task.logits(features: try Self.rows(members, of: features))) {
                rows[j] = row
            }
        }
        return rows
    }

    /// The `k` most probable classes of each image among its task's classes.
    public func predict(_ images: Tensor, tasks: [ServedTask], top k: Int) throws -> [[Prediction]] {
        try logits(images, tasks: tasks).map { try Self.top(k, of: $0) }
    }

    /// The `k` most probable classes of one image's logits (all of them when fewer).
    public static func top(_ k: Int, of logits: [Float]) throws -> [Prediction] {
        try Prediction.top(min(k, logits.count), of: Tensor(shape: [1, logits.count], values: logits))[0]
    }

    /// Each BatchNorm's scale and shift [N, C, 1, 1] with row j of image j's task.
    private func affines(_ n: Int, for tasks: [ServedTask]) throws -> [(scale: Tensor, shift: Tensor)] {
        let buffers =
            affines[n]
            ?? norms.map {
                let shape = [n, $0.channels, 1, 1]
                return (scale: Tensor(shape: shape), shift: Tensor(shape: shape))
            }
        affines[n] = buffers
        if let task = tasks.first(where: { $0.normalization.count != norms.count }) {
            throw ConFiTError.bankMismatch(key: task.name, reason: "no BN values for this network")
        }
        for (b, (scale, shift)) in buffers.enumerated() {
            let channels = norms[b].channels
            for (j, task) in tasks.enumerated() {
                let values = task.normalization[b]
                values.scale.withUnsafeBufferPointer {
                    (scale.pointer + j * channels).update(from: $0.baseAddress!, count: channels)
                }
                values.shift.withUnsafeBufferPointer {
                    (shift.pointer + j * channels).update(from: $0.baseAddress!, count: channels)
                }
            }
        }
        return buffers
    }

    /// Rows `members` of `tensor` [N, ...] as a new tensor.
    private static func rows(_ members: [Int], of tensor: Tensor) throws -> Tensor {
        let width = tensor.count / tensor.shape[0]
        var values = [Float]()
        values.reserveCapacity(members.count * width)
        for j in members { values += UnsafeBufferPointer(start: tensor.pointer + j * width, count: width) }
        return try Tensor(shape: [members.count] + tensor.shape.dropFirst(), values: values)
    }

    private static func hasOwnWeights(_ network: any Layer) -> Bool {
        network.namedConvolutions().contains { $0.1.weightMask != nil }
    }

    private static func clearOwnWeights(_ network: any Layer) {
        for (_, conv) in network.namedConvolutions() { conv.weightMask = nil }
    }
}
