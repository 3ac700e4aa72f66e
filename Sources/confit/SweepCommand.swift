import ArgumentParser
import ConFiT
import ConFiTEngine
import ConFiTReport
import Foundation

/// `confit sweep`: every method × seed of one protocol as ordinary run folders
/// (`OUT/METHOD-seedS`), each a `confit train` child process logging into its folder's
/// `train.log`, `--parallel` at a time. Run again, it continues: finished runs are left
/// alone, stopped ones resume from their checkpoints, missing ones start.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run several methods over several seeds, resumably, and report their mean ± std.")

    @OptionGroup var options: RunOptions
    @Option(help: "Comma-separated methods.") var methods: String
    @OptionGroup var hyperparameters: MethodOptions
    @Option(help: "Comma-separated seeds.") var seeds = "0,1,2"
    @Option(help: "The sweep's folder: one run folder per method and seed, and report.html.") var out: String
    @Option(help: "Runs at once, each with its share of --threads.") var parallel = 1
    @Option(help: "oneDNN threads in all, shared among the parallel runs (default: all cores).") var threads: Int?
    @Flag(help: "Print the runs and where each stands; start nothing.") var dryRun = false
    @OptionGroup var log: LogOptions

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard options.preset != nil, options.root != nil else { throw ValidationError("give --preset and --root") }
        try hyperparameters.check(for: try parsedMethods())
    }

    private func parsedMethods() throws -> [ContinualMethod] {
        try methods.split(separator: ",").map {
            let name = $0.trimmingCharacters(in: .whitespaces)
            guard let method = try? ContinualMethod.named(name) else {
                throw ValidationError(
                    "--methods: unknown method '\(name)'; choose from "
                        + ContinualMethod.all.map(\.name).joined(separator: ", "))
            }
            return method
        }
    }

    private func parsedSeeds() throws -> [UInt64] {
        try seeds.split(separator: ",").map {
            guard let seed = UInt64($0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--seeds: '\($0)' is not a seed (a non-negative integer)")
            }
            return seed
        }
    }

    func run() throws {
        let base = try options.configuration(method: .confit, seed: 0)
        let plan = try SweepPlan(
            base: base, methods: parsedMethods().map(hyperparameters.resolve), seeds: parsedSeeds(),
            folder: URL(fileURLWithPath: out))
        let states = try plan.runs.map(SweepPlan.state(of:))
        let format = log.format
        for (run, state) in zip(plan.runs, states) {
            format.event(
                "sweep_run", ["run": run.name, "state": Self.describe(state), "folder": run.folder.path],
                text: "\(run.name): \(Self.describe(state))")
        }
        if dryRun { return }
        let pending = zip(plan.runs, states).filter { $0.1 != .finished }
        let share = max(1, (threads ?? Engine.shared.threads) / parallel)
        // A stopped run resumes with this machine's choices; a new one has them in its configuration.
        let machineChoices =
            (options.workers.map { ["--workers", String($0)] } ?? [])
            + (options.cacheSize.map { ["--cache-size", String($0.bytes)] } ?? [])
        let scheduler = SweepScheduler(parallel: parallel, format: format) { [plan] in try Self.writeReport(plan) }
        let outcome = try scheduler.run(
            pending.map { run, state in
                if state == .new { try SweepPlan.writeConfiguration(of: run) }
                let arguments =
                    state == .new
                    ? [
                        "train", "--configuration",
                        run.folder.appendingPathComponent(SweepPlan.configurationFileName).path,
                        "--out", run.folder.path, "--threads", String(share),
                    ]
                    : ["train", "--resume", run.folder.path] + machineChoices
                return SweepScheduler.Job(
                    name: run.name, folder: run.folder, arguments: arguments + ["--log-format", "text"])
            })
        try Self.writeReport(plan)
        if let signal = outcome.interruptedBy {
            FileHandle.standardError.write(Data("sweep stopped; run the same command again to continue\n".utf8))
            throw ExitCode(128 + signal)
        }
        guard outcome.failed.isEmpty else {
            throw ValidationError(
                "\(outcome.failed.count) run(s) failed: \(outcome.failed.joined(separator: ", ")); "
                    + "see train.log in their folders, fix the cause and run the same command again")
        }
        format.event(
            "sweep_finished",
            ["runs": plan.runs.count, "report": plan.folder.appendingPathComponent("report.html").path],
            text:
                "all \(plan.runs.count) runs finished; report: \(plan.folder.appendingPathComponent("report.html").path)"
        )
    }

    private static func describe(_ state: SweepPlan.State) -> String {
        switch state {
        case .new: "not started"
        case let .partial(finished, tasks): "stopped after \(finished) of \(tasks) tasks"
        case .finished: "finished"
        }
    }

    /// `OUT/report.html`, `aggregate.json` and `aggregate.csv` over every run with a
    /// finished task, seeds of a method aggregated.
    private static func writeReport(_ plan: SweepPlan) throws {
        let folders = plan.runs.map(\.folder).filter {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent(RunFolder.metricsJSON).path)
        }
        guard !folders.isEmpty else { return }
        let report = try RunReport(folders: folders)
        try Report.write(Data(report.html.utf8), to: plan.folder.appendingPathComponent("report.html"))
        try Report.writeAggregates(
            report.aggregates, json: plan.folder.appendingPathComponent("aggregate.json"),
            csv: plan.folder.appendingPathComponent("aggregate.csv"))
    }
}
