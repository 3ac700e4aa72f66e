import ArgumentParser
import ConFiTEngine
import ConFiTNN
import Foundation

/// `confit bench`: images/s of evaluation and of one training step at each hierarchical
/// stage, as one JSON object (median of timed steps after warm-up).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure eval and training throughput (JSON on stdout).")

    @Option(help: "Network: resnet18, resnet34, resnet50 or efficientnet_lite0.") var model = "resnet18"
    @Option(help: "Square input size in pixels.") var imageSize = 224
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Threads for oneDNN (default: all cores).") var threads: Int?
    @Option(help: "Timed steps per measurement.") var steps = 5
    @Option(help: "Untimed warm-up steps per measurement.") var warmup = 2
    @Option(help: "Activation layout: nChw16c, nhwc or plain (default: the model's fastest).") var layout: String?
    @Option(help: "Classes in the training task (logits restricted to them).") var taskClasses = 10
    @Flag(inversion: .prefixedNo, help: "Use Winograd for 3x3 stride-1 convolutions where oneDNN has it.")
    var winograd = true

    func run() throws {
        let format = try layout.map { name in
            guard let format = TensorFormat(rawValue: name), format != .native else {
                throw ValidationError("unknown layout '\(name)': use nChw16c, nhwc or plain")
            }
            return format
        }
        Convolution.useWinograd = winograd
        if let threads { Engine.shared.setThreads(threads) }
        let network = try ModelFactory(model).make(numClasses: 1000, layout: format)
        let profile = try ThroughputProbe(network: network, batch: batch, imageSize: imageSize, taskClasses: taskClasses,
                                          steps: steps, warmup: warmup)
        var result: [String: Any] = [
            "model": model, "image_size": imageSize, "batch": batch, "threads": Engine.shared.threads,
            "onednn_version": Engine.shared.version, "cpu_isa": Engine.shared.cpuISA, "layout": TensorFormat.activations.rawValue,
            "forward_gflop_per_image": profile.forwardFLOPsPerImage / 1e9, "winograd": winograd,
        ]
        let eval = try profile.evalImagesPerSecond()
        result["eval_img_s"] = eval
        result["eval_gflop_s"] = eval * profile.forwardFLOPsPerImage / 1e9
        for selection in TrainableSelection.allCases {
            result["train_\(selection.rawValue)_img_s"] = try profile.trainImagesPerSecond(selection)
        }
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
