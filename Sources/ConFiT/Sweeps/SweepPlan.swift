import Foundation

/// Every method × seed of one protocol as ordinary run folders under one folder
/// (`METHOD-seedS`), and where each of them stands: what `confit sweep` runs, and what
/// makes a stopped sweep continue where it stopped with its finished runs untouched.
///
/// A run's folder is its identity: a folder holding a run of another configuration is an
/// error, never overwritten and never counted as done.
public struct SweepPlan: Sendable {
    /// One run of the sweep.
    public struct Run: Sendable {
        /// `METHOD-seedS`, the folder's name.
        public let name: String
        public let configuration: RunConfiguration
        public let folder: URL
    }

    /// Where a run stands, read from its folder.
    public enum State: Sendable, Equatable {
        /// Nothing there yet.
        case new
        /// A checkpoint with `finishedTasks` of `tasks` tasks done.
        case partial(finishedTasks: Int, tasks: Int)
        /// Every task trained and evaluated.
        case finished
    }

    /// The file each run folder gets before its run starts: the configuration that
    /// `confit train --configuration` starts (or continues) it from.
    public static let configurationFileName = "configuration.json"

    public let folder: URL
    public let runs: [Run]

    /// `base` with each method and seed, seed by seed (every method of the first seed
    /// first), so the first runs to finish already compare every method.
    public init(base: RunConfiguration, methods: [ContinualMethod], seeds: [UInt64], folder: URL) throws {
        guard !methods.isEmpty, !seeds.isEmpty else {
            throw ConFiTError.invalidConfiguration("a sweep needs at least one method and one seed")
        }
        if let repeated = Self.firstRepeated(methods.map(\.name)) {
            throw ConFiTError.invalidConfiguration("method \(repeated) is listed twice; its runs would share folders")
        }
        if let repeated = Self.firstRepeated(seeds) {
            throw ConFiTError.invalidConfiguration("seed \(repeated) is listed twice")
        }
        self.folder = folder
        runs = seeds.flatMap { seed in
            methods.map { method in
                var configuration = base
                (configuration.method, configuration.training.seed, configuration.threads) = (method, seed, nil)
                let name = "\(method.name)-seed\(seed)"
                return Run(name: name, configuration: configuration, folder: folder.appendingPathComponent(name))
            }
        }
    }

    private static func firstRepeated<T: Hashable>(_ values: [T]) -> T? {
        var seen = Set<T>()
        return values.first { !seen.insert($0).inserted }
    }

    /// Where `run` stands, from its checkpoint (which `metrics.json` follows). A folder
    /// whose run is not this one (threads aside: they set the speed, and a continued run
    /// keeps its own) is an error naming what differs.
    public static func state(of run: Run) throws -> State {
        guard
            FileManager.default.fileExists(atPath: run.folder.appendingPathComponent(TrainingCheckpoint.fileName).path)
        else {
            return .new
        }
        let (_, metrics, recorded) = try TrainingCheckpoint.last(ofRunIn: run.folder)
        guard recorded.matches(run.configuration) else {
            throw ConFiTError.invalidConfiguration(
                "\(run.folder.path) holds a run of another configuration ("
                    + recorded.differences(from: run.configuration).joined(separator: "; ")
                    + "); move it away or give the sweep another --out")
        }
        let tasks = min(recorded.tasks?.count ?? 0, recorded.training.taskLimit ?? .max)
        let finished = metrics.accuracy.taskCount
        return finished >= tasks && tasks > 0 ? .finished : .partial(finishedTasks: finished, tasks: tasks)
    }

    /// Writes `run`'s configuration into its folder (atomically), for
    /// `confit train --configuration`.
    public static func writeConfiguration(of run: Run) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try RunFolder(url: run.folder).writeAtomically(try encoder.encode(run.configuration), to: configurationFileName)
    }
}
