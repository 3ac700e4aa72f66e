import ArgumentParser
import ConFiTData

/// The options that name a dataset on disk and its split, shared by data commands.
struct DatasetSource: ParsableArguments {
    @Option(help: "Dataset reader.")
    var dataset: DatasetKind

    @Option(help: "The dataset's folder as distributed, or the folder containing it.")
    var root: String

    @OptionGroup var split: SplitOptions

    func load() throws -> ImageDataset {
        try dataset.load(root: root, options: DatasetOptions(split: split.choice ?? .standard))
    }
}
