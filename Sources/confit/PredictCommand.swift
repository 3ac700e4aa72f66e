import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import Foundation

/// `confit predict`: classifies images as task I of a run — the task's bank (recovered
/// through the current convolutions for old tasks) and its classes only — printing the
/// top-k class names with probabilities.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Top-k classes of images for one task of a run.")

    @Option(name: .customLong("run"), help: "Run folder (with checkpoint.safetensors).") var runFolder: String
    @Option(help: "Task index.") var task: Int
    @Option(help: "How many classes to list.") var top = 5
    @Argument(help: "Image files.") var images: [String]

    func run() throws {
        let session = try RunSession.resuming(runFolder)
        let (trainer, classNames) = try session.prepare()
        let last = (session.checkpoint?.position.task ?? 0) - 1
        guard (0...max(last, 0)).contains(task), last >= 0 else { throw ValidationError("tasks 0...\(last) of \(runFolder) are finished") }
        try trainer.select(task: task, after: last)
        let classes = trainer.scenario.tasks[task].classes
        var options = LoaderOptions.evaluation(batchSize: 16)
        (options.transform, options.normalization) = (EvalTransform(resizeShortSide: trainer.configuration.resizeShortSide,
                                                                    cropSize: trainer.configuration.imageSize), trainer.normalization)
        let samples = images.enumerated().map { Sample(id: $0.offset, label: 0, source: .file($0.element)) }
        options.skipUnreadable = true
        let loader = try BatchLoader(samples: samples, options: options)
        let stream = loader.epoch(0)
        while let batch = try stream.next() {
            guard batch.count > 0 else { continue }
            let logits = try trainer.logits(for: batch)
            let restricted = try Tensor(shape: [batch.count, classes.count], values: (0..<batch.count).flatMap { row in
                classes.map { logits.pointer[row * logits.shape[1] + $0] }
            })
            for (id, predictions) in zip(batch.sampleIDs, try Prediction.top(min(top, classes.count), of: restricted)) {
                let listed = predictions.map { String(format: "%@ %.4f", classNames[classes[$0.classIndex]], $0.probability) }
                say(([images[id]] + listed).joined(separator: "\t"))
            }
        }
        if loader.skippedCount > 0 {
            FileHandle.standardError.write(Data("\(loader.skippedCount) of \(images.count) images could not be read\n".utf8))
            throw ExitCode.failure
        }
    }
}
