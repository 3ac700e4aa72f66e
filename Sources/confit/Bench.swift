import ArgumentParser
import ConFiT
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
    @Option(help: "Activation layout: nChw16c, nhwc or plain (default: nChw16c, the fastest for every model here).") var layout: String?
    @Option(help: "Classes in the training task (logits restricted to them).") var taskClasses = 10
    @Flag(inversion: .prefixedNo, help: "Use Winograd for 3x3 stride-1 convolutions where oneDNN has it.")
    var winograd = true
    @Option(help: "Comma-separated measurements to run: eval, fc, bn, full.") var stages = "eval,fc,bn,full"
    @Flag(help: "Attach ConFiT's pre-convolution trackers, as `train --method confit` does.") var trackers = false
    @Flag(help: "Add milliseconds per step by kind of oneDNN call (\"profile\" key).") var profile = false

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
        let pairs = trackers ? try ConvolutionNormPair.pairs(in: network) : []
        defer { withExtendedLifetime(pairs) {} }
        let probe = try ThroughputProbe(network: network, batch: batch, imageSize: imageSize, taskClasses: taskClasses,
                                        steps: steps, warmup: warmup, profiling: profile)
        var result: [String: Any] = [
            "model": model, "image_size": imageSize, "batch": batch, "threads": Engine.shared.threads,
            "onednn_version": Engine.shared.version, "cpu_isa": Engine.shared.cpuISA, "layout": TensorFormat.activations.rawValue,
            "forward_gflop_per_image": probe.forwardFLOPsPerImage / 1e9, "winograd": winograd, "trackers": pairs.count,
        ]
        var breakdown: [String: Any] = [:]
        func record(_ name: String, _ measurement: ThroughputProbe.Measurement, flopsPerImage: Double) {
            result["\(name)_img_s"] = measurement.imagesPerSecond
            result["\(name)_gflop_s"] = measurement.imagesPerSecond * flopsPerImage / 1e9
            breakdown[name] = measurement.millisecondsPerStep.mapValues { ($0 * 10).rounded() / 10 }
        }
        let chosen = Set(stages.split(separator: ",").map(String.init))
        if let unknown = chosen.first(where: { $0 != "eval" && TrainableSelection(rawValue: $0) == nil }) {
            throw ValidationError("unknown stage '\(unknown)': use eval, fc, bn or full")
        }
        if chosen.contains("eval") { record("eval", try probe.eval(), flopsPerImage: probe.forwardFLOPsPerImage) }
        for selection in TrainableSelection.allCases where chosen.contains(selection.rawValue) {
            record("train_\(selection.rawValue)", try probe.train(selection), flopsPerImage: probe.trainFLOPsPerImage(selection))
        }
        if profile { result["profile"] = breakdown }
        result["peak_rss_mb"] = peakResidentMegabytes()
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}

/// The process's peak resident set size so far (getrusage; Linux reports kilobytes).
private func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
