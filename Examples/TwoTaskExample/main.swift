// Two tasks of Split Fashion-MNIST with ConFiT, through the library alone:
// swift run TwoTaskExample [FASHION_MNIST_ROOT] [RUN_FOLDER]
import ConFiT
import Foundation

let arguments = CommandLine.arguments.dropFirst()
let root = arguments.first ?? "/usr/share/datasets/fashion-mnist"
let folder = URL(fileURLWithPath: arguments.dropFirst().first ?? "runs/two-task-example")

var config = try RunConfiguration(preset: .fashionMNIST, root: root, model: .resnet18, method: .confit)
config.training.taskLimit = 2
config.training.epochs = 2
config.training.imageSize = 32
config.training.resizeShortSide = 32
config.training.trainImagesPerClass = 64
config.training.testImagesPerClass = 64

// A new run, or the one already in the folder continued (or, finished, reported).
let metrics = try ContinualRun.resumingIfPresent(config, folder: folder).execute()
for (t, row) in metrics.accuracy.rows.enumerated() {
    print("after task \(t): " + row.map { String(format: "%.3f", $0) }.joined(separator: " "))
}
print("final average accuracy", metrics.accuracy.finalAverageAccuracy ?? 0)
