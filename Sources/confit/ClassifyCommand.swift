import ArgumentParser
import ConFiT
import ConFiTEngine
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

    @Option(help: "Network.") var model: Architecture
    @Option(help: "The network's weights: safetensors or a PyTorch .pth/.pt checkpoint.") var weights: String
    @Flag(help: "One JSON object per line: {\"image\": PATH, \"top5\": [{\"class\": I, \"probability\": P}, ...]}.")
    var json = false
    @Option(help: "Images per forward pass.") var batchSize = 16
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var precision: PrecisionOptions
    @Argument(help: "Image files (JPEG or PNG).") var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() throws {
        if let threads = threads.threads { Engine.shared.setThreads(threads) }
        let predictor = try ImagePredictor.pretrained(
            model, weights: URL(fileURLWithPath: weights),
            precision: precision.precision ?? .float32)
        predictor.options.batchSize = batchSize
        let skipped = try predictor.predict(images, top: 5, warn: { Self.printError($0) }) { image, top in
            print(try json ? Self.jsonLine(image, top) : Self.textLine(image, top))
        }
        if skipped > 0 {
            Self.printError("\(skipped) of \(images.count) images could not be classified")
            throw ExitCode.failure
        }
    }

    static func textLine(_ path: String, _ top: [Prediction]) -> String {
        ([path] + top.map { "\($0.classIndex) \(String(format: "%.4f", $0.probability))" }).joined(separator: "\t")
    }

    static func jsonLine(_ path: String, _ top: [Prediction]) throws -> String {
        let object: [String: Any] = [
            "image": path,
            "top5": top.map {
                ["class": $0.classIndex, "probability": (Double($0.probability) * 1e6).rounded() / 1e6]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    @Sendable static func printError(_ message: String) {
        FileHandle.standardError.write(Data("confit classify: \(message)\n".utf8))
    }
}
