import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// RanPAC (McDonnell et al., NeurIPS 2023; official `RanPAC.py`) on the frozen pre-trained
/// backbone: features f through a fixed standard-normal projection W (D × M, drawn from the
/// run's seed), h = ReLU(f·W), and a ridge-regression head over every task so far
/// (`RidgeRegression`), re-solved after each task.
public final class RanPACStrategy: ContinualStrategy {
    public struct Options: Sendable, Hashable {
        /// M, the projection's width (the official 10000); 0: ridge regression on f itself.
        public var dimension: Int
        public init(dimension: Int = 10000) { self.dimension = dimension }

        /// Refuses a negative M.
        public func validate() throws {
            guard dimension >= 0 else {
                throw ConFiTError.invalidConfiguration("RanPAC's projection width M must be ≥ 0, not \(dimension)")
            }
        }

        /// Bytes the method needs at its peak for features of `features` dimensions and
        /// `classes` classes: G and its Cholesky factor (float64, M²), G again in the
        /// checkpoint being written, W (float32) and Q.
        public func peakBytes(features: Int, classes: Int) -> Int {
            let m = dimension > 0 ? dimension : features
            return 3 * m * m * 8 + features * dimension * 4 + 2 * m * classes * 8
        }
    }

    public let name = "ranpac"
    public let options: Options
    public private(set) var regression: RidgeRegression?
    /// λ chosen after each finished task.
    public private(set) var ridges: [Double] = []
    /// Wo after the last finished task, row-major [classes, width] (float32, as used).
    private var weights: [Float] = []
    private var taskClasses: [[Int]] = []
    /// The seed W was drawn from (the run's), kept so that a restored strategy draws it again.
    private var projectionSeed: UInt64 = 0
    private var head: RandomProjectionHead?

    public init(_ options: Options = Options()) { self.options = options }

    public func validate(network: any Layer, classes: Int) throws {
        try options.validate()
        try FrozenFeatures.validate(network, method: name)
        let features = network.classifier?.layer.inFeatures ?? 0
        let needed = options.peakBytes(features: features, classes: classes)
        let available = Int(ProcessInfo.processInfo.physicalMemory)
        guard needed < available else {
            throw ConFiTError.invalidConfiguration(
                "RanPAC with M = \(options.dimension) needs about \(needed / 1_000_000) MB "
                    + "(G and its Cholesky factor in float64, \(options.dimension)² values each), more than this machine's "
                    + "\(available / 1_000_000) MB; choose a smaller M")
        }
    }

    public func epochs(for task: Scenario.Task, configured: Int) -> Int { 0 }

    /// W, row-major [features, M], standard normal from `seed`; nil for M = 0.
    static func projection(features: Int, dimension: Int, seed: UInt64) -> [Float]? {
        guard dimension > 0 else { return nil }
        var generator = SplitMix64(seed: seed ^ 0x5241_4E50_4143)  // "RANPAC": apart from the weights' stream
        return (0..<(features * dimension)).map { _ in generator.nextGaussian() }
    }

    private func makeHead(classes: Int, features: Int) -> RandomProjectionHead {
        if let head, head.classes == classes, head.dimension == features { return head }
        let made = RandomProjectionHead(
            classes: classes, dimension: features,
            projection: Self.projection(features: features, dimension: options.dimension, seed: projectionSeed))
        if weights.count == classes * made.projected { made.weights = weights }
        head = made
        return made
    }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        let features = try FrozenFeatures.training(task, context)
        if taskClasses.isEmpty { projectionSeed = context.configuration.seed }
        let head = makeHead(classes: context.classifier.outFeatures, features: features.dimension)
        let h = try features.values.withUnsafeBufferPointer { try head.hidden($0.baseAddress!, count: features.count) }
            .map { Double($0) }
        // The official code draws the 80/20 split from a shuffled loader: a permutation from the seed.
        var order = Array(0..<features.count)
        var generator = SplitMix64(seed: context.configuration.seed &+ UInt64(task.id))
        generator.shuffle(&order)
        let shuffled = order.flatMap { h[($0 * head.projected)..<(($0 + 1) * head.projected)] }
        let local = order.map { task.classes.firstIndex(of: features.labels[$0])! }
        let (ridge, _) = try RidgeRegression.selectRidge(
            shuffled, width: head.projected, local: local, columns: task.classes.count)
        var regression = regression ?? RidgeRegression(width: head.projected, classes: head.classes)
        regression.accumulate(h, labels: features.labels)
        weights = try regression.weights(ridge: ridge).map(Float.init)
        head.weights = weights
        (self.regression, ridges, taskClasses) = (regression, ridges + [ridge], taskClasses + [task.classes])
    }

    public func select(task i: Int, after t: Int, _ context: StrategyContext) throws {
        try context.evaluator.select(nil, recover: false)
        FrozenFeatures.keep(context)
        guard let regression else {
            throw ConFiTError.bankMismatch(key: "ranpac", reason: "no task has been fitted yet")
        }
        context.evaluator.head = makeHead(classes: regression.classes, features: context.classifier.inFeatures)
    }

    /// Task t's rows of Wo (float32); W is drawn again from the seed, not stored.
    public func storedBytes(task t: Int) -> Int {
        taskClasses.indices.contains(t) ? taskClasses[t].count * (regression?.width ?? 0) * MemoryLayout<Float>.size : 0
    }

    /// G and Q.
    public var carriedBytes: Int { regression?.byteCount ?? 0 }

    /// Task i's rows of Wo as solved after the last task, and how to draw W again.
    public func exportTask(
        _ i: Int, after last: Int
    ) throws -> (tensors: [(String, HostTensor)], metadata: [String: String])? {
        guard let regression, taskClasses.indices.contains(i) else {
            throw ConFiTError.bankMismatch(key: "ranpac.weights", reason: "the checkpoint holds no head for task \(i)")
        }
        let width = regression.width
        let rows = taskClasses[i].flatMap { weights[($0 * width)..<(($0 + 1) * width)] }
        return (
            [("weights", HostTensor(shape: [taskClasses[i].count, width], floats: rows))],
            ["projection_seed": "\(projectionSeed)", "projection_dim": "\(options.dimension)"]
        )
    }

    public func importTask(
        _ tensors: [(String, HostTensor)], metadata: [String: String], into evaluator: TaskEvaluator
    ) throws {
        guard let tensor = tensors.first(where: { $0.0 == "weights" })?.1, tensor.shape.count == 2,
            let seed = metadata["projection_seed"].flatMap(UInt64.init),
            let dimension = metadata["projection_dim"].flatMap(Int.init),
            let features = evaluator.network.classifier?.layer.inFeatures
        else {
            throw ConFiTError.bankMismatch(
                key: "weights", reason: "the task file holds no RanPAC head (weights, projection_seed, projection_dim)")
        }
        let head = RandomProjectionHead(
            classes: tensor.shape[0], dimension: features,
            projection: Self.projection(features: features, dimension: dimension, seed: seed))
        guard head.projected == tensor.shape[1] else {
            throw ConFiTError.bankMismatch(
                key: "weights", reason: "shape \(tensor.shape) for a projection of width \(head.projected)")
        }
        head.weights = tensor.floats()
        evaluator.network.eval()
        evaluator.head = head
    }

    public func state() throws -> [(String, HostTensor)] {
        guard let regression else { return [] }
        return [
            ("ranpac.gram", HostTensor(shape: [regression.width, regression.width], doubles: regression.gram)),
            ("ranpac.targets", HostTensor(shape: [regression.width, regression.classes], doubles: regression.targets)),
            ("ranpac.ridges", HostTensor(shape: [ridges.count], doubles: ridges)),
            ("ranpac.weights", HostTensor(shape: [regression.classes, regression.width], floats: weights)),
            ("ranpac.seed", HostTensor(shape: [], int64s: [Int(bitPattern: UInt(projectionSeed))])),
        ] + TaskClasses.state(taskClasses, prefix: "ranpac.")
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        let state = Dictionary(tensors.under("ranpac."), uniquingKeysWith: { $1 })
        guard let gram = state["gram"] else { return }
        guard let targets = state["targets"], let ridges = state["ridges"], let weights = state["weights"],
            let seed = state["seed"], gram.shape.count == 2, targets.shape.count == 2
        else {
            throw ConFiTError.bankMismatch(key: "ranpac", reason: "the checkpoint's RanPAC state is incomplete")
        }
        let tasks = try TaskClasses.read(state, owner: "ranpac")
        let restored = try RidgeRegression(
            width: gram.shape[0], classes: targets.shape[1], gram: gram.doubles(), targets: targets.doubles())
        guard weights.count == restored.width * restored.classes, tasks.count == ridges.count else {
            throw ConFiTError.bankMismatch(
                key: "ranpac.weights", reason: "shape \(weights.shape) for M = \(restored.width)")
        }
        (regression, self.ridges, self.weights, head) = (restored, ridges.doubles(), weights.floats(), nil)
        projectionSeed = UInt64(bitPattern: Int64(seed.ints().first ?? 0))
        taskClasses = tasks
    }
}
