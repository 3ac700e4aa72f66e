import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
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
    @Argument(help: "Image files.") var images: [String]

    func validate() throws {
        guard (runFolder != nil && task != nil) != (weights != nil && bank != nil) else {
            throw ValidationError("give either --run and --task, or --weights and --bank")
        }
    }

    func run() throws {
        var options = LoaderOptions.evaluation(batchSize: 16)
        let classNames: [String]
        let logits: (Batch) throws -> [[Float]]
        if let weights, let bank {
            let banked = try BankedNetwork(weights: weights, bank: bank)
            (options.transform, options.normalization, classNames) = (banked.transform, banked.normalization, banked.classNames)
            logits = { batch in
                let out = try banked.network.forward(try Tensor(shape: batch.shape, values: batch.images))
                let values = try out.toArray(), width = out.shape[1]
                return (0..<batch.count).map { row in Array(values[(row * width)..<((row + 1) * width)]) }
            }
        } else if let runFolder, let task {
            let session = try RunSession.resuming(runFolder)
            let (trainer, names) = try session.prepare()
            let last = (session.checkpoint?.position.task ?? 0) - 1
            guard last >= 0, (0...last).contains(task) else { throw ValidationError("tasks 0...\(last) of \(runFolder) are finished") }
            try trainer.select(task: task, after: last)
            let classes = trainer.scenario.tasks[task].classes
            options.transform = EvalTransform(resizeShortSide: trainer.configuration.resizeShortSide, cropSize: trainer.configuration.imageSize)
            (options.normalization, classNames) = (trainer.normalization, classes.map { names[$0] })
            logits = { batch in
                let out = try trainer.logits(for: batch)
                return (0..<batch.count).map { row in classes.map { out.pointer[row * out.shape[1] + $0] } }
            }
        } else {
            return
        }
        let samples = images.enumerated().map { Sample(id: $0.offset, label: 0, source: .file($0.element)) }
        options.skipUnreadable = true
        let loader = try BatchLoader(samples: samples, options: options)
        let stream = loader.epoch(0)
        while let batch = try stream.next() {
            guard batch.count > 0 else { continue }
            let rows = try logits(batch)
            let restricted = try Tensor(shape: [batch.count, classNames.count], values: rows.flatMap { $0 })
            for (id, predictions) in zip(batch.sampleIDs, try Prediction.top(min(top, classNames.count), of: restricted)) {
                let listed = predictions.map { String(format: "%@ %.4f", classNames[$0.classIndex], $0.probability) }
                say(([images[id]] + listed).joined(separator: "\t"))
            }
        }
        if loader.skippedCount > 0 {
            FileHandle.standardError.write(Data("\(loader.skippedCount) of \(images.count) images could not be read\n".utf8))
            throw ExitCode.failure
        }
    }
}
