import ConFiTData
import ConFiTNN

/// Everything that defines a continual fine-tuning run: the protocol, the data, the
/// network and its starting weights, the method and the training values. A run stores it
/// in `metrics.json` under `config` and in its checkpoint, and `--resume` reads it back,
/// so a resumed run is the run that was started.
public struct RunConfiguration: Sendable, Codable, Equatable {
    public var preset: Preset
    /// The dataset reader (the preset's unless overridden, e.g. `folder`).
    public var dataset: DatasetKind
    /// The dataset's folder as distributed, or the folder containing it.
    public var root: String
    public var model: Architecture
    /// Pre-trained weights (.safetensors, .pth); their classifier is replaced by a fresh
    /// head over the dataset's classes. nil: the network's own initialisation.
    public var weights: String?
    public var method: ContinualMethod
    public var training: TrainingConfiguration
    /// The class order; nil: the preset's. A run records the order it resolved.
    public var classOrder: [Int]?
    /// Classes per task; nil: the preset's.
    public var classesPerTask: Int?
    /// Every task's classes, recorded by the run for readers of `metrics.json`.
    public var tasks: [[Int]]?
    /// oneDNN threads; nil: all cores. A run records the count it used.
    public var threads: Int?

    /// The preset's protocol (epochs, batch size, class order, task size) for `model` and
    /// `method`; change any field afterwards.
    public init(preset: Preset, root: String, model: Architecture = .efficientNetLite0, weights: String? = nil,
                method: ContinualMethod = .confit) throws {
        let benchmark = try preset.benchmark()
        (self.preset, dataset, self.root, self.model, self.weights, self.method) = (preset, preset.dataset, root, model, weights, method)
        training = TrainingConfiguration(epochs: benchmark.epochs, batchSize: benchmark.batchSize)
    }

    /// Whether this (a run's recorded configuration) is what `request` asks for: equal
    /// wherever the request says something (it leaves the class order, tasks and threads
    /// to be resolved by the run).
    public func matches(_ request: RunConfiguration) -> Bool {
        var resolved = request
        resolved.classOrder = request.classOrder ?? classOrder
        resolved.classesPerTask = request.classesPerTask ?? classesPerTask
        resolved.tasks = request.tasks ?? tasks
        resolved.threads = request.threads ?? threads
        return resolved == self
    }

    /// Classes per task: the given number, or the preset's.
    public var resolvedClassesPerTask: Int {
        get throws { try classesPerTask ?? preset.benchmark().classesPerTask }
    }

    /// The scenario over `data`: the given class order and task size, or the preset's.
    public func scenario(for data: ImageDataset) throws -> Scenario {
        let order = classOrder.map { Scenario.ClassOrder.explicit($0) } ?? preset.classOrder
        return try Scenario(dataset: data, order: order, classesPerTask: try resolvedClassesPerTask)
    }
}
