import ArgumentParser
import ConFiTData

/// Which images are test images: `--split`, `--split-file` and the stratified split's
/// values, shared by `data inspect`, `train` and `sweep`.
struct SplitOptions: ParsableArguments {
    /// The split choices that take no value.
    enum SplitName: String, ExpressibleByArgument, CaseIterable { case standard, official, stratified }

    @Option(help: "standard (the protocol's), official (the dataset's own) or stratified.")
    var split: SplitName?

    @Option(help: "A split file {\"classes\": [...], \"test\": [...]} listing test images by path (overrides --split).")
    var splitFile: String?

    @Option(help: "Seed of the stratified split.")
    var splitSeed: UInt64?

    @Option(help: "Test fraction of the stratified split.")
    var testFraction: Double?

    func validate() throws {
        if splitFile != nil, split != nil { throw ValidationError("give --split or --split-file, not both") }
        if (splitSeed != nil || testFraction != nil) && split != .stratified {
            throw ValidationError("--split-seed and --test-fraction apply to --split stratified")
        }
    }

    /// Whether any was given.
    var anyGiven: Bool { split != nil || splitFile != nil }

    /// The split asked for; nil when none was (the protocol's).
    var choice: DatasetOptions.SplitChoice? {
        if let splitFile { return .file(splitFile) }
        switch split {
        case nil: return nil
        case .standard: return .standard
        case .official: return .official
        case .stratified: return .stratified(testFraction: testFraction ?? 0.2, seed: splitSeed ?? 0)
        }
    }
}
