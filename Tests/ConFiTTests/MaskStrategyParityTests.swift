import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Testing

/// PackNet's pruning and masked evaluation, and Piggyback's masked forward and
/// straight-through mask gradient, against PyTorch's float64 reading of the official code
/// (Resources/mask_fixtures.safetensors, made by Resources/make_mask_fixtures.py), with the
/// parity tests' tolerance; which weights are pruned is compared exactly, to the index.
@Suite struct MaskStrategyParityTests {
    private let golden: SafeTensorsFile

    init() throws {
        golden = try SafeTensorsFile(contentsOf: fixture("mask_fixtures.safetensors"))
    }

    /// The tiny ResNet with the fixture's weights, and a context over it with tasks 0 and 1.
    private func network() throws -> (ResNet, StrategyContext) {
        let model = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 16, 16, 32], numClasses: 10))
        try model.loadStateDict(
            golden.tensors.filter { $0.name.hasPrefix("w/") }.map { (String($0.name.dropFirst(2)), $0.tensor) })
        let classes = try golden.tensor("input/classes").ints()
        let tasks = [Scenario.Task(id: 0, classes: [0, 1, 3]), Scenario.Task(id: 1, classes: classes)]
        let context = StrategyContext(
            network: model, classifier: model.fc, evaluator: TaskEvaluator(network: model, pairs: []),
            configuration: TrainingConfiguration(epochs: 5, batchSize: 4), tasks: tasks,
            trainingImages: { _, _ in throw ConFiTError.invalidConfiguration("no images in this test") })
        return (model, context)
    }

    private func tensor(_ name: String) throws -> Tensor {
        let host = try golden.tensor(name)
        return try Tensor(shape: host.shape, values: host.floats())
    }

    /// Task 1 (owner 2) pruned by 0.6 at the start of its retraining epoch: the same weights
    /// freed and zeroed as PyTorch's `pruning_mask`; then task 0 and task 1 evaluated through
    /// their masks give PyTorch's `apply_mask` logits.
    @Test func pruningAndMaskedEvaluationMatchPyTorch() throws {
        let (model, context) = try network()
        let packnet = PackNetStrategy(.init(prune: 0.6, retrainEpochs: 2))
        let convs = model.namedConvolutions()
        try packnet.restore(
            from: try convs.map { ("packnet.owner." + $0.0, try golden.tensor("packnet/owner_before/" + $0.0)) }
                + [("packnet.current", HostTensor(shape: [2], int64s: [1, 0]))])
        _ = packnet.epochStarting(2, of: 5, context)
        #expect(!(packnet.owners.values.contains { $0.contains(0) }), "no pruning before the last two epochs")
        _ = packnet.epochStarting(3, of: 5, context)
        #expect(Set(packnet.owners.keys) == Set(convs.map(\.0)))
        for (name, conv) in convs {
            let (owners, expected) = (
                try #require(packnet.owners[name]), try golden.tensor("packnet/owner_after/" + name).bytes
            )
            #expect(zip(owners, expected).filter { $0 != $1 }.count == 0, "owners of \(name) differing")
            let (weights, pruned) = (
                try conv.weight.value.toArray(), try golden.tensor("packnet/w_after/" + name).floats()
            )
            #expect(zip(weights, pruned).filter { $0 != $1 }.count == 0, "weights of \(name) differing")
        }
        #expect(packnet.owners.values.contains { $0.contains(0) } && packnet.owners.values.contains { $0.contains(2) })
        _ = packnet.epochStarting(4, of: 5, context)
        let freed = packnet.owners.values.map { $0.filter { $0 == 0 }.count }.reduce(0, +)
        let expectedFreed = try convs.map {
            try golden.tensor("packnet/owner_after/" + $0.0).bytes.filter { $0 == 0 }.count
        }.reduce(0, +)
        #expect(freed == expectedFreed, "a task prunes once")
        for i in [0, 1] {
            try packnet.select(task: i, after: 1, context)
            try assertClose(
                try model.forward(try tensor("input/x")), try golden.tensor("packnet/logits/task\(i)"), "task \(i)")
        }
        #expect(convs.allSatisfy { $0.1.weightMask == nil }, "selecting the last task leaves no mask")
    }

    /// With given real-valued masks, the frozen-BN forward uses W ⊙ [m > 5e-3]; backward and
    /// `finishGradients` give PyTorch's ∂loss/∂m through the straight-through binarizer.
    @Test func maskedForwardAndStraightThroughGradientMatchPyTorch() throws {
        let (model, context) = try network()
        let convs = model.namedConvolutions()
        try model.loadStateDict(try convs.map { ($0.0, try golden.tensor("packnet/w_after/" + $0.0)) }, strict: false)
        let piggyback = PiggybackStrategy()
        try piggyback.restore(
            from: try convs.map { ("piggyback.real." + $0.0, try golden.tensor("piggyback/real/" + $0.0)) })
        let task = context.tasks[1]
        let (optimizer, names) = try piggyback.makeOptimizer(task: task, context)
        #expect(Set(names.map(\.0)) == Set(convs.map { "piggyback.real." + $0.0 } + ["fc.weight", "fc.bias"]))
        #expect(optimizer is Adam)
        _ = piggyback.epochStarting(0, of: 5, context)
        let buffers = try model.namedBuffers().map { try $0.1.toArray() }
        for (_, p) in model.namedParameters() { p.zeroGradient() }
        let logits = try model.forward(try tensor("input/x"))
        try assertClose(logits, try golden.tensor("piggyback/logits"), "logits")
        let gradient = Tensor(shape: logits.shape)
        let loss = try CrossEntropy.loss(
            logits: logits, classes: task.classes, labels: try golden.tensor("input/labels").ints(),
            gradient: gradient)
        expectClose(loss, try golden.tensor("piggyback/loss").floats()[0], tolerance: 1e-5)
        _ = try model.backward(gradient, needsInputGradient: false)
        _ = try piggyback.finishGradients(task: task, context)
        let real = Dictionary(names, uniquingKeysWith: { a, _ in a })
        for (name, _) in convs {
            try assertClose(
                try #require(real["piggyback.real." + name]).gradient, try golden.tensor("piggyback/grad/" + name),
                name)
        }
        try assertClose(model.fc.weight.gradient, try golden.tensor("piggyback/grad/fc.weight"), "fc.weight")
        #expect(try model.namedBuffers().map { try $0.1.toArray() } == buffers, "BN running statistics frozen")
    }
}
