import ConFiTEngine
import ConFiTNN

/// One task as a `SharedBackbone` serves it: what differs from the other tasks, taken off
/// the network once, when the task is loaded, in the state its evaluation uses.
public struct ServedTask {
    public let name: String
    /// The task's class names, in the order of its logits.
    public let classNames: [String]
    /// The method that trained it (`confit`, `simplecil`, ...).
    public let method: String
    /// Bytes held for this task alone: its BatchNorms' scale and shift, its classifier rows
    /// or prototypes, and its own weights (masks; a whole network's with `.copies`).
    public let bytes: Int

    /// The task's classifier over pooled features.
    enum Head {
        /// Its own rows of the network's classifier.
        case rows(Linear)
        /// A frozen-feature head over every class, with the columns of the task's classes.
        case features(any FeatureHead, columns: [Int])
    }
    let head: Head
    /// Each BatchNorm's eval-mode scale and shift for this task (`BatchNorm2d.inferenceAffine`),
    /// in the network's layer order: applied per image, so that one forward serves a batch
    /// of many tasks. Empty for a task in `weightsOf` mode.
    let normalization: [(scale: [Float], shift: [Float])]
    /// Puts the task's own weights into the network (PackNet's and Piggyback's masks): such
    /// tasks' images run grouped by task, with the network's own BN. nil: the weights are
    /// those every task shares.
    let weightsOf: (() throws -> Void)?

    /// The task as `network` stands now (the task selected, eval mode) with `head`; with
    /// `weightsOf`, grouped, holding `ownBytes` of weights of its own (masks).
    init(
        name: String, classNames: [String], method: String, head: Head, network: any Layer,
        weightsOf: (() throws -> Void)?, ownBytes: Int = 0
    ) throws {
        (self.name, self.classNames, self.method, self.head, self.weightsOf) = (
            name, classNames, method, head, weightsOf
        )
        normalization =
            weightsOf == nil
            ? try network.namedLayers().compactMap { try ($0.1 as? BatchNorm2d)?.inferenceAffine() } : []
        bytes =
            Self.bytes(of: head, classes: classNames.count) + normalization.reduce(0) { $0 + 8 * $1.scale.count }
            + ownBytes
    }

    /// The head `evaluator` uses now: its `head` over `columns` when set, else the rows
    /// `columns` of the network's classifier.
    static func head(of evaluator: TaskEvaluator, columns: [Int]) throws -> Head {
        if let head = evaluator.head { return .features(head, columns: columns) }
        guard let classifier = evaluator.network.classifier?.layer else {
            throw ConFiTError.invalidConfiguration("\(type(of: evaluator.network)) has no classifier to serve")
        }
        let (weight, bias) = (try classifier.weight.value.toArray(), try classifier.bias.value.toArray())
        let width = classifier.inFeatures
        return .rows(
            try linear(
                weight: columns.flatMap { weight[($0 * width)..<(($0 + 1) * width)] }, bias: columns.map { bias[$0] },
                inFeatures: width))
    }

    /// A `Linear` in eval mode holding `weight` [out, inFeatures] and `bias`.
    static func linear(weight: [Float], bias: [Float], inFeatures: Int) throws -> Linear {
        let layer = Linear(inFeatures, bias.count)
        try layer.weight.value.load(weight)
        try layer.bias.value.load(bias)
        layer.eval()
        return layer
    }

    private static func bytes(of head: Head, classes: Int) -> Int {
        switch head {
        case .rows(let linear): (linear.weight.value.count + linear.bias.value.count) * MemoryLayout<Float>.size
        case .features(let head, _): head.bytesPerClass * classes
        }
    }

    /// Logits over the task's classes for pooled features [n, D].
    func logits(features: Tensor) throws -> [[Float]] {
        let n = features.shape[0]
        switch head {
        case .rows(let linear):
            let out = try linear.forward(features)
            let width = out.shape[1]
            return (0..<n).map { Array(UnsafeBufferPointer(start: out.pointer + $0 * width, count: width)) }
        case .features(let head, let columns):
            let out = try head.logits(features: features)
            let width = out.shape[1]
            return (0..<n).map { row in columns.map { out.pointer[row * width + $0] } }
        }
    }
}
