import ConFiTData
import ConFiTIO
import ConFiTNN
import Foundation

/// One task of a run as a small safetensors file (`confit export`): what the method keeps
/// for the task, the classifier rows of its classes, and what is needed to use them with
/// the run's shared weights — kilobytes instead of a model copy.
///
/// Tensors: the method's (`ContinualStrategy.exportTask`) — ConFiT's bank (`<bn>.weight`,
/// `.bias`, `.running_mean`, `.running_var`, `track.<conv>`, `track_shape.<conv>`);
/// PackNet's and Piggyback's masks (`mask.<conv>.weight`, 1 bit per weight) and BN bank
/// when they train BN — then `classifier.weight` [classes, features] and `classifier.bias`
/// [classes]. Metadata: `task`, `classes` (dataset class ids), `classifier` (the
/// classifier's state-dict name), `model`, `method`, `image_size`, `resize`, `class_names`
/// (one per line), and the method's own: `recover` for the bank methods ("true" when the
/// BN means must be recovered through the shared weights: the task is older than them and
/// the method recovers).
public struct TaskFile: Sendable {
    public let file: SafeTensorsFile
    public let task: Int
    public let classes: [Int]
    public let model: Architecture
    /// The classifier's state-dict name in `model` (`fc`, `_fc`).
    public let classifier: String
    /// The method's name (`confit`, `packnet`, ...), which knows how to use the file.
    public let method: String
    public let recover: Bool
    public let transform: EvalTransform
    public let classNames: [String]

    /// Task `task` as `checkpoint` holds it: what `method` keeps for it, as the method
    /// evaluates it after the checkpoint's last finished task, and the rows of `classes` of
    /// the classifier named `classifier`.
    public init(
        task: Int, classes: [Int], checkpoint: TrainingCheckpoint, classifier: String, model: Architecture,
        method: ContinualMethod, transform: EvalTransform, classNames: [String]?
    ) throws {
        let strategy = method.makeStrategy()
        try strategy.restore(from: checkpoint.allTensors)
        guard let exported = try strategy.exportTask(task, after: checkpoint.position.task - 1) else {
            throw ConFiTError.invalidConfiguration(
                "\(method.name) stores nothing per task: every task uses the run's one network, "
                    + "which its checkpoint holds (predict --run uses it)")
        }
        let weight = try checkpoint.modelTensor("\(classifier).weight")
        let bias = try checkpoint.modelTensor("\(classifier).bias")
        guard weight.shape.count == 2, classes.allSatisfy({ (0..<weight.shape[0]).contains($0) }) else {
            throw ConFiTError.bankMismatch(
                key: "\(classifier).weight", reason: "shape \(weight.shape) has no rows for classes \(classes)")
        }
        let (features, rows, biases) = (weight.shape[1], weight.floats(), bias.floats())
        let tensors =
            exported.tensors + [
                (
                    "classifier.weight",
                    HostTensor(
                        shape: [classes.count, features],
                        floats: classes.flatMap { rows[($0 * features)..<(($0 + 1) * features)] })
                ),
                ("classifier.bias", HostTensor(shape: [classes.count], floats: classes.map { biases[$0] })),
            ]
        var metadata = [
            "task": "\(task)", "classes": classes.map(String.init).joined(separator: ","), "classifier": classifier,
            "model": model.rawValue, "method": method.name,
            "image_size": "\(transform.cropSize)", "resize": "\(transform.resizeShortSide)",
        ].merging(exported.metadata) { $1 }
        metadata["class_names"] = classNames?.joined(separator: "\n")
        try self.init(
            SafeTensorsFile(tensors: tensors.map { (name: $0.0, tensor: $0.1) }, metadata: metadata),
            path: "task \(task) of the checkpoint")
    }

    /// Task `task` of the run in `folder`, from its checkpoint alone (no dataset needed;
    /// class names are included when the dataset is still where the run read it).
    public init(exporting task: Int, fromRunIn folder: URL) throws {
        let (checkpoint, _, configuration) = try TrainingCheckpoint.last(ofRunIn: folder)
        guard let tasks = configuration.tasks, tasks.indices.contains(task) else {
            throw ConFiTError.invalidConfiguration(
                "task \(task) is not in the run (tasks 0..<\(configuration.tasks?.count ?? 0))")
        }
        let names = try? configuration.dataset.load(root: configuration.root).classNames
        try self.init(
            task: task, classes: tasks[task], checkpoint: checkpoint, classifier: configuration.model.classifierName,
            model: configuration.model, method: configuration.method, transform: configuration.training.transform,
            classNames: names.map { names in tasks[task].map { names[$0] } })
    }

    /// Reads a file written by `write(to:)`.
    public init(contentsOf url: URL) throws {
        try self.init(try SafeTensorsFile(contentsOf: url), path: url.path)
    }

    /// A task file's bytes (a server's upload), named `path` in errors.
    public init(bytes: [UInt8], path: String) throws {
        try self.init(try SafeTensorsFile(bytes: bytes, path: path), path: path)
    }

    private init(_ file: SafeTensorsFile, path: String) throws {
        let metadata = file.metadata
        guard let task = metadata["task"].flatMap(Int.init),
            let model = metadata["model"].flatMap(Architecture.init(rawValue:)),
            let classifier = metadata["classifier"],
            let classes = metadata["classes"]?.split(separator: ",").compactMap({ Int($0) }),
            !classes.isEmpty
        else {
            throw ConFiTError.invalidConfiguration(
                "\(path) is not a task file written by confit export (metadata missing)")
        }
        (self.file, self.task, self.classes, self.model, self.classifier) = (file, task, classes, model, classifier)
        method = metadata["method"] ?? ContinualMethod.confit.name
        recover = metadata["recover"] == "true"
        transform = EvalTransform(
            resizeShortSide: metadata["resize"].flatMap(Int.init) ?? 256,
            cropSize: metadata["image_size"].flatMap(Int.init) ?? 224)
        classNames =
            metadata["class_names"].map { $0.split(separator: "\n").map(String.init) } ?? classes.map(String.init)
    }

    /// What the method keeps for the task: every tensor but the classifier rows.
    public var taskTensors: [(String, HostTensor)] {
        file.tensors.filter { !$0.name.hasPrefix("classifier.") }.map { ($0.name, $0.tensor) }
    }

    /// The classifier rows under the network's own state-dict names (`fc.weight`, ...).
    public var classifierStateDict: [(String, HostTensor)] {
        file.tensors.map { ($0.name, $0.tensor) }.under("classifier.").map { (classifier + "." + $0.0, $0.1) }
    }

    /// Bytes of tensor data.
    public var tensorBytes: Int { file.tensors.reduce(0) { $0 + $1.tensor.bytes.count } }

    /// Writes the file atomically.
    public func write(to url: URL) throws { try file.write(to: url) }
}
