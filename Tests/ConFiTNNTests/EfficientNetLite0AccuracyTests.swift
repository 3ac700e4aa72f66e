import ConFiTData
import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// EfficientNet-Lite0 with the real ImageNet weights, through the real preprocessing
/// (decode, short side 256, centre crop 224, (pixel − 127) / 128), on Caltech-101 classes
/// that are also ImageNet classes. The reference is the mapping of class names to
/// ImageNet indices; PyTorch with the same weights gets 85% top-1 and 93% top-5 on the
/// first 20 images of each class, sorted by name.
///
/// Enabled when the real weights are there (`EfficientNetLite0Weights`).
@Suite(.enabled(if: EfficientNetLite0Weights.isAvailable, EfficientNetLite0Weights.missing))
struct EfficientNetLite0AccuracyTests {
    /// Caltech-101 class → the ImageNet classes that count as correct.
    static let imageNetClasses: [String: Set<Int>] = [
        "accordion": [401], "soccer_ball": [805], "pizza": [963], "strawberry": [949], "starfish": [327],
        "panda": [388], "grand_piano": [579], "laptop": [620, 681], "revolver": [763], "saxophone": [776],
        "llama": [355], "flamingo": [130], "dalmatian": [251], "umbrella": [879], "electric_guitar": [546],
        "airplanes": [404, 895, 908],
    ]

    /// The first two images of each class (by name), copied into Resources/caltech.
    @Test func topOneAndTopFiveOnTheBundledImages() throws {
        let root = try #require(
            Bundle.module.url(forResource: "caltech", withExtension: nil, subdirectory: "Resources"))
        let accuracy = try Self.accuracy(root: root.path, imagesPerClass: 2)
        #expect(accuracy.images == 32)
        #expect(accuracy.top1 >= 0.80, "top-1")
        #expect(accuracy.top5 >= 0.90, "top-5")
    }

    /// The first 20 images of each class of the real dataset at `CONFIT_CALTECH_ROOT`
    /// (the folder holding 101_ObjectCategories, or that folder itself); enabled when
    /// `CONFIT_CALTECH_ROOT` is set.
    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["CONFIT_CALTECH_ROOT"] != nil,
            "set CONFIT_CALTECH_ROOT to the Caltech-101 folder to run the 320-image accuracy check"))
    func topOneAndTopFiveOnTwentyImagesPerClass() throws {
        let root = try #require(ProcessInfo.processInfo.environment["CONFIT_CALTECH_ROOT"])
        let categories = URL(fileURLWithPath: root).appendingPathComponent("101_ObjectCategories").path
        let folder = FileManager.default.fileExists(atPath: categories) ? categories : root
        let accuracy = try Self.accuracy(root: folder, imagesPerClass: 20)
        #expect(accuracy.images == 320)
        #expect(accuracy.top1 >= 0.80, "top-1")
        #expect(accuracy.top5 >= 0.90, "top-5")
    }

    /// Top-1 and top-5 accuracy over the first `imagesPerClass` images (sorted by name) of
    /// each mapped class folder under `root`.
    static func accuracy(root: String, imagesPerClass: Int) throws -> (images: Int, top1: Double, top5: Double) {
        let weights = try EfficientNetLite0Weights.require()
        let model = EfficientNetLite0()
        try model.loadPretrained(weights.tensors.map { ($0.name, $0.tensor) })
        model.eval()
        let classNames = imageNetClasses.keys.sorted()
        var samples: [Sample] = []
        for (label, name) in classNames.enumerated() {
            let folder = URL(fileURLWithPath: root).appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".jpg") }
                .sorted()
            for file in files.prefix(imagesPerClass) {
                samples.append(
                    Sample(id: samples.count, label: label, source: .file(folder.appendingPathComponent(file).path)))
            }
        }
        var options = LoaderOptions.evaluation(batchSize: 16)
        options.normalization = .efficientNetLite
        let stream = try BatchLoader(samples: samples, options: options).epoch(0)
        var (top1, top5) = (0, 0)
        while let batch = try stream.next() {
            let logits = try model.forward(try Tensor(shape: batch.shape, values: batch.images))
            for (label, predictions) in zip(batch.labels, try Prediction.top(5, of: logits)) {
                let correct = imageNetClasses[classNames[label]]!
                if correct.contains(predictions[0].classIndex) { top1 += 1 }
                if predictions.contains(where: { correct.contains($0.classIndex) }) { top5 += 1 }
            }
        }
        let n = Double(samples.count)
        print(
            "EfficientNet-Lite0 on \(samples.count) Caltech-101 images: top-1 \(Double(top1) / n), top-5 \(Double(top5) / n)"
        )
        return (samples.count, Double(top1) / n, Double(top5) / n)
    }
}
