import ArgumentParser
import ConFiT
import ConFiTReport
import Foundation

/// `confit demo`: ConFiT against plain fine-tuning on Split Fashion-MNIST (5 tasks of 2
/// classes) with the ImageNet-pretrained EfficientNet-Lite0, sized to run in minutes on
/// two cores, printing both accuracy matrices. Run again with the same options, it continues
/// (or just reports) the runs already in its folder.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "ConFiT vs fine-tuning on Split Fashion-MNIST with a pretrained EfficientNet-Lite0 (a few minutes).")

    @Option(help: "Fashion-MNIST IDX files (Debian's dataset-fashion-mnist).") var root =
        "/usr/share/datasets/fashion-mnist"
    @Option(help: "EfficientNet-Lite0 weights (scripts/install-dependencies fetches them).")
    var weights = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
        ".cache/confit/efficientnet-lite0-57934424.pth"
    ).path
    @Option(help: "Folder for the two runs.") var out = "runs/demo"
    @Option(help: "Methods to compare, comma-separated.") var methods = "confit,finetune"
    /// 128 rather than less: at 64 px EfficientNet's last maps are 2 × 2 and the pretrained
    /// features barely transfer (there fine-tuning beat ConFiT, 0.916 vs 0.872).
    @Option(help: "Centre-crop size of the upscaled 28×28 images.") var imageSize = 128
    @Option(help: "Training images per class.") var imagesPerClass = 200
    @Option(help: "Test images per class.") var testImagesPerClass = 200
    @Option(help: "Epochs per task.") var epochs = 5
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var precision: PrecisionOptions

    func run() throws {
        let chosen = try methods.split(separator: ",").map { name in
            guard let method = ContinualMethod(argument: String(name)) else {
                throw ConFiTError.unknownMethod(String(name))
            }
            return method
        }
        var results: [RunReport.Run] = []
        for method in chosen {
            var config = try RunConfiguration(
                preset: .fashionMNIST, root: root, model: .efficientNetLite0, weights: weights,
                method: method)
            config.training.epochs = epochs
            (config.training.imageSize, config.training.resizeShortSide) = (imageSize, imageSize * 256 / 224)
            (config.training.trainImagesPerClass, config.training.testImagesPerClass) = (
                imagesPerClass, testImagesPerClass
            )
            (config.threads, config.resolvedPrecision) = (threads.threads, precision.precision ?? .float32)
            let folder = URL(fileURLWithPath: out).appendingPathComponent(method.name)
            let run = try ContinualRun.resumingIfPresent(config, folder: folder)
            results.append(RunReport.Run(name: method.name, metrics: try Train.execute(run, log: .text)))
        }
        let report = URL(fileURLWithPath: out).appendingPathComponent(RunFolder.reportHTML)
        try RunFolder(url: URL(fileURLWithPath: out)).writeAtomically(
            Data(RunReport(runs: results).html.utf8), to: RunFolder.reportHTML)
        for result in results {
            let accuracy = result.metrics.accuracy
            say("\n\(result.name): accuracy matrix (row t = after task t)")
            for row in accuracy.rows { say("  " + row.map { String(format: "%.3f", $0) }.joined(separator: " ")) }
            say(
                String(
                    format: "  final average accuracy %.4f, forgetting %.4f, BWT %.4f, %.0f s",
                    accuracy.finalAverageAccuracy ?? 0,
                    accuracy.forgetting ?? 0, accuracy.backwardTransfer ?? 0, result.metrics.totalWallSeconds))
        }
        say("\nreport: \(report.path)")
    }
}
