import ConFiT
import ConFiTTestSupport
import Foundation
import Testing

@Suite struct RunFolderTests {
    private let temporary: TemporaryDirectory

    /// This test's folder (a suite value is made for each test); it exists, empty, when
    /// the test starts, and is removed after it.
    private var directory: URL { temporary.url }

    init() throws { temporary = try TemporaryDirectory("\(Self.self)") }

    /// Three tasks with dyadic accuracies, so every derived value below is exact:
    /// A = [1, (0.5 + 0.75)/2, (0.25 + 0.5 + 0.75)/3] = [1, 0.625, 0.5];
    /// average incremental = 2.125 / 3;
    /// F = ((max(1, 0.5) − 0.25) + (0.75 − 0.5)) / 2 = (0.75 + 0.25) / 2 = 0.5;
    /// BWT = ((0.25 − 1) + (0.5 − 0.75)) / 2 = (−0.75 − 0.25) / 2 = −0.5.
    private func sampleMetrics() throws -> RunMetrics {
        var metrics = RunMetrics(
            config: .object(["method": .string("confit"), "epochs": .integer(2), "lr": .number(0.01)]),
            versions: SoftwareVersions(confit: "0.1.0", oneDNN: "3.5.3", swift: "6.3.1"))
        let rows: [[Double]] = [[1.0], [0.5, 0.75], [0.25, 0.5, 0.75]]
        for (t, row) in rows.enumerated() {
            for epoch in 0..<2 {
                metrics.recordEpoch(
                    EpochRecord(
                        task: t, epoch: epoch, stage: epoch == 0 ? .classifier : .all,
                        meanLoss: 1.5 - Double(epoch), imagesPerSecond: 100, seconds: Double(10 * t + epoch)))
            }
            try metrics.recordTask(
                accuracies: row, bankBytes: 1000 + t, carriedBytes: 50 * t, wallSeconds: Double(20 + t),
                evaluationSeconds: Double(t + 1), imagesPerSecond: 90 + Double(t))
        }
        metrics.totalWallSeconds = 70
        return metrics
    }

    /// The task-agnostic matrix with its derived values (the dyadic rows above, read as
    /// task-agnostic ones) and the task-inference matrix, written and read back.
    @Test func taskAgnosticAndInferenceMatricesAreWrittenAndReadBack() throws {
        var metrics = RunMetrics(
            config: .object([:]), versions: SoftwareVersions(confit: "0.1.0", oneDNN: "3.5.3", swift: "6.3.1"))
        let rows: [[Double]] = [[1.0], [0.5, 0.75], [0.25, 0.5, 0.75]]
        for row in rows {
            try metrics.recordTask(
                accuracies: row.map { min(1, $0 + 0.125) }, taskAgnostic: row, taskInference: row.map { $0 / 2 },
                bankBytes: 0, wallSeconds: 1, evaluationSeconds: 1, imagesPerSecond: 1)
        }
        let json = try #require(try JSONSerialization.jsonObject(with: metrics.jsonData()) as? [String: Any])
        let agnostic = try #require(json["task_agnostic"] as? [String: Any])
        #expect((agnostic["accuracy_matrix"] as? [[Double]]) == rows)
        #expect((agnostic["average_accuracy"] as? [Double]) == [1, 0.625, 0.5])
        #expect((agnostic["final_average_accuracy"] as? Double) == 0.5)
        #expect((agnostic["forgetting"] as? Double) == 0.5)
        #expect((json["task_inference"] as? [[Double]]) == [[0.5], [0.25, 0.375], [0.125, 0.25, 0.375]])
        #expect((json["definitions"] as? [String: String])?["task_agnostic"] != nil)
        #expect(try RunMetrics.decode(from: metrics.jsonData()) == metrics)
    }

    @Test func metricsJSONHasExactlyTheSpecifiedKeysAndValues() throws {
        let folder = RunFolder(url: directory)
        try folder.write(try sampleMetrics())
        let data = try Data(contentsOf: directory.appendingPathComponent("metrics.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        #expect(
            Set(json.keys) == [
                "accuracy_matrix", "average_accuracy", "final_average_accuracy",
                "average_incremental_accuracy", "forgetting", "bwt", "bank_bytes_per_task", "carried_bytes_per_task",
                "wall_seconds", "images_per_second", "epochs", "definitions", "config", "versions",
            ])
        #expect((json["accuracy_matrix"] as? [[Double]]) == [[1.0], [0.5, 0.75], [0.25, 0.5, 0.75]])
        #expect((json["average_accuracy"] as? [Double]) == [1.0, 0.625, 0.5])
        #expect((json["final_average_accuracy"] as? Double) == 0.5)
        expectClose(try #require(json["average_incremental_accuracy"] as? Double), 2.125 / 3, tolerance: 1e-12)
        #expect((json["forgetting"] as? Double) == 0.5)
        #expect((json["bwt"] as? Double) == -0.5)
        #expect((json["bank_bytes_per_task"] as? [Int]) == [1000, 1001, 1002])
        #expect((json["carried_bytes_per_task"] as? [Int]) == [0, 50, 100])
        #expect((json["images_per_second"] as? [Double]) == [90, 91, 92])

        let wall = try #require(json["wall_seconds"] as? [String: Any])
        #expect(
            Set(wall.keys) == [
                "total", "per_task", "per_epoch", "training", "outside_training", "evaluation_per_task", "evaluation",
            ])
        #expect((wall["total"] as? Double) == 70)
        #expect((wall["per_task"] as? [Double]) == [20, 21, 22])
        #expect((wall["per_epoch"] as? [[Double]]) == [[0, 1], [10, 11], [20, 21]])
        #expect((wall["training"] as? Double) == 63)
        #expect((wall["outside_training"] as? Double) == 7)
        #expect((wall["evaluation_per_task"] as? [Double]) == [1, 2, 3])
        #expect((wall["evaluation"] as? Double) == 6)

        let epochs = try #require(json["epochs"] as? [[String: Any]])
        #expect(epochs.count == 6)
        #expect(Set(epochs[1].keys) == ["task", "epoch", "stage", "mean_loss", "images_per_second", "seconds"])
        #expect((epochs[1]["stage"] as? String) == "full")
        #expect((epochs[1]["mean_loss"] as? Double) == 0.5)

        let definitions = try #require(json["definitions"] as? [String: String])
        #expect(
            Set(definitions.keys).isSuperset(of: [
                "accuracy_matrix", "average_accuracy", "final_average_accuracy",
                "average_incremental_accuracy", "forgetting", "bwt", "bank_bytes_per_task", "carried_bytes_per_task",
                "wall_seconds",
            ]))
        let config = try #require(json["config"] as? [String: Any])
        #expect(Set(config.keys) == ["method", "epochs", "lr"])
        #expect((config["method"] as? String) == "confit")
        #expect((config["epochs"] as? Int) == 2)
        #expect((config["lr"] as? Double) == 0.01)
        #expect((json["versions"] as? [String: String]) == ["confit": "0.1.0", "onednn": "3.5.3", "swift": "6.3.1"])
    }

    @Test func oneTaskWritesNullForgettingAndBWT() throws {
        var metrics = RunMetrics(config: .null, versions: SoftwareVersions(confit: "", oneDNN: "", swift: ""))
        try metrics.recordTask(
            accuracies: [0.5], bankBytes: 8, wallSeconds: 1, evaluationSeconds: 0.5, imagesPerSecond: 1)
        let json = try #require(try JSONSerialization.jsonObject(with: metrics.jsonData()) as? [String: Any])
        #expect(json["forgetting"] is NSNull)
        #expect(json["bwt"] is NSNull)
        #expect((json["final_average_accuracy"] as? Double) == 0.5)
    }

    @Test func metricsCSVIsLongFormWithAccuracyAndPerTaskRows() throws {
        let folder = RunFolder(url: directory)
        try folder.write(try sampleMetrics())
        let csv = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(
            csv == """
                after_task,task,metric,value
                0,0,accuracy,1.0
                0,,average_accuracy,1.0
                0,,bank_bytes,1000
                0,,carried_bytes,0
                0,,wall_seconds,20.0
                0,,evaluation_seconds,1.0
                0,,images_per_second,90.0
                1,0,accuracy,0.5
                1,1,accuracy,0.75
                1,,average_accuracy,0.625
                1,,bank_bytes,1001
                1,,carried_bytes,50
                1,,wall_seconds,21.0
                1,,evaluation_seconds,2.0
                1,,images_per_second,91.0
                2,0,accuracy,0.25
                2,1,accuracy,0.5
                2,2,accuracy,0.75
                2,,average_accuracy,0.5
                2,,bank_bytes,1002
                2,,carried_bytes,100
                2,,wall_seconds,22.0
                2,,evaluation_seconds,3.0
                2,,images_per_second,92.0

                """)
    }

    /// A run recorded before the evaluations were timed reads back with NaN for them, and
    /// its training split is still derived from its epochs.
    @Test func metricsWithoutEvaluationTimesDecodeWithNaN() throws {
        var json = try #require(
            try JSONSerialization.jsonObject(with: try sampleMetrics().jsonData()) as? [String: Any])
        var wall = try #require(json["wall_seconds"] as? [String: Any])
        for key in ["training", "outside_training", "evaluation_per_task", "evaluation"] {
            wall.removeValue(forKey: key)
        }
        json["wall_seconds"] = wall
        let metrics = try RunMetrics.decode(from: try JSONSerialization.data(withJSONObject: json))
        #expect(metrics.evaluationSecondsPerTask.count == 3)
        #expect(metrics.evaluationSecondsPerTask.allSatisfy { $0.isNaN })
        #expect(metrics.trainingWallSeconds.training == 63)
        #expect(metrics.trainingWallSeconds.outside == 7)
    }

    @Test func metricsRoundTripThroughTheFolder() throws {
        let folder = RunFolder(url: directory)
        let metrics = try sampleMetrics()
        try folder.write(metrics)
        #expect(try folder.readMetrics() == metrics)
        struct Config: Codable, Equatable {
            var method: String
            var epochs: Int
            var lr: Double
        }
        #expect(
            try folder.readMetrics().config.decode(as: Config.self) == Config(method: "confit", epochs: 2, lr: 0.01))
    }

    @Test func configTreeKeepsLargeIntegersExact() throws {
        struct Config: Codable, Equatable {
            var seed: Int64
            var name: String?
            var flags: [Bool]
        }
        let config = Config(seed: 9_007_199_254_740_993, name: nil, flags: [true, false])
        let tree = try JSONValue(encoding: config)
        #expect(
            tree == .object(["seed": .integer(9_007_199_254_740_993), "flags": .array([.bool(true), .bool(false)])]))
        #expect(try tree.decode(as: Config.self) == config)
    }

    @Test func divergedLossIsWrittenAndReadBack() throws {
        var metrics = RunMetrics(config: .null, versions: SoftwareVersions(confit: "", oneDNN: "", swift: ""))
        metrics.recordEpoch(EpochRecord(task: 0, epoch: 0, stage: .all, meanLoss: .nan, imagesPerSecond: 1, seconds: 1))
        let folder = RunFolder(url: directory)
        try folder.write(metrics)
        #expect(try folder.readMetrics().epochs[0].meanLoss.isNaN)
    }

    @Test func writesReplaceAtomicallyAndLeaveNoTemporaryFiles() throws {
        let folder = RunFolder(url: directory.appendingPathComponent("runs/name"))
        try folder.writeAtomically(Data("first".utf8), to: "config.json")
        try folder.writeAtomically(Data("second".utf8), to: "config.json")
        try folder.writeAtomically(Data("bank".utf8), to: "checkpoints/task-0.bin")
        #expect(try String(contentsOf: folder.url.appendingPathComponent("config.json"), encoding: .utf8) == "second")
        if let error = #expect(
            throws: (any Error).self, performing: { try folder.writeAtomically(Data("x".utf8), to: "checkpoints") })
        {
            switch error as? RunFolderError {
            case .cannotWrite?: break
            default: Issue.record("unexpected error \(error)")
            }
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == [
                "checkpoints", "config.json",
            ])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.url.appendingPathComponent("checkpoints").path)
                == ["task-0.bin"])
    }

    @Test func aFolderUnderARegularFileGivesATypedErrorNamingThePath() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        let folder = RunFolder(url: file.appendingPathComponent("run"))
        if let error = #expect(throws: (any Error).self, performing: { try folder.write(try sampleMetrics()) }) {
            switch error as? RunFolderError {
            case let .cannotCreate(path, _)?:
                #expect(path == folder.url.path)
                #expect("\(error)".contains(folder.url.path))
            default: Issue.record("unexpected error \(error)")
            }
        }
        if let error = #expect(throws: (any Error).self, performing: { try folder.readMetrics() }) {
            switch error as? RunFolderError {
            case .cannotRead?: break
            default: Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func unreadableMetricsAreReportedAsMalformed() throws {
        let folder = RunFolder(url: directory)
        try folder.writeAtomically(Data(#"{"accuracy_matrix": [[2]]}"#.utf8), to: "metrics.json")
        if let error = #expect(throws: (any Error).self, performing: { try folder.readMetrics() }) {
            switch error as? RunFolderError {
            case let .malformed(path, _)?: #expect(path.hasSuffix("metrics.json"))
            default: Issue.record("unexpected error \(error)")
            }
        }
    }
}
