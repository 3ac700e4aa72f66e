import ConFiTData

/// A named protocol: the official ConFiT benchmarks embedded from `benchmarks.json`
/// (class orders from the official seed, tasks, epochs, batch sizes) and Split
/// Fashion-MNIST (5 tasks of 2 classes in label order, 5 epochs, batch 32).
public enum Preset: String, CaseIterable, Sendable, Codable {
    case caltech101, cifar100, cub200, flowers102
    case fashionMNIST = "fashion-mnist"

    /// The dataset reader the protocol is defined on.
    public var dataset: DatasetKind {
        switch self {
        case .caltech101: .caltech101
        case .cifar100: .cifar100
        case .cub200: .cub200
        case .flowers102: .flowers102
        case .fashionMNIST: .fashionMNIST
        }
    }

    /// Classes, tasks, classes per task, epochs, batch size and class order.
    public func benchmark() throws -> BenchmarkProtocol {
        guard self == .fashionMNIST else { return try BenchmarkProtocol.named(rawValue) }
        return BenchmarkProtocol(
            classes: 10, tasks: 5, classesPerTask: 2, epochs: 5, batchSize: 32, classOrder: Array(0..<10))
    }

    /// Where the scenario's class order comes from: the official order (checked against
    /// the dataset's class count), or label order for Fashion-MNIST.
    public var classOrder: Scenario.ClassOrder { self == .fashionMNIST ? .natural : .preset(rawValue) }
}
