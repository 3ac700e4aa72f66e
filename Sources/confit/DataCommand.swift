import ArgumentParser
import ConFiTData
import Foundation

/// `confit data ...`: look at a dataset the way training will read it, before training.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect datasets.", subcommands: [Inspect.self])

    /// `confit data inspect`: classes, images per split and skipped files, so a wrong
    /// root or a stray file shows up before hours of training.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the classes, image counts per split and skipped files of a dataset.")

        @OptionGroup var source: DatasetSource

        @Flag(help: "List every class with its image counts.")
        var classes = false

        func run() throws {
            let data = try source.load()
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
                for (id, name) in data.classNames.enumerated() { print("  \(id) \(name): \(train[id]) train, \(test[id]) test") }
            }
        }
    }
}

/// The options that name a dataset on disk and its split, shared by data commands.
struct DatasetSource: ParsableArguments {
    @Option(help: "cifar10, cifar100, fashion-mnist, mnist, folder, caltech101, flowers102 or cub200.")
    var dataset: String

    @Option(help: "The dataset's folder as distributed, or the folder containing it.")
    var root: String

    @Option(help: "standard (the protocol's), official (the dataset's own) or stratified.")
    var split = "standard"

    @Option(help: "A split file {\"classes\": [...], \"test\": [...]} (overrides --split).")
    var splitFile: String?

    @Option(help: "Seed of the stratified split.")
    var seed: UInt64 = 0

    @Option(help: "Test fraction of the stratified split.")
    var testFraction = 0.2

    func load() throws -> ImageDataset {
        let choice: DatasetOptions.SplitChoice
        switch (splitFile, split) {
        case let (file?, _): choice = .file(file)
        case (nil, "standard"): choice = .standard
        case (nil, "official"): choice = .official
        case (nil, "stratified"): choice = .stratified(testFraction: testFraction, seed: seed)
        default: throw ValidationError("--split must be standard, official or stratified, not \(split)")
        }
        return try DatasetKind(name: dataset).load(root: root, options: DatasetOptions(split: choice))
    }
}
