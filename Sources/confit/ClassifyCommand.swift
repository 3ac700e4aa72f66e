import ArgumentParser
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import Foundation

/// `confit classify`: the top-5 classes of images under a pre-trained network, so a user
/// can see that a downloaded checkpoint loads and predicts sensibly before training on it.
///
/// Images go through the evaluation preprocessing of training (short side to 256, centre
/// crop 224, the model's normalisation) in batches. An image that cannot be read is
/// reported on standard error and the others are still classified; the command then exits
/// non-zero. A weights file that does not fit the model fails before any image is read.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the top-5 ImageNet (or checkpoint) classes of images under pre-trained weights.")

    @Option(help: "Network: \(ModelFactory.names.joined(separator: ", ")).")
    var model: String

    @Option(help: "The network's weights: safetensors or a PyTorch .pth/.pt checkpoint.")
    var weights: String

    @Flag(help: "One JSON object per line: {\"image\": PATH, \"top5\": [{\"class\": I, \"probability\": P}, ...]}.")
    var json = false

    @Option(help: "Images per forward pass.")
    var batchSize = 16

    @Option(help: "Threads for oneDNN (default: all cores).")
    var threads: Int?

    @Argument(help: "Image files (JPEG or PNG).")
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() throws {
        if let threads { Engine.shared.setThreads(threads) }
        let factory = try ModelFactory(model)
        let network = try loadNetwork(factory)
        network.eval()
        var options = LoaderOptions.evaluation(batchSize: batchSize)
        options.skipUnreadable = true
        options.normalization = factory.normalization
        let samples = images.enumerated().map { Sample(id: $0.offset, label: 0, source: .file($0.element)) }
        let loader = try BatchLoader(samples: samples, options: options, warn: { Self.printError($0) })
        let stream = loader.epoch(0)
        while let batch = try stream.next() {
            guard batch.count > 0 else { continue }
            let logits = try network.forward(try Tensor(shape: batch.shape, values: batch.images))
            for (id, top) in zip(batch.sampleIDs, try Prediction.top(5, of: logits)) {
                print(try json ? Self.jsonLine(images[id], top) : Self.textLine(images[id], top))
            }
        }
        if loader.skippedCount > 0 {
            Self.printError("\(loader.skippedCount) of \(images.count) images could not be classified")
            throw ExitCode.failure
        }
    }

    /// The network with the checkpoint's classifier, whatever its class count (read from
    /// the classifier's weight), so fine-tuned checkpoints classify into their own classes.
    private func loadNetwork(_ factory: ModelFactory) throws -> any Layer {
        let file = try TensorFile(contentsOf: URL(fileURLWithPath: weights))
        let head = file.tensors.first { $0.name == factory.classifierWeightKey }?.tensor
        guard let head, head.shape.count == 2 else {
            throw WeightsMismatch(path: weights, model: model, classifierKey: factory.classifierWeightKey,
                                  recognised: ArchitectureRecognizer.recognize(file.tensors.map(\.name)))
        }
        let network = factory.make(numClasses: head.shape[0])
        try network.loadPretrained(file.tensors.map { ($0.name, $0.tensor) })
        return network
    }

    static func textLine(_ path: String, _ top: [Prediction]) -> String {
        ([path] + top.map { "\($0.classIndex) \(String(format: "%.4f", $0.probability))" }).joined(separator: "\t")
    }

    static func jsonLine(_ path: String, _ top: [Prediction]) throws -> String {
        let object: [String: Any] = [
            "image": path,
            "top5": top.map { ["class": $0.classIndex, "probability": (Double($0.probability) * 1e6).rounded() / 1e6] },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("confit classify: \(message)\n".utf8))
    }
}

/// A weights file without the classifier the chosen model needs: most likely weights of
/// another network, so the error says which one its key names suggest.
struct WeightsMismatch: Error, CustomStringConvertible {
    let path: String, model: String, classifierKey: String, recognised: String

    var description: String {
        "\(path) has no 2-D classifier weight '\(classifierKey)', so it does not hold \(model) weights "
            + "(its key names look like: \(recognised))"
    }
}
