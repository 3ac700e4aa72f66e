import ConFiTData
import ConFiTEngine
import ConFiTNN
import Foundation

/// Times a network's eval forward and its training step — `TrainingStep`, the step
/// training runs: forward, restricted cross-entropy, backward, SGD — on a fixed random
/// batch, at each hierarchical stage, and the mask methods' steps with their hooks
/// (`confit bench`).
public final class ThroughputBenchmark {
    /// Images/s (median step) and, when profiling, milliseconds per step (mean) by kind
    /// of oneDNN call, with "host" for the time outside oneDNN (Swift loops: SGD,
    /// cross-entropy, running statistics, trackers).
    public struct Measurement: Sendable {
        public let imagesPerSecond: Double
        public let millisecondsPerStep: [String: Double]
        /// Under a process group: per step, milliseconds inside collectives, bytes each
        /// process contributed to them, and how many ran.
        public var communication: (milliseconds: Double, bytes: Int, collectives: Int)?
    }

    public let network: any Layer
    /// The whole batch; each process of `processGroup` steps on its 1/N of it.
    public let batch: Int, steps: Int, warmup: Int
    /// The processes sharing each batch, their collectives metered; nil: this one alone.
    public let processGroup: MeteredProcessGroup?
    /// Multiply-adds ×2 of the forward pass per image: every convolution and the classifier.
    public let forwardFLOPsPerImage: Double
    /// The same for the backward passes a stage runs: input gradients of every layer but
    /// the stem convolution (stages bn and full), weight gradients of the trainable ones.
    private let backwardDataFLOPsPerImage: Double
    private let convolutionWeightFLOPsPerImage: Double
    private let classifierFLOPsPerImage: Double
    private let input: Tensor
    private let classes: [Int], labels: [Int]
    /// The profiler the network's settings report to; nil: no breakdown.
    private let profiler: Profiler?

    /// `network` must have been configured with `profiler` (or no profiler) in its
    /// `ComputeSettings`; the first `min(taskClasses, classifier outputs)` classes form the
    /// task the training steps restrict their logits to.
    public init(
        network: any Layer, batch: Int, imageSize: Int, taskClasses: Int, steps: Int, warmup: Int,
        profiler: Profiler?, processGroup: (any ProcessGroup)? = nil
    ) throws {
        (self.network, self.batch, self.steps, self.warmup, self.profiler) = (
            network, batch, max(1, steps), max(0, warmup), profiler
        )
        let processes = processGroup?.size ?? 1
        self.processGroup = processes > 1 ? processGroup.map(MeteredProcessGroup.init) : nil
        guard batch % processes == 0 else {
            throw ConFiTError.invalidConfiguration(
                "the batch \(batch) does not divide into \(processes) equal shards, one per process")
        }
        network.shareStatistics(over: self.processGroup)
        guard let classifier = network.classifier?.layer else {
            throw ConFiTError.invalidConfiguration("the network has no Linear classifier")
        }
        var generator = SplitMix64(seed: 1)
        let shape = [batch / processes, 3, imageSize, imageSize]
        input = try Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.nextGaussian() })
        let classes = Array(0..<min(taskClasses, classifier.outFeatures))
        (self.classes, labels) = (classes, (0..<shape[0]).map { $0 % classes.count })
        network.eval()
        _ = try network.forward(input)
        let convolutions = network.namedLayers().compactMap { ($0.1 as? Conv2d)?.lastShape?.forwardFLOPs }
        let convolutionFLOPs = convolutions.reduce(0, +) / Double(shape[0])
        classifierFLOPsPerImage = 2 * Double(classifier.inFeatures * classifier.outFeatures)
        forwardFLOPsPerImage = convolutionFLOPs + classifierFLOPsPerImage
        convolutionWeightFLOPsPerImage = convolutionFLOPs
        backwardDataFLOPsPerImage =
            convolutionFLOPs - (convolutions.first ?? 0) / Double(shape[0]) + classifierFLOPsPerImage
    }

    /// FLOPs of one training image at `selection`'s stage (direct-convolution count, so
    /// Winograd's savings show as a higher rate).
    public func trainFLOPsPerImage(_ selection: TrainableSelection) -> Double {
        switch selection {
        case .classifier: forwardFLOPsPerImage + classifierFLOPsPerImage
        case .classifierAndNormalization: forwardFLOPsPerImage + backwardDataFLOPsPerImage + classifierFLOPsPerImage
        case .all:
            forwardFLOPsPerImage + backwardDataFLOPsPerImage + convolutionWeightFLOPsPerImage + classifierFLOPsPerImage
        }
    }

    public func eval() throws -> Measurement {
        network.eval()
        return try measure { _ = try network.forward(input) }
    }

    /// The eval forward of a mixed-task batch, as `confit serve` runs it: every BatchNorm
    /// applies each image's own scale and shift (`BatchNorm2d.perImageAffine`), here each
    /// image a task of its own. Beside `eval`, the cost of serving many tasks in one batch.
    public func mixedEval() throws -> Measurement {
        network.eval()
        var generator = SplitMix64(seed: 2)
        let norms = network.namedLayers().compactMap { $0.1 as? BatchNorm2d }
        for norm in norms {
            let shape = [input.shape[0], norm.channels, 1, 1]
            let count = shape.reduce(1, *)
            norm.perImageAffine = (
                try Tensor(shape: shape, values: (0..<count).map { _ in 1 + 0.1 * generator.nextGaussian() }),
                try Tensor(shape: shape, values: (0..<count).map { _ in 0.1 * generator.nextGaussian() })
            )
        }
        defer { for norm in norms { norm.perImageAffine = nil } }
        return try measure { _ = try network.forward(input) }
    }

    public func train(_ selection: TrainableSelection) throws -> Measurement {
        network.train()
        network.setTrainable(selection)
        let step = TrainingStep(
            network: network, optimizer: SGD(parameters: network.namedParameters().map(\.1), learningRate: 1e-4),
            averager: processGroup.map(GradientAverager.init))
        defer { network.setTrainable(.all) }
        return try measure { _ = try step(input, classes: classes, labels: labels) }
    }

    /// A training step of `strategy` (PackNet's, Piggyback's) with everything its hooks do
    /// per step — clearing gradients, the straight-through gradient, re-deriving masked
    /// weights, its optimizer — in its first task.
    public func train(_ strategy: any ContinualStrategy) throws -> Measurement {
        guard processGroup == nil else {
            throw ConFiTError.invalidConfiguration("the mask methods' steps do not run over several processes yet")
        }
        guard let classifier = network.classifier?.layer else {
            throw ConFiTError.invalidConfiguration("no classifier")
        }
        let task = Scenario.Task(id: 0, classes: classes)
        let context = StrategyContext(
            network: network, classifier: classifier, evaluator: TaskEvaluator(network: network, pairs: []),
            configuration: TrainingConfiguration(epochs: 5, batchSize: batch), tasks: [task],
            trainingImages: { _, _ in throw ConFiTError.invalidConfiguration("the benchmark has no images") })
        try strategy.taskStarting(task, context)
        let step = TrainingStep(network: network, optimizer: try strategy.makeOptimizer(task: task, context).0)
        _ = strategy.epochStarting(0, of: 5, context)
        defer {
            network.setTrainable(.all)
            network.freezeNormalizationStatistics(false)
            for (_, conv) in network.namedConvolutions() { conv.weightMask = nil }
        }
        let batch = Batch(images: [], shape: input.shape, labels: labels, sampleIDs: Array(labels.indices))
        return try measure { _ = try step(input, batch: batch, task: task, strategy: strategy, context) }
    }

    /// Under a process group, the two terms of the cost model on this interconnect: the
    /// median time of one all-reduce of `floats` values (a step's gradients) and of one
    /// value (a BN collective's latency), each after an all-reduce that lines the processes
    /// up, so neither includes waiting for a slower process as a training step's do.
    public func collectiveCosts(floats: Int) throws -> (milliseconds: Double, latencyMicroseconds: Double)? {
        guard let group = processGroup?.group else { return nil }
        var buffer = [Float](repeating: 1, count: floats), one: [Float] = [1]
        func median(_ buffer: inout [Float]) throws -> Double {
            var seconds: [Double] = []
            for repetition in 0..<(warmup + steps) {
                _ = try group.allReduceSum([0])
                let start = DispatchTime.now().uptimeNanoseconds
                try buffer.withUnsafeMutableBufferPointer { try group.allReduceSum($0) }
                if repetition >= warmup { seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            }
            return seconds.sorted()[seconds.count / 2]
        }
        return (try median(&buffer) * 1000, try median(&one) * 1e6)
    }

    private func measure(_ step: () throws -> Void) throws -> Measurement {
        for _ in 0..<warmup { try step() }
        profiler?.reset()
        processGroup?.reset()
        var seconds: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        var breakdown = profiler?.seconds ?? [:]
        if profiler != nil { breakdown["host"] = seconds.reduce(0, +) - breakdown.values.reduce(0, +) }
        var measurement = Measurement(
            imagesPerSecond: Double(batch) / seconds.sorted()[seconds.count / 2],
            millisecondsPerStep: breakdown.mapValues { $0 * 1000 / Double(steps) })
        if let processGroup {
            measurement.communication = (
                processGroup.seconds * 1000 / Double(steps), processGroup.bytes / steps, processGroup.calls / steps
            )
        }
        return measurement
    }

    /// What `confit bench` measures: evaluation, a mixed-task batch's evaluation as served, a
    /// training step at a hierarchical stage, or a mask method's training step.
    public enum Stage: String, CaseIterable, Sendable {
        case eval, mixed, fc, bn, full, packnet, piggyback

        /// The stage's name in the report's keys (`<name>_img_s`).
        public var reportName: String {
            switch self {
            case .eval: "eval"
            case .mixed: "eval_mixed"
            default: "train_\(rawValue)"
            }
        }

        /// The trainable parameters of a hierarchical stage; nil otherwise.
        public var selection: TrainableSelection? { TrainableSelection(rawValue: rawValue) }

        /// The method whose step the stage times, with its default hyper-parameters.
        public var method: ContinualMethod? {
            switch self {
            case .packnet: .packnet(.init())
            case .piggyback: .piggyback(.init())
            default: nil
            }
        }
    }

    /// Everything `confit bench` can be asked for.
    public struct Options: Sendable {
        public var model: Architecture = .resnet18
        public var imageSize = 224, batch = 32
        /// oneDNN threads; nil: as they are (all cores).
        public var threads: Int?
        public var steps = 5, warmup = 2
        public var layout: TensorFormat = .blocked16
        /// The activations' element type (`ComputeSettings.precision`).
        public var precision: DataType = .float32
        public var winograd = true
        /// Classes of the training task (logits restricted to them).
        public var taskClasses = 10
        public var stages = Stage.allCases
        /// Attach ConFiT's pre-convolution trackers, as `--method confit` training does.
        public var trackers = false
        /// Add milliseconds per step by kind of oneDNN call.
        public var profile = false
        /// The processes sharing each batch (`mpirun`); nil: this one alone.
        public var processGroup: (any ProcessGroup)?

        public init() {}
    }

    /// Builds `options.model` (1000 classes) and measures every chosen stage: `confit
    /// bench`'s JSON object, keys sorted — `<stage>_img_s`, `<stage>_gflop_s` (stages
    /// `eval`, `eval_mixed`, `train_fc`, `train_bn`, `train_full`, ...), `profile` (with `options.profile`),
    /// `peak_rss_mb`, and the configuration measured; under a process group also each
    /// stage's collectives and `gradient_allreduce_ms`, `allreduce_latency_us`.
    public static func report(_ options: Options) throws -> Data {
        if let threads = options.threads { Engine.shared.setThreads(threads) }
        let profiler = options.profile ? Profiler() : nil
        let settings = ComputeSettings(
            layout: options.layout, precision: options.precision, winograd: options.winograd,
            profiler: profiler)
        let network = options.model.make(numClasses: 1000, settings: settings)
        let pairs = options.trackers ? try ConvolutionNormPair.pairs(in: network) : []
        defer { withExtendedLifetime(pairs) {} }
        let benchmark = try ThroughputBenchmark(
            network: network, batch: options.batch, imageSize: options.imageSize,
            taskClasses: options.taskClasses, steps: options.steps, warmup: options.warmup,
            profiler: profiler, processGroup: options.processGroup)
        var result: [String: Any] = [
            "model": options.model.rawValue, "image_size": options.imageSize, "batch": options.batch,
            "threads": Engine.shared.threads,
            "onednn_version": Engine.shared.version, "cpu_isa": Engine.shared.cpuISA, "layout": options.layout.rawValue,
            "precision": options.precision.rawValue,
            "forward_gflop_per_image": benchmark.forwardFLOPsPerImage / 1e9, "winograd": options.winograd,
            "trackers": pairs.count,
            "processes": options.processGroup?.size ?? 1,
            "gradient_bytes": network.namedParameters().reduce(0) { $0 + $1.1.value.count } * 4,
        ]
        var breakdown: [String: Any] = [:]
        for stage in Stage.allCases where options.stages.contains(stage) {
            let name = stage.reportName
            let (measurement, flops) =
                if let method = stage.method {
                    (try benchmark.train(method.makeStrategy()), benchmark.trainFLOPsPerImage(.all))
                } else if let selection = stage.selection {
                    (try benchmark.train(selection), benchmark.trainFLOPsPerImage(selection))
                } else {
                    (try stage == .mixed ? benchmark.mixedEval() : benchmark.eval(), benchmark.forwardFLOPsPerImage)
                }
            result["\(name)_img_s"] = measurement.imagesPerSecond
            result["\(name)_gflop_s"] = measurement.imagesPerSecond * flops / 1e9
            if let (milliseconds, bytes, collectives) = measurement.communication {
                (result["\(name)_collective_ms"], result["\(name)_collective_bytes"]) = (milliseconds, bytes)
                result["\(name)_collectives"] = collectives
            }
            breakdown[name] = measurement.millisecondsPerStep.mapValues { ($0 * 10).rounded() / 10 }
        }
        if let (milliseconds, latency) = try benchmark.collectiveCosts(
            floats: (result["gradient_bytes"] as? Int ?? 0) / 4)
        {
            (result["gradient_allreduce_ms"], result["allreduce_latency_us"]) = (milliseconds, latency)
        }
        if options.profile { result["profile"] = breakdown }
        result["peak_rss_mb"] = peakResidentMegabytes()
        return try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    }

    /// The process's peak resident set size so far, in MB (getrusage; Linux reports KB).
    public static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
