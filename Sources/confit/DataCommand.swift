import ArgumentParser
import ConFiT
import ConFiTData
import Foundation

/// `confit data ...`: look at a dataset the way training will read it, before training.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect datasets.", subcommands: [Inspect.self])

    /// `confit data inspect`: classes, images per split and skipped files, so a wrong
    /// root or a stray file shows up before hours of training; with `--preset`, the
    /// protocol that preset runs, task by task, to check against the paper's code.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show a dataset's classes, image counts per split and skipped files, or the protocol a preset runs.")

        @Option(help: "Show this preset's protocol: tasks, their classes and images, epochs, batch size.")
        var preset: Preset?

        @Option(help: "Dataset reader (default: the preset's).")
        var dataset: DatasetKind?

        @Option(help: "The dataset's folder as distributed, or the folder containing it (optional with --preset).")
        var root: String?

        @OptionGroup var split: SplitOptions

        @Flag(help: "List every class with its image counts.")
        var classes = false

        func validate() throws {
            guard preset != nil || (dataset != nil && root != nil) else {
                throw ValidationError(
                    "give --dataset and --root, or --preset (with --root for class names and image counts)")
            }
        }

        func run() throws {
            let data = try root.map { root in
                try (dataset ?? preset!.dataset).load(
                    root: root, options: DatasetOptions(split: split.choice ?? .standard))
            }
            if let data { describe(data) }
            if let preset { try describe(preset, data: data) }
        }

        private func describe(_ data: ImageDataset) {
            print("dataset: \(data.name)")
            print("root: \(data.root)")
            print("classes: \(data.classNames.count)")
            print("train images: \(data.train.count)")
            print("test images: \(data.test.count)")
            print("total images: \(data.train.count + data.test.count)")
            print("skipped files: \(data.skipped.count)")
            for file in data.skipped { print("  \(file.path): \(file.reason)") }
            if classes {
                let train = data.classCounts(.train), test = data.classCounts(.test)
                for (id, name) in data.classNames.enumerated() {
                    print("  \(id) \(name): \(train[id]) train, \(test[id]) test")
                }
            }
        }

        /// The protocol as `confit train --preset` runs it: from the dataset when there is
        /// one (class names, images per task), else from the embedded protocol alone.
        private func describe(_ preset: Preset, data: ImageDataset?) throws {
            let benchmark = try preset.benchmark()
            let order = try data.map {
                try Scenario(dataset: $0, order: preset.classOrder, classesPerTask: benchmark.classesPerTask)
            }
            let tasks: [[Int]] =
                order?.tasks.map(\.classes)
                ?? stride(from: 0, to: benchmark.tasks * benchmark.classesPerTask, by: benchmark.classesPerTask).map {
                    Array(benchmark.classOrder[$0..<$0 + benchmark.classesPerTask])
                }
            let trained = tasks.reduce(0) { $0 + $1.count }
            print("preset: \(preset.rawValue)")
            print(
                "protocol: \(tasks.count) tasks of \(benchmark.classesPerTask) classes (\(trained) of \(benchmark.classes) classes "
                    + "trained), \(benchmark.epochs) epochs per task, batch size \(benchmark.batchSize) (last partial batch dropped)"
            )
            let stages = (0..<benchmark.epochs).map {
                TrainingSchedule.hierarchical.selection(epoch: $0, epochs: benchmark.epochs).rawValue
            }
            print("confit's stages by epoch: \(stages.joined(separator: " "))")
            print("split: \(split.choice.map { "\($0)" } ?? "standard (the protocol's)")")
            for (t, classes) in tasks.enumerated() {
                guard let data, let task = order?.tasks[t] else {
                    print("task \(t): class ids \(classes.map(String.init).joined(separator: ", "))")
                    continue
                }
                let names = classes.prefix(3).map { data.classNames[$0] }.joined(separator: ", ")
                print(
                    "task \(t): \(task.train.count) train, \(task.test.count) test images; classes \(names)"
                        + (classes.count > 3 ? ", ... (\(classes.count))" : ""))
            }
        }
    }
}
