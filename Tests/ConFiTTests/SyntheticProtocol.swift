import ConFiT
import ConFiTData
import ConFiTNN
import ConFiTTestSupport

/// A small protocol on which the methods differ: a tiny ResNet (widths 8/8/16/16), a
/// noisy synthetic 4-class IDX dataset of 12×12 images (24 training images per class),
/// 2 tasks of 2 classes in the order 3, 1, 0, 2, 5 epochs of batches of 8.
enum SyntheticProtocol {
    /// The images' contrast and noise and the test images per class, and the class order,
    /// can be changed (`ContinualTrainerTests` uses an easier set in natural order). The
    /// images' folder is kept in `workspaces` (a suite's, removed after the test).
    static func makeTrainer(
        _ method: ContinualMethod, in workspaces: TemporaryDirectories, tasks: Int = 2,
        images: (bright: Int, dark: Int, noise: Int, testPerClass: Int) = (150, 70, 90, 16),
        order: [Int] = [3, 1, 0, 2], configuration given: TrainingConfiguration? = nil
    ) throws -> ContinualTrainer {
        let root = try workspaces.make("confit-protocol")
        var idx = SyntheticIDX()
        (idx.side, idx.bright, idx.dark, idx.noise) = (12, images.bright, images.dark, images.noise)
        try idx.write(to: root.url, trainPerClass: 24, testPerClass: images.testPerClass)
        let data = try DatasetKind(name: "mnist").load(root: root.path)
        let scenario = try Scenario(dataset: data, order: .explicit(order), classesPerTask: 2)
        var configuration = TrainingConfiguration(epochs: 5, batchSize: 8, learningRate: 0.05, seed: 3)
        (configuration.resizeShortSide, configuration.imageSize, configuration.loaderWorkers) = (12, 12, 0)
        (configuration.evaluationBatchSize, configuration.taskLimit) = (16, tasks)
        configuration = given ?? configuration
        // MNIST's reader names all 10 digit classes; the data holds 4 of them.
        let network = ResNet(
            .init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 16], numClasses: data.classNames.count),
            seed: 4)
        return try ContinualTrainer(
            network: network, method: method, scenario: scenario, configuration: configuration,
            normalization: .imageNet)
    }

    /// Trains `method` through both tasks: every accuracy row and every epoch's mean loss.
    static func run(
        _ method: ContinualMethod, in workspaces: TemporaryDirectories
    ) throws -> (rows: [[Double]], losses: [Double], trainer: ContinualTrainer) {
        let trainer = try makeTrainer(method, in: workspaces)
        let log = try trainer.runLogged()
        return (log.accuracyRows, log.epochs.map(\.meanLoss), trainer)
    }
}

extension ContinualTrainer {
    /// The task banks of a bank-keeping strategy (none for the others).
    var banks: [TaskBank] { (strategy as? TaskBankStrategy)?.banks ?? [] }
}
