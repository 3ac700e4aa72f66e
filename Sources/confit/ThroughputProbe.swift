import ConFiTEngine
import ConFiTNN
import Foundation

/// Times a network's eval forward and its training step (forward, restricted
/// cross-entropy, backward, SGD) on a fixed random batch.
struct ThroughputProbe {
    let network: ResNet
    let batch: Int, steps: Int, warmup: Int
    let input: Tensor
    let classes: [Int], labels: [Int]
    let forwardFLOPsPerImage: Double

    init(network: ResNet, batch: Int, imageSize: Int, taskClasses: Int, steps: Int, warmup: Int) throws {
        (self.network, self.batch, self.steps, self.warmup) = (network, batch, max(1, steps), max(0, warmup))
        var generator = SeededGenerator(seed: 1)
        let shape = [batch, 3, imageSize, imageSize]
        input = try Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.nextGaussian() })
        let classes = Array(0..<min(taskClasses, network.configuration.numClasses))
        self.classes = classes
        labels = (0..<batch).map { $0 % classes.count }
        network.eval()
        _ = try network.forward(input)
        let layers = network.namedLayers().map(\.1)
        let convolutions = layers.compactMap { ($0 as? Conv2d)?.lastShape?.forwardFLOPs }.reduce(0, +)
        let classifier = 2 * Double(network.fc.inFeatures * network.fc.outFeatures * batch)
        let flops = (convolutions + classifier) / Double(batch)
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
        let gradient = Tensor(shape: [batch, network.configuration.numClasses])
        defer { network.setTrainable(.all) }
        return try imagesPerSecond {
            optimizer.zeroGradients()
            let logits = try network.forward(input)
            _ = try CrossEntropy.loss(logits: logits, classes: classes, labels: labels, gradient: gradient)
            _ = try network.backward(gradient)
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
