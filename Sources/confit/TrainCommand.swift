import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import ConFiTReport
import Foundation

/// `confit train`: a continual fine-tuning run over a preset's tasks, writing
/// `metrics.json`, `metrics.csv` and `report.html` into the run folder after every task.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train task after task with ConFiT or a baseline and evaluate every task seen so far.")

    @OptionGroup var options: RunOptions
    @Option(help: "Method (default: confit).") var method: ContinualMethod?
    @OptionGroup var hyperparameters: MethodOptions
    @Option(help: "Seed for shuffling and the new classifier (default: 0).") var seed: UInt64?
    @Option(help: "Run folder.") var out: String?
    @Option(help: "Continue the run in this folder from its last checkpoint.") var resume: String?
    @Option(
        help: ArgumentHelp(
            "Start the run a configuration file describes (a metrics.json's `config`, or the file "
                + "`confit sweep` writes), or continue it in --out if that folder already holds it.", valueName: "file")
    )
    var configuration: String?
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var log: LogOptions

    func validate() throws {
        if resume != nil || configuration != nil {
            let changed =
                options.given + (method != nil ? ["--method"] : []) + (seed != nil ? ["--seed"] : [])
                + hyperparameters.given
            guard changed.isEmpty else {
                throw ValidationError(
                    "--resume and --configuration take the run's configuration from the run or the file; "
                        + "\(changed.joined(separator: ", ")) would change it: give none (--threads, --workers, --cache-size and the log options may change)"
                )
            }
            guard resume == nil || configuration == nil else {
                throw ValidationError("give --resume or --configuration, not both")
            }
            guard configuration == nil || out != nil else {
                throw ValidationError("--configuration needs --out RUN_FOLDER")
            }
        } else {
            try hyperparameters.check(for: [method ?? .confit])
            guard options.preset != nil && options.root != nil && out != nil else {
                throw ValidationError("give --preset, --root and --out for a new run, or --resume RUN_FOLDER")
            }
        }
    }

    func run() throws {
        // Under mpirun, every rank runs this command on its shard of each batch.
        let group = MPIProcessGroup.launched
        let run: ContinualRun
        if let resume {
            run = try ContinualRun(
                resuming: URL(fileURLWithPath: resume), processGroup: group, workers: options.workers,
                cacheBytes: options.cacheSize?.bytes, threads: threads.threads)
        } else if let configuration, let out {
            var config = try RunConfiguration(contentsOf: URL(fileURLWithPath: configuration))
            config.threads = threads.threads ?? config.threads
            config.training.loaderWorkers = options.workers ?? config.training.loaderWorkers
            config.training.cacheBytes = options.cacheSize?.bytes ?? config.training.cacheBytes
            run = try ContinualRun.resumingIfPresent(config, folder: URL(fileURLWithPath: out), processGroup: group)
        } else {
            var config = try options.configuration(method: hyperparameters.resolve(method ?? .confit), seed: seed ?? 0)
            config.threads = threads.threads
            run = try ContinualRun(config, folder: URL(fileURLWithPath: out ?? ""), processGroup: group)
        }
        try Self.execute(run, log: run.writesFiles ? log.format : .quiet)
    }

    /// Runs `run` to the end with progress in `log` and `report.html` kept current; Ctrl-C,
    /// SIGTERM or SIGUSR1 checkpoints and exits with status 128 + the signal (130, 143, 138),
    /// saying how to continue.
    @discardableResult
    static func execute(_ run: ContinualRun, log: LogFormat) throws -> RunMetrics {
        run.observers +=
            [ProgressLog(log, batchSize: run.configuration.training.batchSize)]
            + (run.writesFiles ? [ReportWriter()] : [])
        let interrupt = InterruptHandler(run.stop) { signal in
            let name = signal == SIGINT ? "interrupted" : "interrupted (\(signal == SIGTERM ? "SIGTERM" : "SIGUSR1"))"
            FileHandle.standardError.write(Data("\n\(name): finishing the current batch, then checkpointing\n".utf8))
        }
        defer { interrupt.cancel() }
        do {
            return try run.execute()
        } catch ConFiTError.interrupted {
            throw ExitCode(128 + (interrupt.received ?? SIGINT))
        }
    }
}
