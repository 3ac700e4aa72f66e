import Foundation

/// Everything measured in a run, as written to `metrics.json` and `metrics.csv`.
///
/// Per-task quantities are recorded together by `recordTask`, so the accuracy matrix,
/// bank sizes and timings always describe the same tasks; the derived metrics are
/// computed from the matrix on encoding and never stored separately, so they cannot drift
/// from it. Decoding (for resume and reports) reads back the recorded quantities only.
public struct RunMetrics: Sendable, Equatable, Codable {
    public private(set) var accuracy = AccuracyMatrix()
    /// The task-agnostic accuracy matrix (arg-max over every class seen so far), for
    /// methods with one head over all classes; nil for the others.
    public private(set) var taskAgnostic: AccuracyMatrix?
    /// For bank and mask methods with task inference: the fraction of task i's test images
    /// whose task was inferred right after task t; nil otherwise.
    public private(set) var taskInference: AccuracyMatrix?
    /// Bytes the method stored for each task alone (a BN bank; nothing for fine-tuning).
    public private(set) var bankBytesPerTask: [Int] = []
    /// Bytes of method state carried on after each task that belong to no single task
    /// (EWC's Fisher and anchor weights).
    public private(set) var carriedBytesPerTask: [Int] = []
    /// Wall time of each task: its training and the evaluation after it.
    public private(set) var wallSecondsPerTask: [Double] = []
    /// Wall time of the evaluation after each task (every task so far, with its bank and
    /// recovery); NaN for tasks of runs recorded before it was.
    public private(set) var evaluationSecondsPerTask: [Double] = []
    /// Training throughput of each task over all its epochs.
    public private(set) var imagesPerSecondPerTask: [Double] = []
    /// Every epoch trained so far, in order; may run ahead of the tasks when a checkpoint
    /// is written mid-task.
    public private(set) var epochs: [EpochRecord] = []
    /// Wall time of the whole run so far, setup and data loading included; the trainer
    /// sets it, since only it knows when the run began.
    public var totalWallSeconds: Double = 0
    public var config: JSONValue
    public var versions: SoftwareVersions

    public init(config: JSONValue, versions: SoftwareVersions) {
        self.config = config
        self.versions = versions
    }

    /// The metric definitions written into `metrics.json` (docs/methods.md), keyed like the
    /// values they describe, so the file explains itself.
    public static let definitions: [String: String] = [
        "accuracy_matrix":
            "a(t, i) = task-aware accuracy (fraction in [0, 1]) on task i's test set after training task t, the prediction the arg-max over task i's classes only (FACIL's taw); row t lists a(t, 0..t); tasks are 0-based",
        "task_agnostic":
            "for methods with one head over all classes (finetune, linear, lwf, ewc, simplecil, ranpac, fsa): the accuracy matrix, average accuracies, final average accuracy and forgetting of the task-agnostic prediction, the arg-max over every class of tasks 0..t (FACIL's tag), defined as for the task-aware ones; for bank and mask methods run with task inference (--task-agnostic), the same measures when each image's task is inferred as the seen task whose state gives the most confident restricted prediction (largest softmax probability) and the image is classified within it; absent otherwise",
        "task_inference":
            "bank and mask methods with --task-agnostic: the fraction of task i's test images whose task was inferred right after task t, row t lists tasks 0..t",
        "average_accuracy": "A_t = mean over i <= t of a(t, i), unweighted; one value per task t",
        "final_average_accuracy": "A_T, the average accuracy after the last task T",
        "average_incremental_accuracy": "mean over t of A_t",
        "forgetting": "F = mean over i < T of (max over i <= t < T of a(t, i) - a(T, i)); null with one task",
        "bwt": "backward transfer = mean over i < T of (a(T, i) - a(i, i)); null with one task",
        "bank_bytes_per_task":
            "bytes the method stores for task t alone, beyond the shared network: for confit, its ablations and taskbn every BatchNorm's gamma, beta, running mean and variance and every pre-convolution tracker's means; 0 for finetune, linear, lwf and ewc",
        "carried_bytes_per_task":
            "bytes of method state kept after task t that belong to no single task: ewc's Fisher diagonal and anchor weights (two float32 copies of the backbone); 0 for the others",
        "wall_seconds":
            "seconds: total = whole run including setup; per_task[t] = training task t plus the evaluation after it; per_epoch[t][e] = epoch e of task t; training = the sum of every epoch; outside_training = total - training (setup, evaluations, recovery, checkpoints, reports); evaluation_per_task[t] = the evaluation after task t; evaluation = their sum",
        "images_per_second": "training images per second over all epochs of task t",
        "epochs":
            "one record per trained epoch: task, epoch, stage (trainable parameters), mean training loss, images per second, seconds",
    ]

    /// Records a finished task t = `accuracy.taskCount`: its accuracy row a(t, 0...t),
    /// stored and carried bytes, wall time (of which `evaluationSeconds` evaluating) and
    /// training throughput.
    public mutating func recordTask(
        accuracies: [Double], taskAgnostic: [Double]? = nil, taskInference: [Double]? = nil, bankBytes: Int,
        carriedBytes: Int = 0,
        wallSeconds: Double, evaluationSeconds: Double, imagesPerSecond: Double
    ) throws(AccuracyMatrixError) {
        try Self.append(taskAgnostic, to: &self.taskAgnostic, tasks: accuracy.taskCount)
        try Self.append(taskInference, to: &self.taskInference, tasks: accuracy.taskCount)
        try accuracy.append(row: accuracies)
        bankBytesPerTask.append(bankBytes)
        carriedBytesPerTask.append(carriedBytes)
        wallSecondsPerTask.append(wallSeconds)
        evaluationSecondsPerTask.append(evaluationSeconds)
        imagesPerSecondPerTask.append(imagesPerSecond)
    }

    /// Adds `row` to an optional matrix that has a row for every task so far; a run recorded
    /// before such rows were (or resumed without them) keeps none.
    private static func append(
        _ row: [Double]?, to matrix: inout AccuracyMatrix?, tasks: Int
    ) throws(AccuracyMatrixError) {
        guard let row, (matrix?.taskCount ?? 0) == tasks else { return }
        var extended = matrix ?? AccuracyMatrix()
        try extended.append(row: row)
        matrix = extended
    }

    public mutating func recordEpoch(_ record: EpochRecord) {
        epochs.append(record)
    }

    /// The time spent in training epochs, and outside them (`totalWallSeconds` − that).
    public var trainingWallSeconds: (training: Double, outside: Double) {
        let training = epochs.reduce(0) { $0 + $1.seconds }
        return (training, totalWallSeconds - training)
    }

    /// Epoch wall times grouped by task: element t lists the epochs of task t.
    public var wallSecondsPerEpoch: [[Double]] {
        let tasks = (epochs.map(\.task).max() ?? -1) + 1
        return (0..<tasks).map { t in epochs.filter { $0.task == t }.map(\.seconds) }
    }

    /// `metrics.json`: pretty-printed with sorted keys so runs diff cleanly. Non-finite
    /// numbers (a diverged loss) are written as the strings "NaN"/"Infinity" rather than
    /// failing the write and losing the run's record.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self)
    }

    /// Reads `metrics.json` as written by `jsonData()`.
    public static func decode(from data: Data) throws -> RunMetrics {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(RunMetrics.self, from: data)
    }

    /// `metrics.csv`, in long ("tidy") form so it loads straight into a data frame:
    /// header `after_task,task,metric,value`, then for each task t in order
    /// - one `accuracy` row per i ≤ t with `task` = i and value a(t, i);
    /// - rows `average_accuracy` (A_t), `bank_bytes`, `carried_bytes`, `wall_seconds`,
    ///   `evaluation_seconds` and `images_per_second` with `task` empty, since they belong to
    ///   task t as a whole.
    public var csv: String {
        var lines = ["after_task,task,metric,value"]
        for (t, row) in accuracy.rows.enumerated() {
            lines += row.enumerated().map { i, a in "\(t),\(i),accuracy,\(a)" }
            lines.append("\(t),,average_accuracy,\(accuracy.averageAccuracy[t])")
            lines.append("\(t),,bank_bytes,\(bankBytesPerTask[t])")
            lines.append("\(t),,carried_bytes,\(carriedBytesPerTask[t])")
            lines.append("\(t),,wall_seconds,\(wallSecondsPerTask[t])")
            lines.append("\(t),,evaluation_seconds,\(evaluationSecondsPerTask[t])")
            lines.append("\(t),,images_per_second,\(imagesPerSecondPerTask[t])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    enum CodingKeys: String, CodingKey {
        case accuracyMatrix = "accuracy_matrix"
        case averageAccuracy = "average_accuracy"
        case finalAverageAccuracy = "final_average_accuracy"
        case averageIncrementalAccuracy = "average_incremental_accuracy"
        case forgetting, bwt, definitions, config, versions, epochs
        case bankBytesPerTask = "bank_bytes_per_task"
        case carriedBytesPerTask = "carried_bytes_per_task"
        case wallSeconds = "wall_seconds"
        case imagesPerSecond = "images_per_second"
        case taskAgnostic = "task_agnostic"
        case taskInference = "task_inference"
    }

    enum TaskAgnosticKeys: String, CodingKey {
        case accuracyMatrix = "accuracy_matrix"
        case averageAccuracy = "average_accuracy"
        case finalAverageAccuracy = "final_average_accuracy"
        case forgetting
    }

    enum WallSecondsKeys: String, CodingKey {
        case total
        case perTask = "per_task"
        case perEpoch = "per_epoch"
        case training
        case outsideTraining = "outside_training"
        case evaluationPerTask = "evaluation_per_task"
        case evaluation
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accuracy = try container.decode(AccuracyMatrix.self, forKey: .accuracyMatrix)
        bankBytesPerTask = try container.decode([Int].self, forKey: .bankBytesPerTask)
        // Runs from before strategies carried nothing.
        carriedBytesPerTask =
            try container.decodeIfPresent([Int].self, forKey: .carriedBytesPerTask)
            ?? Array(repeating: 0, count: bankBytesPerTask.count)
        imagesPerSecondPerTask = try container.decode([Double].self, forKey: .imagesPerSecond)
        let wall = try container.nestedContainer(keyedBy: WallSecondsKeys.self, forKey: .wallSeconds)
        totalWallSeconds = try wall.decode(Double.self, forKey: .total)
        wallSecondsPerTask = try wall.decode([Double].self, forKey: .perTask)
        evaluationSecondsPerTask =
            try wall.decodeIfPresent([Double].self, forKey: .evaluationPerTask)
            ?? Array(repeating: .nan, count: wallSecondsPerTask.count)
        epochs = try container.decode([EpochRecord].self, forKey: .epochs)
        if container.contains(.taskAgnostic) {
            taskAgnostic = try container.nestedContainer(keyedBy: TaskAgnosticKeys.self, forKey: .taskAgnostic)
                .decode(AccuracyMatrix.self, forKey: .accuracyMatrix)
        }
        taskInference = try container.decodeIfPresent(AccuracyMatrix.self, forKey: .taskInference)
        config = try container.decode(JSONValue.self, forKey: .config)
        versions = try container.decode(SoftwareVersions.self, forKey: .versions)
        let tasks = accuracy.taskCount
        guard
            [
                taskAgnostic?.taskCount ?? tasks, taskInference?.taskCount ?? tasks, bankBytesPerTask.count,
                carriedBytesPerTask.count, imagesPerSecondPerTask.count, wallSecondsPerTask.count,
                evaluationSecondsPerTask.count,
            ]
            .allSatisfy({ $0 == tasks })
        else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "per-task lists do not all have one entry per accuracy-matrix row (\(tasks))"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accuracy, forKey: .accuracyMatrix)
        try container.encode(accuracy.averageAccuracy, forKey: .averageAccuracy)
        try container.encode(accuracy.finalAverageAccuracy, forKey: .finalAverageAccuracy)
        try container.encode(accuracy.averageIncrementalAccuracy, forKey: .averageIncrementalAccuracy)
        try container.encode(accuracy.forgetting, forKey: .forgetting)
        try container.encode(accuracy.backwardTransfer, forKey: .bwt)
        if let taskAgnostic {
            var agnostic = container.nestedContainer(keyedBy: TaskAgnosticKeys.self, forKey: .taskAgnostic)
            try agnostic.encode(taskAgnostic, forKey: .accuracyMatrix)
            try agnostic.encode(taskAgnostic.averageAccuracy, forKey: .averageAccuracy)
            try agnostic.encode(taskAgnostic.finalAverageAccuracy, forKey: .finalAverageAccuracy)
            try agnostic.encode(taskAgnostic.forgetting, forKey: .forgetting)
        }
        try container.encodeIfPresent(taskInference, forKey: .taskInference)
        try container.encode(bankBytesPerTask, forKey: .bankBytesPerTask)
        try container.encode(carriedBytesPerTask, forKey: .carriedBytesPerTask)
        var wall = container.nestedContainer(keyedBy: WallSecondsKeys.self, forKey: .wallSeconds)
        try wall.encode(totalWallSeconds, forKey: .total)
        try wall.encode(wallSecondsPerTask, forKey: .perTask)
        try wall.encode(wallSecondsPerEpoch, forKey: .perEpoch)
        let (training, outside) = trainingWallSeconds
        try wall.encode(training, forKey: .training)
        try wall.encode(outside, forKey: .outsideTraining)
        try wall.encode(evaluationSecondsPerTask, forKey: .evaluationPerTask)
        try wall.encode(evaluationSecondsPerTask.reduce(0, +), forKey: .evaluation)
        try container.encode(imagesPerSecondPerTask, forKey: .imagesPerSecond)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(Self.definitions, forKey: .definitions)
        try container.encode(config, forKey: .config)
        try container.encode(versions, forKey: .versions)
    }
}
