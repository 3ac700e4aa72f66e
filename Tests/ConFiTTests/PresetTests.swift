import ConFiT
import ConFiTData
import Foundation
import Testing

/// Every preset's protocol — class order, tasks and their sizes, epochs, batch size —
/// against the official `benchmarks.json` (a copy of ../shared/protocols/benchmarks.json
/// in Resources), and Split Fashion-MNIST against its definition by hand.
@Suite struct PresetTests {
    private struct Official: Decodable {
        var classes: Int, tasks: Int, classesPerTask: Int, epochs: Int, batchSize: Int, classOrder: [Int]

        enum CodingKeys: String, CodingKey {
            case classes, tasks, epochs
            case classesPerTask = "classes_per_task", batchSize = "batch_size", classOrder = "class_order"
        }
    }

    private struct File: Decodable { var benchmarks: [String: Official] }

    /// A dataset with `classes` named classes and two images of each (one per split).
    private func dataset(classes: Int) -> ImageDataset {
        let samples = (0..<(2 * classes)).map { Sample(id: $0, label: $0 / 2, source: .file("\($0).jpg")) }
        return ImageDataset(
            name: "synthetic", root: "/", classNames: (0..<classes).map { "c\($0)" },
            train: samples.filter { $0.id % 2 == 0 }, test: samples.filter { $0.id % 2 == 1 }, skipped: [])
    }

    @Test func officialPresetsRunTheProtocolOfBenchmarksJSON() throws {
        let official = try JSONDecoder().decode(File.self, from: Data(contentsOf: fixture("benchmarks.json")))
            .benchmarks
        #expect(Set(official.keys) == ["caltech101", "cifar100", "cub200", "flowers102"])
        for preset in Preset.allCases where preset != .fashionMNIST {
            let expected = try #require(official[preset.rawValue], "\(preset.rawValue)")
            let config = try RunConfiguration(preset: preset, root: "/")
            #expect(config.dataset.rawValue == preset.rawValue)
            #expect(config.training.epochs == expected.epochs, "\(preset.rawValue)")
            #expect(config.training.batchSize == expected.batchSize, "\(preset.rawValue)")
            let scenario = try config.scenario(for: dataset(classes: expected.classes))
            #expect(scenario.tasks.count == expected.tasks, "\(preset.rawValue)")
            #expect(
                scenario.tasks.map(\.classes.count) == Array(repeating: expected.classesPerTask, count: expected.tasks))
            let trained = expected.tasks * expected.classesPerTask
            #expect(
                scenario.tasks.flatMap(\.classes) == Array(expected.classOrder.prefix(trained)), "\(preset.rawValue)")
            #expect(scenario.droppedClasses == Array(expected.classOrder.dropFirst(trained)), "\(preset.rawValue)")
            #expect(
                scenario.tasks.map(\.train.count) == Array(repeating: expected.classesPerTask, count: expected.tasks),
                "one training image per class")
        }
    }

    /// Split Fashion-MNIST: 5 tasks of 2 classes in label order, 5 epochs, batch 32.
    @Test func fashionMNISTPreset() throws {
        let config = try RunConfiguration(preset: .fashionMNIST, root: "/")
        #expect(config.dataset == .fashionMNIST)
        #expect([config.training.epochs, config.training.batchSize] == [5, 32] as [Int])
        #expect(
            try config.scenario(for: dataset(classes: 10)).tasks.map(\.classes) == [
                [0, 1], [2, 3], [4, 5], [6, 7], [8, 9],
            ])
    }

    /// `classOrder` and `classesPerTask` override the preset's (`--class-order`,
    /// `--classes-per-task`); an order that repeats a class is refused.
    @Test func explicitClassOrderOverridesThePreset() throws {
        var config = try RunConfiguration(preset: .fashionMNIST, root: "/")
        config.classOrder = [9, 3, 5, 1, 0, 2, 4, 6, 8, 7]
        config.classesPerTask = 3
        let scenario = try config.scenario(for: dataset(classes: 10))
        #expect(scenario.tasks.map(\.classes) == [[9, 3, 5], [1, 0, 2], [4, 6, 8]])
        #expect(scenario.droppedClasses == [7])
        #expect(scenario.tasks[0].train.map(\.label) == [1, 2, 0], "labels are indices into the task's classes")
        config.classOrder = [1, 1, 2]
        #expect(throws: (any Error).self) { try config.scenario(for: dataset(classes: 10)) }
    }
}
