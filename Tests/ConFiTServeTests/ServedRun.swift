import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Foundation

/// A finished synthetic run of one method (Split Fashion-MNIST, 2 classes per task — 3
/// tasks for ConFiT, 2 for the others —, ResNet-18 at 32 px, 2 epochs), trained once per test
/// process and shared by the tests, and the two real image files the tests classify.
final class ServedRun: Sendable {
    let workspace: TemporaryDirectory
    let folder: URL
    let method: ContinualMethod
    let tasks: Int

    static let confit = Result { try ServedRun(.confit, tasks: 3) }
    static let simplecil = Result { try ServedRun(.simplecil) }
    static let packnet = Result { try ServedRun(.packnet(.init(retrainEpochs: 1))) }
    static let finetune = Result { try ServedRun(.finetune) }

    static let fixtures = FixtureFiles(Bundle.module)
    static let images = ["rgb.jpg", "gray.png"]

    private init(_ method: ContinualMethod, tasks: Int = 2) throws {
        (self.method, self.tasks) = (method, tasks)
        workspace = try TemporaryDirectory("confit-serve")
        workspace.removeAtExit()
        let data = workspace.appending("fashion-mnist")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        var idx = SyntheticIDX()
        idx.classes = max(idx.classes, 2 * tasks)  // classes past 4 are all dark: valid, hard
        try idx.write(to: data, trainPerClass: 8, testPerClass: 4)
        var config = try RunConfiguration(preset: .fashionMNIST, root: data.path, model: .resnet18, method: method)
        (config.training.taskLimit, config.training.epochs, config.training.batchSize) = (tasks, 2, 4)
        config.training.learningRate = 0.1
        (config.training.imageSize, config.training.resizeShortSide, config.training.loaderWorkers) = (32, 32, 0)
        folder = workspace.appending("run")
        try ContinualRun(config, folder: folder).execute()
    }

    /// What `confit predict --run [--precision]` gives for every test image as task `task`:
    /// each class's probability, in the task's class order.
    func predicted(task: Int, precision: DataType? = nil) throws -> [[Float]] {
        let predictor = try ImagePredictor.task(task, of: ContinualRun(resuming: folder, precision: precision))
        var rows: [[Float]] = []
        try predictor.predict(Self.images.map(Self.fixtures.path), top: 100, warn: { _ in }) { _, top in
            rows.append(Self.byClass(top))
        }
        return rows
    }

    /// Ranked predictions as probabilities by class index.
    static func byClass(_ top: [Prediction]) -> [Float] {
        var row = [Float](repeating: 0, count: top.count)
        for p in top { row[p.classIndex] = p.probability }
        return row
    }
}
