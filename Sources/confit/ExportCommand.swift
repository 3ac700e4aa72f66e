import ArgumentParser
import ConFiT
import ConFiTIO
import Foundation

/// `confit export`: one task of a finished (or stopped) run as a small safetensors file —
/// the task's bank (every BN's γ, β, running statistics and every tracker's means) and
/// the classifier rows of its classes — kilobytes instead of a model copy.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write one task's bank and classifier rows as a .safetensors file.")

    @Option(name: .customLong("run"), help: "Run folder (with checkpoint.safetensors).") var runFolder: String
    @Option(help: "Task index.") var task: Int
    @Option(help: "Output file.") var out: String

    func run() throws {
        let folder = URL(fileURLWithPath: runFolder)
        let checkpoint = try TrainingCheckpoint(contentsOf: folder.appendingPathComponent(TrainingCheckpoint.fileName))
        guard let saved = checkpoint.file.metadata["metrics"] else { throw ValidationError("the checkpoint in \(runFolder) holds no metrics") }
        let config = try RunMetrics.decode(from: Data(saved.utf8)).config.decode(as: RunConfiguration.self)
        guard config.tasks.indices.contains(task) else {
            throw ValidationError("task \(task) is not in the run (tasks 0..<\(config.tasks.count))")
        }
        let classifier = String(try ModelFactory(config.model).classifierWeightKey.dropLast(".weight".count))
        let classes = config.tasks[task]
        let exported = try checkpoint.exportTask(task, classes: classes, classifier: classifier)
        var metadata = exported.metadata
        (metadata["model"], metadata["method"]) = (config.model, config.method.name)
        try SafeTensorsFile(tensors: exported.tensors, metadata: metadata).write(to: URL(fileURLWithPath: out))
        let tensors = exported.tensors
        let bytes = tensors.reduce(0) { $0 + $1.tensor.bytes.count }
        say("wrote \(out): task \(task), classes \(classes.map(String.init).joined(separator: ",")), \(bytes) bytes of tensors")
    }
}
