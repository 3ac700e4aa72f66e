import ArgumentParser
import ConFiT
import Foundation

/// `confit eval`: re-evaluates a run from its checkpoint — every task trained so far, or
/// one — exactly as after its last finished task (bank, recovery, restricted logits).
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-evaluate a run's tasks from its checkpoint.")

    @Option(name: .customLong("run"), help: "Run folder (with checkpoint.safetensors).") var runFolder: String
    @Option(help: "Only this task.") var task: Int?

    func run() throws {
        let session = try RunSession.resuming(runFolder)
        let (trainer, _) = try session.prepare()
        let position = session.checkpoint?.position ?? .start
        let last = position.task - 1
        guard last >= 0 else { throw ValidationError("\(runFolder) has no finished task yet (checkpoint at \(position))") }
        if position.epoch > 0 || position.batch > 0 {
            say("note: the checkpoint is inside task \(position.task) (\(position)); evaluating the network as it stands there")
        }
        let tasks = task.map { [$0] } ?? Array(0...last)
        guard tasks.allSatisfy({ (0...last).contains($0) }) else { throw ValidationError("tasks 0...\(last) are finished") }
        var accuracies: [Double] = []
        for i in tasks {
            let accuracy = try trainer.evaluate(task: i, after: last)
            accuracies.append(accuracy)
            say(String(format: "a(%d, %d) = %.4f", last, i, accuracy))
        }
        try trainer.select(task: last, after: last)
        if task == nil { say(String(format: "A_%d = %.4f", last, accuracies.reduce(0, +) / Double(accuracies.count))) }
    }
}
