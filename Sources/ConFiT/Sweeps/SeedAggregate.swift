import Foundation

/// Runs of one method on one protocol that differ only in their seed, summarised per
/// metric, per A_t and per accuracy-matrix cell as mean and sample standard deviation:
/// what a results table reports, since one seed's difference between two methods is noise
/// on test sets of 100–200 images per task.
public struct SeedAggregate: Sendable, Equatable {
    /// Mean and sample standard deviation (n − 1 in the denominator, as pandas and R
    /// compute it; nil for a single run) of one quantity over the runs.
    public struct Statistic: Sendable, Equatable, Codable {
        public var mean: Double
        public var std: Double?

        public init(_ values: [Double]) {
            let n = Double(values.count)
            mean = values.reduce(0, +) / n
            let m = mean
            std = values.count > 1 ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / (n - 1)).squareRoot() : nil
        }
    }

    /// `config.method.name` of the runs.
    public let method: String
    /// The runs' names (folder names), in the order given.
    public let runs: [String]
    /// Each run's seed, where its configuration records one.
    public let seeds: [UInt64?]
    public let finalAverageAccuracy: Statistic
    public let averageIncrementalAccuracy: Statistic
    /// nil with one task, where forgetting and BWT are undefined.
    public let forgetting: Statistic?
    public let backwardTransfer: Statistic?
    /// A_t for each task t.
    public let averageAccuracy: [Statistic]
    /// a(t, i) for t in tasks, i ≤ t.
    public let accuracy: [[Statistic]]
    /// Bytes stored per task, averaged over tasks (then over runs).
    public let bankBytesPerTask: Statistic
    public let wallSeconds: Statistic

    /// The aggregate of `runs`, which must have the same number of tasks (at least one).
    public init(_ runs: [(name: String, metrics: RunMetrics)]) throws {
        guard let tasks = runs.first?.metrics.accuracy.taskCount, tasks > 0,
            runs.allSatisfy({ $0.metrics.accuracy.taskCount == tasks })
        else {
            throw ConFiTError.invalidConfiguration(
                "runs aggregate only with the same number of finished tasks (at least one): "
                    + runs.map { "\($0.name) has \($0.metrics.accuracy.taskCount)" }.joined(separator: ", "))
        }
        let matrices = runs.map(\.metrics.accuracy)
        func over(_ value: (AccuracyMatrix) -> Double) -> Statistic { Statistic(matrices.map(value)) }
        method = Self.methodName(runs[0].metrics.config) ?? runs[0].name
        self.runs = runs.map(\.name)
        seeds = runs.map { Self.seed($0.metrics.config) }
        finalAverageAccuracy = over { $0.finalAverageAccuracy! }
        averageIncrementalAccuracy = over { $0.averageIncrementalAccuracy! }
        forgetting = tasks > 1 ? over { $0.forgetting! } : nil
        backwardTransfer = tasks > 1 ? over { $0.backwardTransfer! } : nil
        averageAccuracy = (0..<tasks).map { t in over { $0.averageAccuracy[t] } }
        accuracy = (0..<tasks).map { t in (0...t).map { i in over { $0[after: t, task: i] } } }
        bankBytesPerTask = Statistic(runs.map { Double($0.metrics.bankBytesPerTask.reduce(0, +)) / Double(tasks) })
        wallSeconds = Statistic(runs.map(\.metrics.totalWallSeconds))
    }

    /// `runs` grouped into seed aggregates: runs whose configurations are equal but for the
    /// seed and what sets only the speed or the place (threads, processes, loader workers, cache,
    /// the dataset's folder, the weights' folder), with equal task counts. Groups come in
    /// the order of their first run; a group of one run is an aggregate too. Runs with no
    /// finished task are left out.
    public static func grouping(_ runs: [(name: String, metrics: RunMetrics)]) -> [SeedAggregate] {
        var keys: [JSONValue] = [], groups: [[(name: String, metrics: RunMetrics)]] = []
        for run in runs {
            let key = JSONValue.array([identity(run.metrics.config), .integer(Int64(run.metrics.accuracy.taskCount))])
            if let k = keys.firstIndex(of: key) {
                groups[k].append(run)
            } else {
                (keys, groups) = (keys + [key], groups + [[run]])
            }
        }
        return groups.compactMap { try? SeedAggregate($0) }
    }

    /// The configuration without what does not change a run's numbers across seeds, with
    /// the method spelled as it is now (older runs recorded switches beside its name).
    private static func identity(_ config: JSONValue) -> JSONValue {
        var tree = config
        if let configuration = try? config.decode(as: RunConfiguration.self),
            let current = try? JSONValue(encoding: configuration)
        {
            tree = current
        }
        guard case var .object(fields) = tree else { return tree }
        for key in ["threads", "processes", "root", "tasks"] { fields[key] = nil }
        if case let .string(weights)? = fields["weights"] {
            fields["weights"] = .string((weights as NSString).lastPathComponent)
        }
        if case var .object(training)? = fields["training"] {
            for key in ["seed", "loaderWorkers", "cacheBytes"] { training[key] = nil }
            fields["training"] = .object(training)
        }
        return .object(fields)
    }

    private static func methodName(_ config: JSONValue) -> String? {
        guard case let .object(fields) = config, case let .object(method)? = fields["method"],
            case let .string(name)? = method["name"]
        else { return nil }
        return name
    }

    private static func seed(_ config: JSONValue) -> UInt64? {
        guard case let .object(fields) = config, case let .object(training)? = fields["training"],
            case let .integer(seed)? = training["seed"], seed >= 0
        else { return nil }
        return UInt64(seed)
    }
}

extension SeedAggregate: Encodable {
    private enum CodingKeys: String, CodingKey {
        case method, runs, seeds, n
        case finalAverageAccuracy = "final_average_accuracy", averageIncrementalAccuracy =
            "average_incremental_accuracy"
        case forgetting, bwt, averageAccuracy = "average_accuracy", accuracyMatrix = "accuracy_matrix"
        case bankBytesPerTask = "bank_bytes_per_task", wallSeconds = "wall_seconds"
    }

    /// One group as `aggregate.json` holds it; the matrix and A_t as `{"mean": [...],
    /// "std": [...]}` so each loads as an array.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(method, forKey: .method)
        try container.encode(runs, forKey: .runs)
        try container.encode(seeds, forKey: .seeds)
        try container.encode(runs.count, forKey: .n)
        try container.encode(finalAverageAccuracy, forKey: .finalAverageAccuracy)
        try container.encode(averageIncrementalAccuracy, forKey: .averageIncrementalAccuracy)
        try container.encode(forgetting, forKey: .forgetting)
        try container.encode(backwardTransfer, forKey: .bwt)
        try container.encode(
            ["mean": averageAccuracy.map(\.mean), "std": averageAccuracy.map(\.std)], forKey: .averageAccuracy)
        try container.encode(
            ["mean": accuracy.map { $0.map(\.mean) }, "std": accuracy.map { $0.map(\.std) }], forKey: .accuracyMatrix)
        try container.encode(bankBytesPerTask, forKey: .bankBytesPerTask)
        try container.encode(wallSeconds, forKey: .wallSeconds)
    }

    /// What `aggregate.json` says its numbers are.
    public static let definitions: [String: String] = [
        "groups":
            "runs whose configurations are equal except for the seed, threads, processes, loader workers, image cache and the folders of the data and weights, with as many finished tasks",
        "mean": "the mean over the group's runs of the run's metric (as metrics.json defines it)",
        "std": "the sample standard deviation over the group's runs (n - 1 in the denominator); null for a single run",
        "bank_bytes_per_task": "bytes stored per task, averaged over the run's tasks",
        "wall_seconds": "the run's total wall time",
    ]

    /// `aggregate.json`: `{"definitions": ..., "groups": [...]}`, pretty-printed.
    public static func jsonData(_ groups: [SeedAggregate]) throws -> Data {
        struct File: Encodable { var definitions: [String: String], groups: [SeedAggregate] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(File(definitions: definitions, groups: groups))
    }

    /// `aggregate.csv`: one row per group, a mean and a std column per summary metric
    /// (empty where undefined).
    public static func csv(_ groups: [SeedAggregate]) -> String {
        let metrics = [
            "final_average_accuracy", "average_incremental_accuracy", "forgetting", "bwt", "bank_bytes_per_task",
            "wall_seconds",
        ]
        var lines = [
            (["method", "n", "seeds", "runs"] + metrics.flatMap { ["\($0)_mean", "\($0)_std"] }).joined(separator: ",")
        ]
        for group in groups {
            let statistics = [
                group.finalAverageAccuracy, group.averageIncrementalAccuracy, group.forgetting, group.backwardTransfer,
                group.bankBytesPerTask, group.wallSeconds,
            ]
            let values = statistics.flatMap { [$0.map { "\($0.mean)" } ?? "", $0?.std.map { "\($0)" } ?? ""] }
            let seeds = group.seeds.map { $0.map(String.init) ?? "" }.joined(separator: " ")
            lines.append(
                ([csvField(group.method), "\(group.runs.count)", seeds, csvField(group.runs.joined(separator: " "))]
                    + values)
                    .joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
