import ConFiT
import ConFiTTestSupport
import Foundation
import Testing

/// The runs a sweep plans and where each stands, read from real run folders (synthetic
/// Split Fashion-MNIST, ResNet-18 at 32 px, one task of two epochs).
@Suite struct SweepPlanTests {
    private func base(root: String) throws -> RunConfiguration {
        var config = try RunConfiguration(preset: .fashionMNIST, root: root, model: .resnet18)
        (config.training.taskLimit, config.training.epochs, config.training.batchSize, config.training.learningRate) = (
            1, 2, 4, 0.1
        )
        (config.training.imageSize, config.training.resizeShortSide, config.training.loaderWorkers) = (32, 32, 0)
        (config.training.trainImagesPerClass, config.training.testImagesPerClass) = (4, 2)
        return config
    }

    @Test func runsAreNamedAndOrderedSeedBySeed() throws {
        let plan = try SweepPlan(
            base: try base(root: "/data"), methods: [.confit, .lwf(.init())], seeds: [0, 2],
            folder: URL(fileURLWithPath: "/sweeps/a"))
        #expect(plan.runs.map(\.name) == ["confit-seed0", "lwf-seed0", "confit-seed2", "lwf-seed2"])
        #expect(plan.runs.map(\.folder.path) == plan.runs.map { "/sweeps/a/\($0.name)" })
        #expect(plan.runs.map(\.configuration.training.seed) == [0, 0, 2, 2])
        #expect(plan.runs[3].configuration.method == .lwf(.init()))
        if let error = #expect(
            throws: (any Error).self,
            performing: {
                try SweepPlan(
                    base: try base(root: "/data"), methods: [.confit, .confit], seeds: [0], folder: plan.folder)
            })
        {
            #expect("\(error)".contains("method confit is listed twice"), "\(error)")
        }
        #expect(throws: (any Error).self) {
            try SweepPlan(base: try base(root: "/data"), methods: [.confit], seeds: [1, 1], folder: plan.folder)
        }
        #expect(throws: (any Error).self) {
            try SweepPlan(base: try base(root: "/data"), methods: [], seeds: [1], folder: plan.folder)
        }
    }

    /// Not started → stopped after a batch (partial) → finished; the data folder spelled
    /// another way is the same run; another epoch count is not, and the error says so.
    @Test func stateFollowsTheRunFolder() throws {
        let workspace = try TemporaryDirectory("confit-sweep")
        let data = workspace.appending("fashion-mnist")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try SyntheticIDX().write(to: data, trainPerClass: 4, testPerClass: 2)
        let plan = try SweepPlan(
            base: try base(root: data.path), methods: [.finetune], seeds: [5], folder: workspace.appending("sweep"))
        let run = try #require(plan.runs.first)
        #expect(try SweepPlan.state(of: run) == .new)

        var configuration = run.configuration
        configuration.root = workspace.path + "/./fashion-mnist"
        let stopped = try ContinualRun(configuration, folder: run.folder)
        stopped.observers = [StopAfterFirstBatch()]
        if let error = #expect(throws: (any Error).self, performing: { try stopped.execute() }) {
            #expect("\(error)".contains("stopped at"), "\(error)")
        }
        #expect(try SweepPlan.state(of: run) == .partial(finishedTasks: 0, tasks: 1))

        try ContinualRun(resuming: run.folder).execute()
        #expect(try SweepPlan.state(of: run) == .finished)

        var longer = try base(root: data.path)
        longer.training.epochs = 3
        let other = try SweepPlan(base: longer, methods: [.finetune], seeds: [5], folder: plan.folder)
        if let error = #expect(throws: (any Error).self, performing: { try SweepPlan.state(of: other.runs[0]) }) {
            #expect("\(error)".contains("another configuration (training.epochs: 2 ≠ 3)"), "\(error)")
        }

        try SweepPlan.writeConfiguration(of: run)
        let written = try RunConfiguration(
            contentsOf: run.folder.appendingPathComponent(SweepPlan.configurationFileName))
        #expect(written == run.configuration)
        let recorded = try RunConfiguration(contentsOf: run.folder.appendingPathComponent(RunFolder.metricsJSON))
        #expect(recorded.matches(run.configuration), "a metrics.json reads as its run's configuration")
    }
}
