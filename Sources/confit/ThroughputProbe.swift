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
    let forwardFLOPsPerImage: Double

    init(network: any Layer, batch: Int, imageSize: Int, taskClasses: Int, steps: Int, warmup: Int) throws {
        (self.network, self.batch, self.steps, self.warmup) = (network, batch, max(1, steps), max(0, warmup))
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
        let layers = network.namedLayers().map(\.1)
        let convolutions = layers.compactMap { ($0 as? Conv2d)?.lastShape?.forwardFLOPs }.reduce(0, +)
        let classifierFLOPs = 2 * Double(classifier.inFeatures * classifier.outFeatures * batch)
        let flops = (convolutions + classifierFLOPs) / Double(batch)
        forwardFLOPsPerImage = flops
    }

    func evalImagesPerSecond() throws -> Double {
        network.eval()
        return try imagesPerSecond { _ = try network.forward(input) }
    }

    func trainImagesPerSecond(_ selection: TrainableSelection) throws -> Double {
        network.train()
        network.setTrainable(selection)
        let optimizer = SGD(parameters: network.namedParameters().map(\.1), learningRate: 1e-4)
        let gradient = Tensor(shape: [batch, classifier.outFeatures])
        defer { network.setTrainable(.all) }
        return try imagesPerSecond {
            optimizer.zeroGradients()
            let logits = try network.forward(input)
            _ = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
            _ = try network.backward(gradient, needsInputGradient: false)
            optimizer.step()
        }
    }

    private func imagesPerSecond(_ step: () throws -> Void) throws -> Double {
        for _ in 0..<warmup { try step() }
        var seconds: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Double(batch) / seconds.sorted()[seconds.count / 2]
    }
}
