import ConFiT
import ConFiTTestSupport
import Foundation
import XCTest

final class RunFolderTests: TemporaryDirectoryTestCase {
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
    func testTaskAgnosticAndInferenceMatricesAreWrittenAndReadBack() throws {
        var metrics = RunMetrics(
            config: .object([:]), versions: SoftwareVersions(confit: "0.1.0", oneDNN: "3.5.3", swift: "6.3.1"))
        let rows: [[Double]] = [[1.0], [0.5, 0.75], [0.25, 0.5, 0.75]]
        for row in rows {
            try metrics.recordTask(
                accuracies: row.map { min(1, $0 + 0.125) }, taskAgnostic: row, taskInference: row.map { $0 / 2 },
                bankBytes: 0, wallSeconds: 1, evaluationSeconds: 1, imagesPerSecond: 1)
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: metrics.jsonData()) as? [String: Any])
        let agnostic = try XCTUnwrap(json["task_agnostic"] as? [String: Any])
        XCTAssertEqual(agnostic["accuracy_matrix"] as? [[Double]], rows)
        XCTAssertEqual(agnostic["average_accuracy"] as? [Double], [1, 0.625, 0.5])
        XCTAssertEqual(agnostic["final_average_accuracy"] as? Double, 0.5)
        XCTAssertEqual(agnostic["forgetting"] as? Double, 0.5)
        XCTAssertEqual(json["task_inference"] as? [[Double]], [[0.5], [0.25, 0.375], [0.125, 0.25, 0.375]])
        XCTAssertNotNil((json["definitions"] as? [String: String])?["task_agnostic"])
        XCTAssertEqual(try RunMetrics.decode(from: metrics.jsonData()), metrics)
    }

    func testMetricsJSONHasExactlyTheSpecifiedKeysAndValues() throws {
        let folder = RunFolder(url: directory)
        try folder.write(try sampleMetrics())
        let data = try Data(contentsOf: directory.appendingPathComponent("metrics.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        XCTAssertEqual(
            Set(json.keys),
            [
                "accuracy_matrix", "average_accuracy", "final_average_accuracy",
                "average_incremental_accuracy", "forgetting", "bwt", "bank_bytes_per_task", "carried_bytes_per_task",
                "wall_seconds", "images_per_second", "epochs", "definitions", "config", "versions",
            ])
        XCTAssertEqual(json["accuracy_matrix"] as? [[Double]], [[1.0], [0.5, 0.75], [0.25, 0.5, 0.75]])
        XCTAssertEqual(json["average_accuracy"] as? [Double], [1.0, 0.625, 0.5])
        XCTAssertEqual(json["final_average_accuracy"] as? Double, 0.5)
        XCTAssertEqual(try XCTUnwrap(json["average_incremental_accuracy"] as? Double), 2.125 / 3, accuracy: 1e-12)
        XCTAssertEqual(json["forgetting"] as? Double, 0.5)
        XCTAssertEqual(json["bwt"] as? Double, -0.5)
        XCTAssertEqual(json["bank_bytes_per_task"] as? [Int], [1000, 1001, 1002])
        XCTAssertEqual(json["carried_bytes_per_task"] as? [Int], [0, 50, 100])
        XCTAssertEqual(json["images_per_second"] as? [Double], [90, 91, 92])

        let wall = try XCTUnwrap(json["wall_seconds"] as? [String: Any])
        XCTAssertEqual(
            Set(wall.keys),
            ["total", "per_task", "per_epoch", "training", "outside_training", "evaluation_per_task", "evaluation"])
        XCTAssertEqual(wall["total"] as? Double, 70)
        XCTAssertEqual(wall["per_task"] as? [Double], [20, 21, 22])
        XCTAssertEqual(wall["per_epoch"] as? [[Double]], [[0, 1], [10, 11], [20, 21]])
        XCTAssertEqual(wall["training"] as? Double, 63)
        XCTAssertEqual(wall["outside_training"] as? Double, 7)
        XCTAssertEqual(wall["evaluation_per_task"] as? [Double], [1, 2, 3])
        XCTAssertEqual(wall["evaluation"] as? Double, 6)

        let epochs = try XCTUnwrap(json["epochs"] as? [[String: Any]])
        XCTAssertEqual(epochs.count, 6)
        XCTAssertEqual(Set(epochs[1].keys), ["task", "epoch", "stage", "mean_loss", "images_per_second", "seconds"])
        XCTAssertEqual(epochs[1]["stage"] as? String, "full")
        XCTAssertEqual(epochs[1]["mean_loss"] as? Double, 0.5)

        let definitions = try XCTUnwrap(json["definitions"] as? [String: String])
        XCTAssertTrue(
            Set(definitions.keys).isSuperset(of: [
                "accuracy_matrix", "average_accuracy", "final_average_accuracy",
                "average_incremental_accuracy", "forgetting", "bwt", "bank_bytes_per_task", "carried_bytes_per_task",
                "wall_seconds",
            ]))
        let config = try XCTUnwrap(json["config"] as? [String: Any])
        XCTAssertEqual(Set(config.keys), ["method", "epochs", "lr"])
        XCTAssertEqual(config["method"] as? String, "confit")
        XCTAssertEqual(config["epochs"] as? Int, 2)
        XCTAssertEqual(config["lr"] as? Double, 0.01)
        XCTAssertEqual(json["versions"] as? [String: String], ["confit": "0.1.0", "onednn": "3.5.3", "swift": "6.3.1"])
    }

    func testOneTaskWritesNullForgettingAndBWT() throws {
        var metrics = RunMetrics(config: .null, versions: SoftwareVersions(confit: "", oneDNN: "", swift: ""))
        try metrics.recordTask(
            accuracies: [0.5], bankBytes: 8, wallSeconds: 1, evaluationSeconds: 0.5, imagesPerSecond: 1)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: metrics.jsonData()) as? [String: Any])
        XCTAssertTrue(json["forgetting"] is NSNull)
        XCTAssertTrue(json["bwt"] is NSNull)
        XCTAssertEqual(json["final_average_accuracy"] as? Double, 0.5)
    }

    func testMetricsCSVIsLongFormWithAccuracyAndPerTaskRows() throws {
        let folder = RunFolder(url: directory)
        try folder.write(try sampleMetrics())
        let csv = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8)
        XCTAssertEqual(
            csv,
            """
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
    func testMetricsWithoutEvaluationTimesDecodeWithNaN() throws {
        var json = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: try sampleMetrics().jsonData()) as? [String: Any])
        var wall = try XCTUnwrap(json["wall_seconds"] as? [String: Any])
        for key in ["training", "outside_training", "evaluation_per_task", "evaluation"] {
            wall.removeValue(forKey: key)
        }
        json["wall_seconds"] = wall
        let metrics = try RunMetrics.decode(from: try JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(metrics.evaluationSecondsPerTask.count, 3)
        XCTAssertTrue(metrics.evaluationSecondsPerTask.allSatisfy(\.isNaN))
        XCTAssertEqual(metrics.trainingWallSeconds.training, 63)
        XCTAssertEqual(metrics.trainingWallSeconds.outside, 7)
    }

    func testMetricsRoundTripThroughTheFolder() throws {
        let folder = RunFolder(url: directory)
        let metrics = try sampleMetrics()
        try folder.write(metrics)
        XCTAssertEqual(try folder.readMetrics(), metrics)
        struct Config: Codable, Equatable {
            var method: String
            var epochs: Int
            var lr: Double
        }
        XCTAssertEqual(
            try folder.readMetrics().config.decode(as: Config.self), Config(method: "confit", epochs: 2, lr: 0.01))
    }

    func testConfigTreeKeepsLargeIntegersExact() throws {
        struct Config: Codable, Equatable {
            var seed: Int64
            var name: String?
            var flags: [Bool]
        }
        let config = Config(seed: 9_007_199_254_740_993, name: nil, flags: [true, false])
        let tree = try JSONValue(encoding: config)
        XCTAssertEqual(
            tree, .object(["seed": .integer(9_007_199_254_740_993), "flags": .array([.bool(true), .bool(false)])]))
        XCTAssertEqual(try tree.decode(as: Config.self), config)
    }

    func testDivergedLossIsWrittenAndReadBack() throws {
        var metrics = RunMetrics(config: .null, versions: SoftwareVersions(confit: "", oneDNN: "", swift: ""))
        metrics.recordEpoch(EpochRecord(task: 0, epoch: 0, stage: .all, meanLoss: .nan, imagesPerSecond: 1, seconds: 1))
        let folder = RunFolder(url: directory)
        try folder.write(metrics)
        XCTAssertTrue(try folder.readMetrics().epochs[0].meanLoss.isNaN)
    }

    func testWritesReplaceAtomicallyAndLeaveNoTemporaryFiles() throws {
        let folder = RunFolder(url: directory.appendingPathComponent("runs/name"))
        try folder.writeAtomically(Data("first".utf8), to: "config.json")
        try folder.writeAtomically(Data("second".utf8), to: "config.json")
        try folder.writeAtomically(Data("bank".utf8), to: "checkpoints/task-0.bin")
        XCTAssertEqual(
            try String(contentsOf: folder.url.appendingPathComponent("config.json"), encoding: .utf8), "second")
        XCTAssertThrowsError(try folder.writeAtomically(Data("x".utf8), to: "checkpoints")) { error in
            guard case .cannotWrite = error as? RunFolderError else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted(),
            ["checkpoints", "config.json"])
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder.url.appendingPathComponent("checkpoints").path),
            ["task-0.bin"])
    }

    func testAFolderUnderARegularFileGivesATypedErrorNamingThePath() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        let folder = RunFolder(url: file.appendingPathComponent("run"))
        XCTAssertThrowsError(try folder.write(try sampleMetrics())) { error in
            guard case let .cannotCreate(path, _) = error as? RunFolderError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(path, folder.url.path)
            XCTAssertTrue("\(error)".contains(folder.url.path))
        }
        XCTAssertThrowsError(try folder.readMetrics()) { error in
            guard case .cannotRead = error as? RunFolderError else { return XCTFail("unexpected error \(error)") }
        }
    }

    func testUnreadableMetricsAreReportedAsMalformed() throws {
        let folder = RunFolder(url: directory)
        try folder.writeAtomically(Data(#"{"accuracy_matrix": [[2]]}"#.utf8), to: "metrics.json")
        XCTAssertThrowsError(try folder.readMetrics()) { error in
            guard case let .malformed(path, _) = error as? RunFolderError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertTrue(path.hasSuffix("metrics.json"))
        }
    }
}
