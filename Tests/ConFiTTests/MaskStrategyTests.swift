import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Testing

/// PackNet and Piggyback in whole runs of the synthetic protocol: what defines them (an
/// earlier task's accuracy never moves), what they store, and PackNet's schedule.
@Suite struct MaskStrategyTests {
    /// The synthetic protocol's folders, kept until the test ends.
    private let workspaces = TemporaryDirectories()

    /// a(1, 0) = a(0, 0) exactly, with BN frozen or kept per task; fine-tuning, run alike,
    /// does forget (so the comparison can fail). Piggyback at lr 1e-2: the official 1e-4
    /// barely moves masks over this protocol's randomly initialised network in 30 steps.
    @Test func earlierTasksKeepTheirAccuracyExactly() throws {
        let methods: [ContinualMethod] = [
            .packnet(.init()), .packnet(.init(trainsNormalization: true)), .piggyback(.init(learningRate: 1e-2)),
            .piggyback(.init(learningRate: 1e-2, trainsNormalization: true)),
        ]
        for method in methods {
            let run = try SyntheticProtocol.run(method, in: workspaces)
            #expect(run.rows[1][0] == run.rows[0][0], "\(method)")
            #expect(run.rows[0][0] > 0.6, "\(method) learns task 0")
            #expect(run.rows[1][1] > 0.6, "\(method) learns task 1")
        }
        let finetune = try SyntheticProtocol.run(.finetune, in: workspaces)
        #expect(finetune.rows[1][0] != finetune.rows[0][0])
    }

    /// PackNet carries one owner byte per convolution weight and stores only BN banks per
    /// task (when it trains BN). Per layer, task 0 keeps n − round(0.75 n) of the n weights
    /// and task 1 as many of the rest — fewer in layers 3 and 4, which see 1 × 1 maps at
    /// 12 px: 8 of the 9 taps of their 3 × 3 kernels meet only padding, get no gradient,
    /// stay at zero and are pruned as ties of the k-th smallest, as officially.
    @Test func packNetOwnersAndStorage() throws {
        let run = try SyntheticProtocol.run(.packnet(.init()), in: workspaces)
        let packnet = try #require(run.trainer.strategy as? PackNetStrategy)
        let convs = run.trainer.network.namedLayers().compactMap { name, layer in (layer as? Conv2d).map { (name, $0) }
        }
        #expect(packnet.carriedBytes == convs.reduce(0) { $0 + $1.1.weight.value.count })
        #expect(packnet.storedBytes(task: 0) == 0)
        for (name, conv) in convs {
            let owners = try #require(packnet.owners[name + ".weight"])
            let n = owners.count, kept = { (task: UInt8) in owners.filter { $0 == task }.count }
            #expect(kept(1) == n - Int((0.75 * Double(n)).rounded(.toNearestOrEven)), "\(name)")
            let free = n - kept(1), expected = free - Int((0.75 * Double(free)).rounded(.toNearestOrEven))
            if name.hasPrefix("layer3") || name.hasPrefix("layer4") {
                #expect(kept(2) <= expected, "\(name)")
            } else {
                #expect(kept(2) == expected, "\(name)")
            }
            let weights = try conv.weight.value.toArray()
            #expect(zip(owners, weights).allSatisfy { $0 != 0 || $1 == 0 }, "\(name): free weights are zero")
        }

        let banked = try SyntheticProtocol.run(.packnet(.init(trainsNormalization: true)), in: workspaces)
        let norms = banked.trainer.network.namedLayers().compactMap { $0.1 as? BatchNorm2d }
        #expect(banked.trainer.strategy.storedBytes(task: 1) == norms.reduce(0) { $0 + 4 * 4 * $1.channels })
    }

    /// Piggyback stores one bit per convolution weight per task (rounded up to bytes per
    /// layer), the real-valued masks only while a task trains.
    @Test func piggybackStoresOneBitPerWeightPerTask() throws {
        let run = try SyntheticProtocol.run(.piggyback(.init()), in: workspaces)
        let convs = run.trainer.network.namedLayers().compactMap { $0.1 as? Conv2d }
        let bytes = convs.reduce(0) { $0 + ($1.weight.value.count + 7) / 8 }
        #expect(run.trainer.strategy.storedBytes(task: 0) == bytes)
        #expect(run.trainer.strategy.storedBytes(task: 1) == bytes)
        #expect(run.trainer.strategy.carriedBytes == 0)
        #expect(try !(run.trainer.strategy.state().contains { $0.0.hasPrefix("piggyback.real.") }))
        #expect(
            try run.trainer.network.namedParameters().filter { !$0.0.hasPrefix("fc.") }.map {
                try $0.1.value.toArray()
            }
                == SyntheticProtocol.makeTrainer(.piggyback(.init()), in: workspaces).network.namedParameters()
                .filter { !$0.0.hasPrefix("fc.") }.map { try $0.1.value.toArray() },
            "the backbone's weights and BN never change")
    }

    /// An exported task (masks, BN bank, classifier rows) put into a fresh network holding
    /// the checkpoint's shared weights gives the logits the run's network gives for the task
    /// in its evaluation; its masks take one bit per convolution weight.
    @Test func exportedTaskRebuildsTheTasksNetwork() throws {
        for method in [
            ContinualMethod.packnet(.init(trainsNormalization: true)), .piggyback(.init(learningRate: 1e-2)),
        ] {
            let trainer = try SyntheticProtocol.makeTrainer(method, in: workspaces)
            let checkpoint = try #require(trainer.runLogged().lastCheckpoint)
            let file = try TaskFile(
                task: 0, classes: [3, 1], checkpoint: checkpoint, classifier: "fc", model: .resnet18,
                method: method, transform: EvalTransform(resizeShortSide: 12, cropSize: 12), classNames: nil)
            let convs = trainer.network.namedLayers().compactMap { $0.1 as? Conv2d }
            let maskBytes = file.taskTensors.filter { $0.0.hasPrefix("mask.") }.reduce(0) { $0 + $1.1.bytes.count }
            #expect(maskBytes == convs.reduce(0) { $0 + ($1.weight.value.count + 7) / 8 }, "\(method.name)")

            let fresh = ResNet(
                .init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 16], numClasses: 10), seed: 9)
            try fresh.loadStateDict(
                checkpoint.file.tensors.filter { $0.name.hasPrefix("model.") }
                    .map { (String($0.name.dropFirst(6)), $0.tensor) })
            try method.makeStrategy().importTask(
                file.taskTensors, metadata: file.file.metadata, into: TaskEvaluator(network: fresh, pairs: []))
            try trainer.select(task: 0, after: 1)
            let input = try Tensor(shape: [3, 3, 12, 12], values: (0..<1296).map { Float($0 % 17) / 17 - 0.5 })
            #expect(try fresh.forward(input).toArray() == trainer.network.forward(input).toArray(), "\(method.name)")
            try trainer.select(task: 1, after: 1)
            #expect(try fresh.forward(input).toArray() != trainer.network.forward(input).toArray(), "\(method.name)")
        }
    }

    /// More retraining epochs than the task has is refused before any training.
    @Test func packNetRefusesRetrainingWithoutTraining() throws {
        let trainer = try SyntheticProtocol.makeTrainer(.packnet(.init(retrainEpochs: 5)), in: workspaces)
        if let error = #expect(throws: (any Error).self, performing: { try trainer.runLogged() }) {
            #expect("\(error)".contains("--packnet-retrain-epochs 5"), "\(error)")
        }
    }
}
