import ArgumentParser
import ConFiT
import ConFiTEngine
import ConFiTNN

/// `confit bench`: images/s of evaluation and of one training step at each hierarchical
/// stage, as one JSON object (median of timed steps after warm-up).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure eval and training throughput (JSON on stdout).")

    @Option(help: "Network.") var model = Architecture.resnet18
    @Option(help: "Square input size in pixels.") var imageSize = 224
    @Option(help: "Batch size.") var batch = 32
    @OptionGroup var threads: ThreadOptions
    @Option(help: "Timed steps per measurement.") var steps = 5
    @Option(help: "Untimed warm-up steps per measurement.") var warmup = 2
    @Option(help: "Activation layout (nChw16c: the fastest for every model here).") var layout = TensorFormat.blocked16
    @OptionGroup var precision: PrecisionOptions
    @Option(help: "Classes in the training task (logits restricted to them).") var taskClasses = 10
    @Flag(inversion: .prefixedNo, help: "Use Winograd for 3x3 stride-1 convolutions where oneDNN has it.")
    var winograd = true
    @Option(
        help: ArgumentHelp(
            "Comma-separated measurements to run: eval, mixed (eval with each image's own BN, as `serve` batches tasks), "
                + "fc, bn, full, packnet, piggyback."))
    var stages = "eval,fc,bn,full"
    @Flag(help: "Attach ConFiT's pre-convolution trackers, as `train --method confit` does.") var trackers = false
    @Flag(help: "Add milliseconds per step by kind of oneDNN call (\"profile\" key).") var profile = false

    func run() throws {
        var options = ThroughputBenchmark.Options()
        options.stages = try stages.split(separator: ",").map {
            guard let stage = ThroughputBenchmark.Stage(argument: String($0)) else {
                throw ValidationError(
                    "unknown stage '\($0)': use "
                        + ThroughputBenchmark.Stage.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return stage
        }
        (options.model, options.imageSize, options.batch, options.threads) = (model, imageSize, batch, threads.threads)
        (options.steps, options.warmup, options.layout, options.winograd) = (steps, warmup, layout, winograd)
        (options.taskClasses, options.trackers, options.profile) = (taskClasses, trackers, profile)
        options.precision = precision.precision ?? .float32
        // Under mpirun every rank steps on its shard of the batch; rank 0 reports.
        options.processGroup = MPIProcessGroup.launched
        let report = try ThroughputBenchmark.report(options)
        if (options.processGroup?.rank ?? 0) == 0 { print(String(decoding: report, as: UTF8.self)) }
    }
}
