import ArgumentParser
import ConFiT
import Foundation

/// How a command reports progress on standard output: readable lines, one JSON object per
/// line for machines (`--log-format json`), or nothing (`--quiet`; errors still go to
/// standard error).
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, quiet

    /// Reports `event` as `text`, or as {"event": event, fields...}.
    func event(_ event: String, _ fields: [String: Any], text: @autoclosure () -> String) {
        switch self {
        case .quiet: return
        case .text: say(text())
        case .json:
            var object = fields
            object["event"] = event
            guard
                let data = try? JSONSerialization.data(
                    withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            else { return }
            say(String(decoding: data, as: UTF8.self))
        }
    }
}

/// `--log-format` and `--quiet`, shared by the commands that train.
struct LogOptions: ParsableArguments {
    @Option(help: "Progress on stdout: text, json (one object per line) or quiet.") var logFormat = LogFormat.text
    @Flag(help: "Print nothing but errors (same as --log-format quiet).") var quiet = false

    var format: LogFormat { quiet ? .quiet : logFormat }
}

/// A run's progress as `LogFormat` events — start or resume, every epoch and task, a
/// stop, skipped images, the final metrics — with a progress bar on standard error when
/// it is a terminal and the format is text.
final class ProgressLog: RunObserver {
    let format: LogFormat
    private let bar: ProgressBar?

    init(_ format: LogFormat, batchSize: Int) {
        self.format = format
        bar = format == .text && ProgressBar.isUseful ? ProgressBar(batchSize: batchSize) : nil
    }

    /// What a user types to continue the run.
    static func resumeCommand(_ run: ContinualRun) -> String { "confit train --resume \(run.folder.url.path)" }

    func observe(_ event: RunEvent, of run: ContinualRun) {
        switch event {
        case .started: started(run)
        case .batchFinished(let position, let batches, let loss):
            bar?.update(task: position.task, epoch: position.epoch, batch: position.batch, of: batches, loss: loss)
        case .epochFinished(let epoch): epochFinished(epoch)
        case .taskFinished(let report): taskFinished(report)
        case .checkpoint: break
        case .stopped(let position): stopped(run, at: position)
        case .finished: finished(run)
        }
    }

    private func started(_ run: ContinualRun) {
        let config = run.configuration
        // The machine's own choices, which a resumed run may take anew.
        let machine: [String: Any] = [
            "threads": config.threads ?? 0, "workers": config.training.loaderWorkers,
            "cache_bytes": config.training.cacheBytes,
        ]
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        let machineText =
            "\(count(config.threads ?? 0, "thread")), \(count(config.training.loaderWorkers, "decoding worker")), "
            + "\(ByteCountFormatter.string(fromByteCount: Int64(config.training.cacheBytes), countStyle: .memory)) image cache"
        if let position = run.resumedFrom {
            format.event(
                "resume",
                ["task": position.task, "epoch": position.epoch, "batch": position.batch].merging(machine) { $1 },
                text: "resuming \(config.method.name) at \(position) (\(machineText))")
            return
        }
        let tasks = run.trainer.tasks.count
        format.event(
            "start",
            [
                "method": config.method.name, "preset": config.preset.rawValue, "tasks": tasks,
                "epochs": config.training.epochs, "batch_size": config.training.batchSize,
                "model": config.model.rawValue, "out": run.folder.url.path,
            ].merging(machine) { $1 },
            text:
                "\(config.method.name) on \(config.preset.rawValue): \(tasks) tasks, \(config.training.epochs) epochs each, "
                + "batch \(config.training.batchSize), \(config.model.rawValue) → \(run.folder.url.path) (\(machineText))"
        )
    }

    private func epochFinished(_ epoch: EpochRecord) {
        format.event(
            "epoch",
            [
                "task": epoch.task, "epoch": epoch.epoch, "stage": epoch.stage.rawValue,
                "mean_loss": epoch.meanLoss.isFinite ? epoch.meanLoss : NSNull(),
                "images_per_second": epoch.imagesPerSecond, "seconds": epoch.seconds,
            ],
            text: String(
                format: "task %d epoch %d [%@] loss %.4f  %.1f img/s  %.1f s", epoch.task, epoch.epoch,
                epoch.stage.rawValue, epoch.meanLoss, epoch.imagesPerSecond, epoch.seconds))
    }

    private func taskFinished(_ report: ContinualTrainer.TaskReport) {
        let row = report.accuracies.map { String(format: "%.3f", $0) }.joined(separator: " ")
        let average = report.accuracies.reduce(0, +) / Double(report.accuracies.count)
        let carried = report.carriedBytes > 0 ? "  carried \(report.carriedBytes) bytes" : ""
        var fields: [String: Any] = [
            "task": report.task, "accuracies": report.accuracies, "average_accuracy": average,
            "bank_bytes": report.bankBytes, "carried_bytes": report.carriedBytes,
        ]
        let agnostic = report.taskAgnosticAccuracies.map { $0.reduce(0, +) / Double($0.count) }
        fields["task_agnostic_average_accuracy"] = agnostic
        format.event(
            "task", fields,
            text: String(
                format: "after task %d: accuracies [%@]  A_t %.4f  bank %d bytes", report.task, row, average,
                report.bankBytes) + carried + (agnostic.map { String(format: "  task-agnostic A_t %.4f", $0) } ?? ""))
    }

    private func stopped(_ run: ContinualRun, at position: TrainingPosition) {
        bar?.clear()
        let command = Self.resumeCommand(run)
        let message = "stopped at \(position); continue with: \(command)"
        format.event(
            "interrupted",
            ["task": position.task, "epoch": position.epoch, "batch": position.batch, "resume": command],
            text: message)
        if format == .quiet { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }

    private func finished(_ run: ContinualRun) {
        let skipped = run.trainer.skippedImages
        if skipped > 0 { format.event("skipped", ["images": skipped], text: "skipped \(skipped) unreadable images") }
        let accuracy = run.metrics.accuracy
        guard let final = accuracy.finalAverageAccuracy else { return }
        let (incremental, forgetting, bwt) = (
            accuracy.averageIncrementalAccuracy ?? 0, accuracy.forgetting ?? 0,
            accuracy.backwardTransfer ?? 0
        )
        format.event(
            "finished",
            [
                "final_average_accuracy": final, "average_incremental_accuracy": incremental,
                "forgetting": forgetting, "bwt": bwt, "wall_seconds": run.metrics.totalWallSeconds,
            ],
            text: String(
                format:
                    "final average accuracy %.4f, average incremental accuracy %.4f, forgetting %.4f, BWT %.4f, %.0f s",
                final, incremental, forgetting, bwt, run.metrics.totalWallSeconds))
    }
}

/// Writes a line straight to standard output, so it appears when it happens even when
/// stdout is a file (`print` buffers it until exit there).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
