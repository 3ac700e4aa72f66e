import ArgumentParser
import ConFiTData

/// The options that name a dataset on disk and its split, shared by data commands.
struct DatasetSource: ParsableArguments {
    /// The split choices that take no value.
    enum SplitName: String, ExpressibleByArgument, CaseIterable { case standard, official, stratified }

    @Option(help: "Dataset reader.")
    var dataset: DatasetKind

    @Option(help: "The dataset's folder as distributed, or the folder containing it.")
    var root: String

    @Option(help: "standard (the protocol's), official (the dataset's own) or stratified.")
    var split = SplitName.standard

    @Option(help: "A split file {\"classes\": [...], \"test\": [...]} (overrides --split).")
    var splitFile: String?

    @Option(help: "Seed of the stratified split.")
    var seed: UInt64 = 0

    @Option(help: "Test fraction of the stratified split.")
    var testFraction = 0.2

    func load() throws -> ImageDataset {
        let choice: DatasetOptions.SplitChoice = switch (splitFile, split) {
        case let (file?, _): .file(file)
        case (nil, .standard): .standard
        case (nil, .official): .official
        case (nil, .stratified): .stratified(testFraction: testFraction, seed: seed)
        }
        return try dataset.load(root: root, options: DatasetOptions(split: choice))
    }
}
