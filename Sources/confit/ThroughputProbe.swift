import ConFiTEngine
import ConFiTNN
import Foundation

/// Times a network's eval forward and its training step (forward, restricted
/// cross-entropy, backward, SGD) on a fixed random batch.
struct ThroughputProbe {
    let network: any Layer
    let classifier: Linear
    let batch: Int, steps: Int, warmup: Int
    let input: Tensor
    let classes: [Int], labels: [Int]
    /// Multiply-adds ×2 of the forward pass per image: every convolution and the classifier.
    let forwardFLOPsPerImage: Double
    /// The same for the backward passes a stage runs: input gradients of every layer but
    /// the stem convolution (stages bn and full), weight gradients of the trainable ones.
    private let backwardDataFLOPsPerImage: Double
    private let convolutionWeightFLOPsPerImage: Double
    private let classifierFLOPsPerImage: Double
    /// Whether measurements also split the step time by kind of oneDNN call.
    let profiling: Bool

    /// Images/s (median step) and, when profiling, milliseconds per step (mean) by kind
    /// of oneDNN call, with "host" for the time outside oneDNN (Swift loops: SGD,
    /// cross-entropy, running statistics, trackers).
    struct Measurement {
        let imagesPerSecond: Double
        let millisecondsPerStep: [String: Double]
    }

    init(network: any Layer, batch: Int, imageSize: Int, taskClasses: Int, steps: Int, warmup: Int, profiling: Bool) throws {
        (self.network, self.batch, self.steps, self.warmup) = (network, batch, max(1, steps), max(0, warmup))
        self.profiling = profiling
        guard let classifier = network.classifier?.layer else {
            throw EngineError.invalidArgument(operation: "ThroughputProbe", reason: "the network has no Linear classifier")
        }
        self.classifier = classifier
        var generator = SeededGenerator(seed: 1)
        let shape = [batch, 3, imageSize, imageSize]
        input = try Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.nextGaussian() })
        let classes = Array(0..<min(taskClasses, classifier.outFeatures))
        self.classes = classes
        labels = (0..<batch).map { $0 % classes.count }
        network.eval()
        _ = try network.forward(input)
        let convolutions = network.namedLayers().compactMap { ($0.1 as? Conv2d)?.lastShape?.forwardFLOPs }
        let convolutionFLOPs = convolutions.reduce(0, +) / Double(batch)
        classifierFLOPsPerImage = 2 * Double(classifier.inFeatures * classifier.outFeatures)
        forwardFLOPsPerImage = convolutionFLOPs + classifierFLOPsPerImage
        convolutionWeightFLOPsPerImage = convolutionFLOPs
        backwardDataFLOPsPerImage = convolutionFLOPs - (convolutions.first ?? 0) / Double(batch) + classifierFLOPsPerImage
    }

    /// FLOPs of one training image at `selection`'s stage (direct-convolution count, so
    /// Winograd's savings show as a higher rate).
    func trainFLOPsPerImage(_ selection: TrainableSelection) -> Double {
        switch selection {
        case .classifier: forwardFLOPsPerImage + classifierFLOPsPerImage
        case .classifierAndNormalization: forwardFLOPsPerImage + backwardDataFLOPsPerImage + classifierFLOPsPerImage
        case .all: forwardFLOPsPerImage + backwardDataFLOPsPerImage + convolutionWeightFLOPsPerImage + classifierFLOPsPerImage
        }
    }

    func eval() throws -> Measurement {
        network.eval()
        return try measure { _ = try network.forward(input) }
    }

    func train(_ selection: TrainableSelection) throws -> Measurement {
        network.train()
        network.setTrainable(selection)
        let optimizer = SGD(parameters: network.namedParameters().map(\.1), learningRate: 1e-4)
        let gradient = Tensor(shape: [batch, classifier.outFeatures])
        defer { network.setTrainable(.all) }
        return try measure {
            optimizer.zeroGradients()
            let logits = try network.forward(input)
            _ = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
            _ = try network.backward(gradient, needsInputGradient: false)
            optimizer.step()
        }
    }

    private func measure(_ step: () throws -> Void) throws -> Measurement {
        for _ in 0..<warmup { try step() }
        let profiler = Profiler()
        if profiling { Profiler.current = profiler }
        defer { Profiler.current = nil }
        var seconds: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        var breakdown = profiler.seconds
        if profiling { breakdown["host"] = seconds.reduce(0, +) - breakdown.values.reduce(0, +) }
        return Measurement(imagesPerSecond: Double(batch) / seconds.sorted()[seconds.count / 2],
                           millisecondsPerStep: breakdown.mapValues { $0 * 1000 / Double(steps) })
    }
}
