import ArgumentParser
import ConFiT
import ConFiTData
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
        let session = try RunSession.resuming(runFolder)
        guard let checkpoint = session.checkpoint else { throw ValidationError("\(runFolder) has no checkpoint") }
        let config = session.config
        guard config.tasks.indices.contains(task) else {
            throw ValidationError("task \(task) is not in the run (tasks 0..<\(config.tasks.count))")
        }
        let classifier = String(try ModelFactory(config.model).classifierWeightKey.dropLast(".weight".count))
        let classes = config.tasks[task]
        let exported = try checkpoint.exportTask(task, classes: classes, classifier: classifier)
        var metadata = exported.metadata
        (metadata["model"], metadata["method"]) = (config.model, config.method.name)
        (metadata["image_size"], metadata["resize"]) = ("\(config.training.imageSize)", "\(config.training.resizeShortSide)")
        // Old tasks are used with later shared weights: their BN means must be recovered.
        metadata["recover"] = String(config.method.recoversRunningMeans && task < checkpoint.position.task - 1)
        if let names = try? DatasetKind(name: config.dataset).load(root: config.root).classNames {
            metadata["class_names"] = classes.map { names[$0] }.joined(separator: "\n")
        }
        try SafeTensorsFile(tensors: exported.tensors, metadata: metadata).write(to: URL(fileURLWithPath: out))
        let tensors = exported.tensors
        let bytes = tensors.reduce(0) { $0 + $1.tensor.bytes.count }
        say("wrote \(out): task \(task), classes \(classes.map(String.init).joined(separator: ",")), \(bytes) bytes of tensors")
    }
}
