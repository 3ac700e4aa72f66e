import ArgumentParser
import ConFiT
import ConFiTEngine
import Foundation

/// `confit predict`: classifies images as task I of a run — the task's bank (recovered
/// through the current convolutions for old tasks) and its classes only — printing the
/// top-k class names with probabilities; either from the run folder or from the shared
/// weights plus the task's exported file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Top-k classes of images for one task of a run.")

    @Option(name: .customLong("run"), help: "Run folder (with checkpoint.safetensors).") var runFolder: String?
    @Option(help: "Task index (with --run).") var task: Int?
    @Option(help: "Shared weights: a run's checkpoint.safetensors or a state dict (with --bank).") var weights: String?
    @Option(help: "A task file from confit export (with --weights).") var bank: String?
    @Option(help: "How many classes to list.") var top = 5
    @OptionGroup(title: "Precision (default: the run's with --run, else float32)") var precision: PrecisionOptions
    @OptionGroup var threads: ThreadOptions
    @Argument(help: "Image files.") var images: [String]

    func validate() throws {
        guard (runFolder != nil && task != nil) != (weights != nil && bank != nil) else {
            throw ValidationError("give either --run and --task, or --weights and --bank")
        }
        guard top > 0 else { throw ValidationError("--top must be positive") }
    }

    func run() throws {
        if let threads = threads.threads { Engine.shared.setThreads(threads) }
        let predictor: ImagePredictor
        if let weights, let bank {
            predictor = try .exported(
                TaskFile(contentsOf: URL(fileURLWithPath: bank)), weights: URL(fileURLWithPath: weights),
                precision: precision.precision ?? .float32)
        } else if let runFolder, let task {
            predictor = try .task(
                task,
                of: ContinualRun(
                    resuming: URL(fileURLWithPath: runFolder), precision: precision.precision,
                    threads: threads.threads))
        } else {
            return
        }
        let skipped = try predictor.predict(
            images, top: top, warn: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        ) { image, top in
            let listed = top.map { "\(predictor.classNames[$0.classIndex]) \(String(format: "%.4f", $0.probability))" }
            say(([image] + listed).joined(separator: "\t"))
        }
        if skipped > 0 {
            FileHandle.standardError.write(Data("\(skipped) of \(images.count) images could not be read\n".utf8))
            throw ExitCode.failure
        }
    }
}
