import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Testing

/// LwF's and EWC's loss terms, their gradients and EWC's Fisher against PyTorch's float64
/// autograd of FACIL's definitions (Resources/strategy_fixtures.safetensors, made by
/// Resources/make_strategy_fixtures.py), with the parity tests' tolerance. The batch is
/// task 2's; tasks 0 and 1 came before.
@Suite struct StrategyParityTests {
    private let golden: SafeTensorsFile

    init() throws {
        golden = try SafeTensorsFile(contentsOf: fixture("strategy_fixtures.safetensors"))
    }

    /// The tiny ResNet with the fixture's weights under `prefix`, and a context over it.
    private func network(_ prefix: String) throws -> (ResNet, StrategyContext) {
        let model = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 16, 16, 32], numClasses: 10))
        try model.loadStateDict(weights(prefix))
        let classes = try golden.tensor("input/tasks").ints()
        let tasks = (0..<3).map { Scenario.Task(id: $0, classes: Array(classes[(3 * $0)..<(3 * $0 + 3)])) }
        let context = StrategyContext(
            network: model, classifier: model.fc, evaluator: TaskEvaluator(network: model, pairs: []),
            configuration: TrainingConfiguration(epochs: 1, batchSize: 4), tasks: tasks,
            trainingImages: { _, _ in throw ConFiTError.invalidConfiguration("no images in this test") })
        return (model, context)
    }

    private func weights(_ prefix: String) -> [(String, HostTensor)] {
        golden.tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) }
    }

    private func input(_ name: String) throws -> Tensor {
        let host = try golden.tensor(name)
        return try Tensor(shape: host.shape, values: host.floats())
    }

    /// The batch as the loader would give it, with sample ids 100...103.
    private func batch() throws -> Batch {
        let x = try golden.tensor("input/x")
        return Batch(
            images: x.floats(), shape: x.shape, labels: try golden.tensor("input/labels").ints(),
            sampleIDs: Array(100..<104))
    }

    /// One training step's forward, loss terms and backward through `strategy`, without
    /// the update, so the gradients can be compared.
    private func lossAndGradients(
        _ strategy: any ContinualStrategy, _ model: ResNet, _ context: StrategyContext
    ) throws -> Float {
        let task = context.tasks[2], batch = try batch()
        model.train()
        model.setTrainable(.all)
        for (_, p) in model.namedParameters() { p.zeroGradient() }
        let logits = try model.forward(try input("input/x"))
        let gradient = Tensor(shape: logits.shape)
        var loss = try CrossEntropy.loss(
            logits: logits, classes: task.classes, labels: batch.labels, gradient: gradient)
        loss += try strategy.addLoss(logits: logits, gradient: gradient, batch: batch, task: task, context)
        _ = try model.backward(gradient, needsInputGradient: false)
        return loss + (try strategy.finishGradients(task: task, context))
    }

    @Test func lwfLossAndEveryGradientMatchPyTorch() throws {
        let (model, context) = try network("w_new/")
        let lwf = LwFStrategy(.init(lambda: 0.7, temperature: 3))
        // The teacher's logits as a checkpoint holds them: one row per training image id.
        try lwf.restore(from: [
            ("lwf.teacher_ids", HostTensor(shape: [4], int64s: Array(100..<104))),
            ("lwf.teacher_logits", try golden.tensor("lwf/teacher")),
        ])
        let loss = try lossAndGradients(lwf, model, context)
        expectClose(loss, try golden.tensor("lwf/loss").floats()[0], tolerance: 1e-5)
        let expectedKD = try golden.tensor("lwf/kd").floats()[0]
        #expect(expectedKD > 0.05, "the fixture's distillation term is not negligible")

        let current = Set(context.tasks[2].classes)
        for (name, p) in model.namedParameters() where !name.hasPrefix("fc.") {
            try assertClose(p.gradient, try golden.tensor("lwf/grad/" + name), "lwf/grad/" + name)
        }
        // The classifier: PyTorch's gradient on the task's rows, none on the others.
        let features = model.fc.inFeatures
        let (weight, bias) = (try model.fc.weight.gradient.toArray(), try model.fc.bias.gradient.toArray())
        let (expectedWeight, expectedBias) = (
            try golden.tensor("lwf/grad/fc.weight").floats(), try golden.tensor("lwf/grad/fc.bias").floats()
        )
        for c in 0..<10 {
            let rows = (c * features)..<((c + 1) * features)
            if current.contains(c) {
                assertClose(
                    Array(weight[rows]), HostTensor(shape: [features], floats: Array(expectedWeight[rows])),
                    "fc.weight row \(c)")
                expectClose(bias[c], expectedBias[c], tolerance: 1e-6, "fc.bias \(c)")
            } else {
                #expect(Array(weight[rows]) == Array(repeating: 0, count: features), "fc.weight row \(c) stays fixed")
                #expect(bias[c] == 0, "fc.bias \(c) stays fixed")
                if context.tasks[0..<2].contains(where: { $0.classes.contains(c) }) {
                    #expect(expectedWeight[rows.lowerBound] != 0, "distillation has a gradient for old row \(c)")
                }
            }
        }
    }

    @Test func lwfIsPlainCrossEntropyInTheFirstTask() throws {
        let (model, context) = try network("w_new/")
        let logits = try model.forward(try input("input/x"))
        let gradient = Tensor(shape: logits.shape)
        #expect(
            try LwFStrategy().addLoss(
                logits: logits, gradient: gradient, batch: try batch(), task: context.tasks[0], context) == 0)
        #expect(try gradient.toArray() == Array(repeating: 0, count: 40))
    }

    @Test func ewcFisherMatchesPyTorchAndLeavesRunningStatisticsAlone() throws {
        let (model, context) = try network("w_new/")
        let before = try model.namedBuffers().map { try $0.1.toArray() }
        let head = Set(model.fc.ownParameters.map { ObjectIdentifier($0.1) })
        let backbone = model.namedParameters().filter { !head.contains(ObjectIdentifier($0.1)) }
        var batches = [try input("input/x"), try input("input/x2")].makeIterator()
        let fisher = try FisherDiagonal(network: model, parameters: backbone, classes: context.tasks[2].classes) {
            batches.next()
        }
        #expect(fisher.samples == 8)
        #expect(Set(fisher.values.keys) == Set(backbone.map(\.0)))
        for (name, _) in backbone {
            assertClose(
                try #require(fisher.values[name]), try golden.tensor("ewc/fisher/" + name), "ewc/fisher/" + name)
        }
        #expect(try model.namedBuffers().map { try $0.1.toArray() } == before, "BN running statistics as they were")
    }

    @Test func ewcPenaltyAndEveryGradientMatchPyTorch() throws {
        let (model, context) = try network("w_new/")
        let ewc = EWCStrategy(.init(lambda: 5000, alpha: 0.5))
        // F merged into zeros with α = 0.5, θ* the weights before the task.
        let anchors = Dictionary(weights("w_old/"), uniquingKeysWith: { a, _ in a })
        let state = try model.namedParameters().filter { !$0.0.hasPrefix("fc.") }.flatMap { name, _ in
            [
                (
                    "ewc.fisher." + name,
                    HostTensor(
                        shape: [try golden.tensor("ewc/fisher/" + name).count],
                        floats: try golden.tensor("ewc/fisher/" + name).floats().map { 0.5 * $0 })
                ),
                ("ewc.anchor." + name, try #require(anchors[name])),
            ]
        }
        try ewc.restore(from: state)
        let loss = try lossAndGradients(ewc, model, context)
        let penalty = try golden.tensor("ewc/penalty").floats()[0]
        #expect(5000 * penalty > 0.05, "the fixture's penalty is not negligible")
        expectClose(loss, try golden.tensor("ewc/loss").floats()[0], tolerance: 1e-4 * loss)
        for (name, p) in model.namedParameters() {
            try assertClose(p.gradient, try golden.tensor("ewc/grad/" + name), "ewc/grad/" + name)
        }
        #expect(
            ewc.carriedBytes == 2 * 4
                * model.namedParameters().filter { !$0.0.hasPrefix("fc.") }.reduce(0) { $0 + $1.1.value.count })
    }
}
