import ConFiTData
import ConFiTEngine
import ConFiTNN
import Foundation

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
    /// Which images are test images; nil: the protocol's (`.standard`). Recorded only
    /// when given, so configurations from before it existed read back unchanged.
    public var split: DatasetOptions.SplitChoice?
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
    /// The processes each batch was split over (`mpirun -np N`); nil: one. Recorded by
    /// the run, like `threads`: it changes the order of sums, not the protocol.
    public var processes: Int?
    /// The activations' element type (`ComputeSettings.precision`); nil: float32. Recorded
    /// only when bf16, so configurations from before it existed read back unchanged. Unlike
    /// `threads` it is part of the run: bf16 rounds every activation.
    public var precision: DataType?

    /// `precision` with nil read as float32; setting float32 records nil.
    public var resolvedPrecision: DataType {
        get { precision ?? .float32 }
        set { precision = newValue == .float32 ? nil : newValue }
    }

    /// The preset's protocol (epochs, batch size, class order, task size) for `model` and
    /// `method`; change any field afterwards.
    public init(
        preset: Preset, root: String, model: Architecture = .efficientNetLite0, weights: String? = nil,
        method: ContinualMethod = .confit
    ) throws {
        let benchmark = try preset.benchmark()
        (self.preset, dataset, self.root, self.model, self.weights, self.method) = (
            preset, preset.dataset, root, model, weights, method
        )
        training = TrainingConfiguration(epochs: benchmark.epochs, batchSize: benchmark.batchSize)
    }

    /// The configuration in a JSON file: a bare one (what `confit sweep` writes into each
    /// run folder) or a `metrics.json`, whose `config` it reads.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConFiTError.invalidConfiguration(
                "cannot read the configuration \(url.path): \(error.localizedDescription)")
        }
        struct Recorded: Decodable { var config: RunConfiguration }
        do {
            self = try JSONDecoder().decode(RunConfiguration.self, from: data)
        } catch let bare {
            guard let recorded = try? JSONDecoder().decode(Recorded.self, from: data) else {
                throw ConFiTError.invalidConfiguration(
                    "\(url.path) is not a run configuration (nor a metrics.json holding "
                        + "one): \(bare)")
            }
            self = recorded.config
        }
    }

    /// Whether this (a run's recorded configuration) is what `request` asks for: equal
    /// wherever the request says something (it leaves the class order, tasks and threads
    /// to be resolved by the run), with the dataset folder and weights compared as files
    /// (`../data/x` recorded from one folder is `/abs/data/x` asked from another).
    public func matches(_ request: RunConfiguration) -> Bool { resolving(request) == self }

    /// What differs between this (recorded) and `request`, as `key: recorded ≠ requested`
    /// lines (nested keys dotted: `training.seed`), for an error message.
    public func differences(from request: RunConfiguration) -> [String] {
        func fields(_ configuration: RunConfiguration) -> [String: String] {
            guard let data = try? JSONEncoder().encode(configuration),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return [:] }
            var fields: [String: String] = [:]
            for (key, value) in object {
                if let nested = value as? [String: Any] {
                    for (inner, value) in nested { fields["\(key).\(inner)"] = Self.describe(value) }
                } else {
                    fields[key] = Self.describe(value)
                }
            }
            return fields
        }
        let (recorded, requested) = (fields(self), fields(resolving(request)))
        return Set(recorded.keys).union(requested.keys).sorted().compactMap { key in
            recorded[key] == requested[key]
                ? nil : "\(key): \(recorded[key] ?? "absent") ≠ \(requested[key] ?? "absent")"
        }
    }

    private static func describe(_ value: Any) -> String {
        let text =
            (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        return text.count > 60 ? text.prefix(57) + "..." : text
    }

    /// `request` with what it leaves open taken from this recorded configuration.
    private func resolving(_ request: RunConfiguration) -> RunConfiguration {
        var resolved = request
        resolved.classOrder = request.classOrder ?? classOrder
        resolved.classesPerTask = request.classesPerTask ?? classesPerTask
        resolved.tasks = request.tasks ?? tasks
        resolved.threads = request.threads ?? threads
        resolved.processes = request.processes ?? processes
        // Decoding threads and the image cache change no result.
        (resolved.training.loaderWorkers, resolved.training.cacheBytes) = (training.loaderWorkers, training.cacheBytes)
        if Self.sameFile(request.root, root) { resolved.root = root }
        if case let .file(asked)? = request.split, case let .file(recorded)? = split, Self.sameFile(asked, recorded) {
            resolved.split = split
        }
        if let asked = request.weights, let weights, Self.sameFile(asked, weights) { resolved.weights = weights }
        return resolved
    }

    /// The dataset folder, weights and split file as absolute paths (from the current
    /// directory), as a new run records them, so that `--resume` works from anywhere.
    public mutating func makePathsAbsolute() {
        func absolute(_ path: String) -> String {
            URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
        }
        (root, weights) = (absolute(root), weights.map(absolute))
        if case let .file(path)? = split { split = .file(absolute(path)) }
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        func canonical(_ path: String) -> String {
            URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.resolvingSymlinksInPath()
                .path
        }
        return a == b || canonical(a) == canonical(b)
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
