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

    func run() throws {
        let run = try ContinualRun(resuming: URL(fileURLWithPath: runFolder), processGroup: MPIProcessGroup.launched,
                                   precision: precision.precision)
        let report: (String) -> Void = run.writesFiles ? { say($0) } : { _ in }
        if run.position.epoch > 0 || run.position.batch > 0 {
            report("note: the checkpoint is inside task \(run.position.task) (\(run.position)); evaluating the network as it stands there")
        }
        let last = run.finishedTasks - 1
        let results = try run.evaluate(tasks: task.map { [$0] })
        for (i, accuracy) in results { report(String(format: "a(%d, %d) = %.4f", last, i, accuracy)) }
        if task == nil { report(String(format: "A_%d = %.4f", last, results.map(\.accuracy).reduce(0, +) / Double(results.count))) }
    }
}
