import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// One continual fine-tuning run from its configuration (new, or resumed from a
/// checkpoint): builds the data, network and trainer, prints progress, and after every
/// epoch and task writes the checkpoint, `metrics.json` and `metrics.csv` atomically.
struct RunSession {
    let config: RunConfiguration
    let folder: RunFolder
    let checkpoint: TrainingCheckpoint?
    var log = RunLog.text

    /// The run folder's configuration and last checkpoint.
    static func resuming(_ path: String) throws -> RunSession {
        let folder = RunFolder(url: URL(fileURLWithPath: path))
        let file = folder.url.appendingPathComponent(TrainingCheckpoint.fileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ValidationError("\(path) holds no \(TrainingCheckpoint.fileName): not a run folder, or the run stopped before its first checkpoint")
        }
        let checkpoint = try TrainingCheckpoint(contentsOf: file)
        guard let saved = checkpoint.file.metadata["metrics"] else {
            throw ValidationError("the checkpoint in \(path) holds no metrics")
        }
        let config = try RunMetrics.decode(from: Data(saved.utf8)).config.decode(as: RunConfiguration.self)
        return RunSession(config: config, folder: folder, checkpoint: checkpoint)
    }

    /// The data, network (pre-trained weights for a new run) and trainer of the run, with
    /// the checkpoint, if any, restored into it.
    func prepare() throws -> (trainer: ContinualTrainer, classNames: [String]) {
        Engine.shared.setThreads(config.threads)
        let factory = try ModelFactory(config.model)
        let data = try DatasetKind(name: config.dataset).load(root: config.root, options: DatasetOptions(split: .standard))
        let scenario = try Scenario(dataset: data, order: .explicit(config.classOrder), classesPerTask: config.classesPerTask)
        let network = factory.make(numClasses: data.classNames.count)
        if let weights = config.weights, checkpoint == nil {
            let file = try TensorFile(contentsOf: URL(fileURLWithPath: weights))
            try network.loadPretrained(file.tensors.map { ($0.name, $0.tensor) }, classifier: .reinitialize(seed: config.training.seed))
        }
        let trainer = try ContinualTrainer(network: network, method: config.method, scenario: scenario,
                                           configuration: config.training, normalization: factory.normalization)
        if let checkpoint { try trainer.restore(from: checkpoint) }
        return (trainer, data.classNames)
    }

    /// Runs to the end and returns the metrics; on Ctrl-C checkpoints and exits with 130.
    func execute() throws -> RunMetrics {
        let runStart = Date()
        let (trainer, _) = try prepare()
        let scenario = trainer.scenario
        let taskCount = min(config.training.taskLimit ?? scenario.tasks.count, scenario.tasks.count)
        var metrics = RunMetrics(config: try JSONValue(encoding: config),
                                 versions: SoftwareVersions(confit: confitVersion, oneDNN: Engine.shared.version, swift: swiftVersion))
        if let checkpoint {
            guard let saved = checkpoint.file.metadata["metrics"] else {
                throw ValidationError("the checkpoint in \(folder.url.path) holds no metrics")
            }
            metrics = try RunMetrics.decode(from: Data(saved.utf8))
            log.event("resume", ["task": checkpoint.position.task, "epoch": checkpoint.position.epoch, "batch": checkpoint.position.batch],
                      text: "resuming \(config.method.name) at \(checkpoint.position)")
        } else {
            log.event("start", ["method": config.method.name, "preset": config.preset, "tasks": taskCount,
                                "epochs": config.training.epochs, "batch_size": config.training.batchSize, "model": config.model,
                                "out": folder.url.path],
                      text: "\(config.method.name) on \(config.preset): \(taskCount) tasks, \(config.training.epochs) epochs each, "
                        + "batch \(config.training.batchSize), \(config.model) → \(folder.url.path)")
        }
        let interrupt = InterruptHandler(trainer.stop)
        defer { interrupt.cancel() }
        let elapsedBefore = metrics.totalWallSeconds
        var observer = ContinualTrainer.Observer()
        if log == .text && ProgressBar.isUseful {
            let bar = ProgressBar(batchSize: config.training.batchSize)
            observer.batchFinished = { bar.update(task: $0.task, epoch: $0.epoch, batch: $0.batch, of: $1, loss: $2) }
        }
        var (taskImages, taskSeconds) = (0.0, 0.0)
        observer.epochFinished = { report in
            log.event("epoch", ["task": report.task, "epoch": report.epoch, "stage": report.stage.rawValue,
                                "mean_loss": report.meanLoss.isFinite ? report.meanLoss : NSNull(),
                                "images_per_second": report.imagesPerSecond, "seconds": report.seconds],
                      text: String(format: "task %d epoch %d [%@] loss %.4f  %.1f img/s  %.1f s", report.task, report.epoch,
                                   report.stage.rawValue, report.meanLoss, report.imagesPerSecond, report.seconds))
            metrics.recordEpoch(EpochRecord(task: report.task, epoch: report.epoch, stage: report.stage.rawValue,
                                            meanLoss: report.meanLoss, imagesPerSecond: report.imagesPerSecond, seconds: report.seconds))
            (taskImages, taskSeconds) = (taskImages + report.imagesPerSecond * report.seconds, taskSeconds + report.seconds)
        }
        observer.taskFinished = { report in
            let row = report.accuracies.map { String(format: "%.3f", $0) }.joined(separator: " ")
            let average = report.accuracies.reduce(0, +) / Double(report.accuracies.count)
            log.event("task", ["task": report.task, "accuracies": report.accuracies, "average_accuracy": average,
                               "bank_bytes": report.bankBytes],
                      text: String(format: "after task %d: accuracies [%@]  A_t %.4f  bank %d bytes", report.task, row, average, report.bankBytes))
            try metrics.recordTask(accuracies: report.accuracies, bankBytes: report.bankBytes,
                                   wallSeconds: report.trainSeconds + report.evaluationSeconds,
                                   imagesPerSecond: taskImages / max(taskSeconds, 1e-9))
            (taskImages, taskSeconds) = (0, 0)
        }
        observer.checkpoint = { checkpoint in
            metrics.totalWallSeconds = elapsedBefore + Date().timeIntervalSince(runStart)
            var checkpoint = checkpoint
            checkpoint.attach("metrics", String(decoding: try metrics.jsonData(), as: UTF8.self))
            try folder.writeAtomically(try checkpoint.serialized(), to: TrainingCheckpoint.fileName)
            try folder.write(metrics)
            try folder.writeReport(metrics, name: config.method.name)
        }
        do {
            try trainer.run(from: checkpoint?.position ?? .start, observer)
        } catch ConFiTError.interrupted(let position) {
            let command = "confit train --resume \(folder.url.path)"
            let message = "stopped at \(position); continue with: \(command)"
            log.event("interrupted", ["task": position.task, "epoch": position.epoch, "batch": position.batch, "resume": command],
                      text: message)
            if log == .quiet { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            throw ExitCode(130)
        }
        if trainer.skippedImages > 0 {
            log.event("skipped", ["images": trainer.skippedImages], text: "skipped \(trainer.skippedImages) unreadable images")
        }
        if let final = metrics.accuracy.finalAverageAccuracy {
            let (incremental, forgetting, bwt) = (metrics.accuracy.averageIncrementalAccuracy ?? 0, metrics.accuracy.forgetting ?? 0,
                                                 metrics.accuracy.backwardTransfer ?? 0)
            log.event("finished", ["final_average_accuracy": final, "average_incremental_accuracy": incremental, "forgetting": forgetting,
                                   "bwt": bwt, "wall_seconds": metrics.totalWallSeconds],
                      text: String(format: "final average accuracy %.4f, average incremental accuracy %.4f, forgetting %.4f, BWT %.4f, %.0f s",
                                   final, incremental, forgetting, bwt, metrics.totalWallSeconds))
        }
        return metrics
    }
}

/// Writes a progress line straight to standard output, so it appears when it happens even
/// when stdout is a file (`print` buffers it until exit there).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// What `metrics.json` records under `config`.
struct RunConfiguration: Codable {
    var preset: String, dataset: String, root: String, model: String
    var weights: String?
    var method: ContinualMethod
    var training: TrainingConfiguration
    var classOrder: [Int]
    var classesPerTask: Int
    var tasks: [[Int]]
    var threads: Int
}

let confitVersion = "0.1.0"
#if swift(>=6.3)
let swiftVersion = "6.3"
#else
let swiftVersion = "6.x"
#endif
