import ConFiT
import ConFiTTestSupport
import Foundation
import Testing

/// Mean ± sample std over seeds, against values computed by hand from hand-made runs.
@Suite struct SeedAggregateTests {
    private func run(
        _ name: String, seed: UInt64, rows: [[Double]], bankBytes: [Int], seconds: Double,
        edit: (inout RunConfiguration) -> Void = { _ in }
    ) throws -> (name: String, metrics: RunMetrics) {
        var config = try RunConfiguration(
            preset: .fashionMNIST, root: "/data/fashion-mnist", model: .resnet18, method: .confit)
        config.training.seed = seed
        edit(&config)
        var metrics = RunMetrics(config: try JSONValue(encoding: config), versions: .current)
        for (t, row) in rows.enumerated() {
            try metrics.recordTask(
                accuracies: row, bankBytes: bankBytes[t], wallSeconds: 1, evaluationSeconds: 0.5, imagesPerSecond: 1)
        }
        metrics.totalWallSeconds = seconds
        return (name, metrics)
    }

    /// A, B, C: confit over seeds 0, 1, 2 (B on 4 threads and another spelling of the data
    /// folder: the same experiment); D finetune; E confit at another lr; F confit, 1 task.
    private func runs() throws -> [(name: String, metrics: RunMetrics)] {
        [
            try run("A", seed: 0, rows: [[0.8], [0.6, 0.9]], bankBytes: [100, 300], seconds: 10),
            try run("B", seed: 1, rows: [[0.9], [0.7, 0.8]], bankBytes: [200, 200], seconds: 20) {
                ($0.threads, $0.root) = (4, "/data/./fashion-mnist")
            },
            try run("D", seed: 0, rows: [[0.5], [0.5, 0.5]], bankBytes: [0, 0], seconds: 5) { $0.method = .finetune },
            try run("C", seed: 2, rows: [[1.0], [0.5, 0.7]], bankBytes: [100, 100], seconds: 30),
            try run("E", seed: 0, rows: [[0.5], [0.5, 0.5]], bankBytes: [1, 1], seconds: 5) {
                $0.training.learningRate = 0.1
            },
            try run("F", seed: 3, rows: [[0.5]], bankBytes: [1], seconds: 5),
        ]
    }

    @Test func groupsRunsThatDifferOnlyInTheirSeed() throws {
        let groups = SeedAggregate.grouping(try runs())
        #expect(groups.map(\.runs) == [["A", "B", "C"], ["D"], ["E"], ["F"]])
        #expect(groups.map(\.method) == ["confit", "finetune", "confit", "confit"])
        #expect(groups[0].seeds == [0, 1, 2])
    }

    /// A_t: A (0.8, 0.75), B (0.9, 0.75), C (1.0, 0.6). Final: mean 0.7, std √(0.0075) =
    /// 0.0866025; A_0: 0.9 ± 0.1; incremental 0.775, 0.825, 0.8: 0.8 ± 0.025; F 0.2, 0.2,
    /// 0.5: 0.3 ± √0.03 = 0.173205; BWT −0.2, −0.2, −0.5: −0.3 ± 0.173205; a(1, 1) 0.9,
    /// 0.8, 0.7: 0.8 ± 0.1; bytes per task 200, 200, 100: 166.67 ± 57.735; time 20 ± 10.
    @Test func meansAndSampleStandardDeviationsByHand() throws {
        let confit = try #require(SeedAggregate.grouping(try runs()).first)
        let expected: [(SeedAggregate.Statistic?, Double, Double)] = [
            (confit.finalAverageAccuracy, 0.7, 0.0075.squareRoot()), (confit.averageAccuracy[0], 0.9, 0.1),
            (confit.averageIncrementalAccuracy, 0.8, 0.025), (confit.forgetting, 0.3, 0.03.squareRoot()),
            (confit.backwardTransfer, -0.3, 0.03.squareRoot()), (confit.accuracy[1][1], 0.8, 0.1),
            (confit.accuracy[1][0], 0.6, 0.1), (confit.bankBytesPerTask, 500.0 / 3, (10_000.0 / 3).squareRoot()),
            (confit.wallSeconds, 20, 10),
        ]
        for (k, (statistic, mean, std)) in expected.enumerated() {
            expectClose(try #require(statistic).mean, mean, tolerance: 1e-12, "statistic \(k)")
            expectClose(try #require(statistic?.std), std, tolerance: 1e-12, "statistic \(k)")
        }
        let single = SeedAggregate.grouping(try runs())[1]
        #expect(single.finalAverageAccuracy == SeedAggregate.Statistic([0.5]))
        #expect(single.finalAverageAccuracy.std == nil, "one run has no spread")
        #expect(SeedAggregate.grouping(try runs())[3].forgetting == nil, "one task: forgetting is undefined")
    }

    @Test func runsWithDifferentTaskCountsDoNotAggregate() throws {
        let all = try runs()
        if let error = #expect(throws: (any Error).self, performing: { try SeedAggregate([all[0], all[5]]) }) {
            #expect("\(error)".contains("F has 1"), "\(error)")
        }
    }

    /// aggregate.json and aggregate.csv hold the same hand-computed numbers.
    @Test func jsonAndCSVHoldTheAggregates() throws {
        let groups = SeedAggregate.grouping(try runs())
        let json = try #require(
            try JSONSerialization.jsonObject(with: SeedAggregate.jsonData(groups)) as? [String: Any])
        let first = try #require((json["groups"] as? [[String: Any]])?.first)
        #expect((first["n"] as? Int) == 3)
        #expect((first["runs"] as? [String]) == ["A", "B", "C"])
        let final = try #require(first["final_average_accuracy"] as? [String: Double])
        expectClose(try #require(final["mean"]), 0.7, tolerance: 1e-12)
        let matrix = try #require(first["accuracy_matrix"] as? [String: [[Double]]])
        expectClose(try #require(matrix["std"]?[1][0]), 0.1, tolerance: 1e-12)
        #expect((json["definitions"] as? [String: String])?["std"] != nil)

        let lines = SeedAggregate.csv(groups).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        #expect(lines.count == 5)
        let header = lines[0].map(String.init)
        #expect(
            Array(header.prefix(6)) == [
                "method", "n", "seeds", "runs", "final_average_accuracy_mean", "final_average_accuracy_std",
            ])
        let row = Dictionary(uniqueKeysWithValues: zip(header, lines[1].map(String.init)))
        #expect(row["seeds"] == "0 1 2")
        expectClose(try #require(Double(row["forgetting_std"] ?? "")), 0.03.squareRoot(), tolerance: 1e-12)
        expectClose(try #require(Double(row["bwt_mean"] ?? "")), -0.3, tolerance: 1e-12)
        let finetune = Dictionary(uniqueKeysWithValues: zip(header, lines[2].map(String.init)))
        #expect(finetune["final_average_accuracy_std"] == "", "no std for one run")
    }
}
