import ArgumentParser
import ConFiT
import ConFiTEngine
import Foundation

/// `confit eval`: re-evaluates a run from its checkpoint — every task trained so far, or
/// one — exactly as after its last finished task (bank, recovery, restricted logits).
/// Under mpirun every rank evaluates its share of each test set and rank 0 prints.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-evaluate a run's tasks from its checkpoint.")

    @Option(name: .customLong("run"), help: "Run folder (with checkpoint.safetensors).") var runFolder: String
    @Option(help: "Only this task.") var task: Int?
    @OptionGroup(title: "Precision (default: the run's)") var precision: PrecisionOptions
    @OptionGroup var threads: ThreadOptions
    @Flag(
        help:
            "Also the task-agnostic accuracy: the arg-max over every class seen (one-head methods), or with each image's task inferred (bank and mask methods)."
    )
    var taskAgnostic = false

    func run() throws {
        let run = try ContinualRun(
            resuming: URL(fileURLWithPath: runFolder), processGroup: MPIProcessGroup.launched,
            precision: precision.precision, threads: threads.threads)
        let report: (String) -> Void = run.writesFiles ? { say($0) } : { _ in }
        if run.position.epoch > 0 || run.position.batch > 0 {
            report(
                "note: the checkpoint is inside task \(run.position.task) (\(run.position)); evaluating the network as it stands there"
            )
        }
        let last = run.finishedTasks - 1
        let results = try run.evaluate(tasks: task.map { [$0] })
        for (i, accuracy) in results { report(String(format: "a(%d, %d) = %.4f", last, i, accuracy)) }
        if task == nil {
            report(String(format: "A_%d = %.4f", last, results.map(\.accuracy).reduce(0, +) / Double(results.count)))
        }
        guard taskAgnostic else { return }
        let agnostic = try run.evaluateTaskAgnostic()
        for (i, row) in agnostic.enumerated() where task == nil || task == i {
            let inferred = row.inference.map { String(format: ", task inferred %.4f", $0) } ?? ""
            report(String(format: "task-agnostic a(%d, %d) = %.4f", last, i, row.accuracy) + inferred)
        }
        if task == nil {
            report(
                String(
                    format: "task-agnostic A_%d = %.4f", last,
                    agnostic.map(\.accuracy).reduce(0, +) / Double(agnostic.count)))
        }
    }
}
