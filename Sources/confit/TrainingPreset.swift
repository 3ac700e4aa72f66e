import ArgumentParser
import ConFiTData

/// A named protocol: the official ones from `benchmarks.json` (cifar100, cub200,
/// caltech101, flowers102) and Split Fashion-MNIST (5 tasks of 2 classes in label order).
struct TrainingPreset {
    static let names = ["caltech101", "cifar100", "cub200", "flowers102", "fashion-mnist"]

    var name: String, dataset: String
    var epochs: Int, batchSize: Int, classesPerTask: Int
    var order: Scenario.ClassOrder

    static func named(_ name: String) throws -> TrainingPreset {
        if name == "fashion-mnist" {
            return TrainingPreset(name: name, dataset: name, epochs: 5, batchSize: 32, classesPerTask: 2, order: .natural)
        }
        guard names.contains(name) else {
            throw ValidationError("unknown preset '\(name)': choose one of \(names.joined(separator: ", "))")
        }
        let official = try BenchmarkProtocol.named(name)
        return TrainingPreset(name: name, dataset: name, epochs: official.epochs, batchSize: official.batchSize,
                              classesPerTask: official.classesPerTask, order: .preset(name))
    }

    /// The preset's scenario, or one with an explicit class order / task size.
    func scenario(for data: ImageDataset, classOrder: [Int]?, classesPerTask: Int?) throws -> Scenario {
        try Scenario(dataset: data, order: classOrder.map { .explicit($0) } ?? order, classesPerTask: classesPerTask ?? self.classesPerTask)
    }
}
