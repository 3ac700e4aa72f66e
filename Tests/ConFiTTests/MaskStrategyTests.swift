import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN
import XCTest

/// PackNet and Piggyback in whole runs of the synthetic protocol: what defines them (an
/// earlier task's accuracy never moves), what they store, and PackNet's schedule.
final class MaskStrategyTests: XCTestCase {
    /// a(1, 0) = a(0, 0) exactly, with BN frozen or kept per task; fine-tuning, run alike,
    /// does forget (so the comparison can fail). Piggyback at lr 1e-2: the official 1e-4
    /// barely moves masks over this protocol's randomly initialised network in 30 steps.
    func testEarlierTasksKeepTheirAccuracyExactly() throws {
        let methods: [ContinualMethod] = [
            .packnet(.init()), .packnet(.init(trainsNormalization: true)), .piggyback(.init(learningRate: 1e-2)),
            .piggyback(.init(learningRate: 1e-2, trainsNormalization: true)),
        ]
        for method in methods {
            let run = try SyntheticProtocol.run(method, in: self)
            XCTAssertEqual(run.rows[1][0], run.rows[0][0], "\(method)")
            XCTAssertGreaterThan(run.rows[0][0], 0.6, "\(method) learns task 0")
            XCTAssertGreaterThan(run.rows[1][1], 0.6, "\(method) learns task 1")
        }
        let finetune = try SyntheticProtocol.run(.finetune, in: self)
        XCTAssertNotEqual(finetune.rows[1][0], finetune.rows[0][0])
    }

    /// PackNet carries one owner byte per convolution weight and stores only BN banks per
    /// task (when it trains BN). Per layer, task 0 keeps n − round(0.75 n) of the n weights
    /// and task 1 as many of the rest — fewer in layers 3 and 4, which see 1 × 1 maps at
    /// 12 px: 8 of the 9 taps of their 3 × 3 kernels meet only padding, get no gradient,
    /// stay at zero and are pruned as ties of the k-th smallest, as officially.
    func testPackNetOwnersAndStorage() throws {
        let run = try SyntheticProtocol.run(.packnet(.init()), in: self)
        let packnet = try XCTUnwrap(run.trainer.strategy as? PackNetStrategy)
        let convs = run.trainer.network.namedLayers().compactMap { name, layer in (layer as? Conv2d).map { (name, $0) }
        }
        XCTAssertEqual(packnet.carriedBytes, convs.reduce(0) { $0 + $1.1.weight.value.count })
        XCTAssertEqual(packnet.storedBytes(task: 0), 0)
        for (name, conv) in convs {
            let owners = try XCTUnwrap(packnet.owners[name + ".weight"])
            let n = owners.count, kept = { (task: UInt8) in owners.filter { $0 == task }.count }
            XCTAssertEqual(kept(1), n - Int((0.75 * Double(n)).rounded(.toNearestOrEven)), name)
            let free = n - kept(1), expected = free - Int((0.75 * Double(free)).rounded(.toNearestOrEven))
            if name.hasPrefix("layer3") || name.hasPrefix("layer4") {
                XCTAssertLessThanOrEqual(kept(2), expected, name)
            } else {
                XCTAssertEqual(kept(2), expected, name)
            }
            let weights = try conv.weight.value.toArray()
            XCTAssertTrue(zip(owners, weights).allSatisfy { $0 != 0 || $1 == 0 }, "\(name): free weights are zero")
        }

        let banked = try SyntheticProtocol.run(.packnet(.init(trainsNormalization: true)), in: self)
        let norms = banked.trainer.network.namedLayers().compactMap { $0.1 as? BatchNorm2d }
        XCTAssertEqual(banked.trainer.strategy.storedBytes(task: 1), norms.reduce(0) { $0 + 4 * 4 * $1.channels })
    }

    /// Piggyback stores one bit per convolution weight per task (rounded up to bytes per
    /// layer), the real-valued masks only while a task trains.
    func testPiggybackStoresOneBitPerWeightPerTask() throws {
        let run = try SyntheticProtocol.run(.piggyback(.init()), in: self)
        let convs = run.trainer.network.namedLayers().compactMap { $0.1 as? Conv2d }
        let bytes = convs.reduce(0) { $0 + ($1.weight.value.count + 7) / 8 }
        XCTAssertEqual(run.trainer.strategy.storedBytes(task: 0), bytes)
        XCTAssertEqual(run.trainer.strategy.storedBytes(task: 1), bytes)
        XCTAssertEqual(run.trainer.strategy.carriedBytes, 0)
        XCTAssertFalse(try run.trainer.strategy.state().contains { $0.0.hasPrefix("piggyback.real.") })
        XCTAssertEqual(
            try run.trainer.network.namedParameters().filter { !$0.0.hasPrefix("fc.") }.map {
                try $0.1.value.toArray()
            },
            try SyntheticProtocol.makeTrainer(.piggyback(.init()), in: self).network.namedParameters()
                .filter { !$0.0.hasPrefix("fc.") }.map { try $0.1.value.toArray() },
            "the backbone's weights and BN never change")
    }

    /// An exported task (masks, BN bank, classifier rows) put into a fresh network holding
    /// the checkpoint's shared weights gives the logits the run's network gives for the task
    /// in its evaluation; its masks take one bit per convolution weight.
    func testExportedTaskRebuildsTheTasksNetwork() throws {
        for method in [
            ContinualMethod.packnet(.init(trainsNormalization: true)), .piggyback(.init(learningRate: 1e-2)),
        ] {
            let trainer = try SyntheticProtocol.makeTrainer(method, in: self)
            let checkpoint = try XCTUnwrap(trainer.runLogged().lastCheckpoint)
            let file = try TaskFile(
                task: 0, classes: [3, 1], checkpoint: checkpoint, classifier: "fc", model: .resnet18,
                method: method, transform: EvalTransform(resizeShortSide: 12, cropSize: 12), classNames: nil)
            let convs = trainer.network.namedLayers().compactMap { $0.1 as? Conv2d }
            let maskBytes = file.taskTensors.filter { $0.0.hasPrefix("mask.") }.reduce(0) { $0 + $1.1.bytes.count }
            XCTAssertEqual(maskBytes, convs.reduce(0) { $0 + ($1.weight.value.count + 7) / 8 }, method.name)

            let fresh = ResNet(
                .init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 16], numClasses: 10), seed: 9)
            try fresh.loadStateDict(
                checkpoint.file.tensors.filter { $0.name.hasPrefix("model.") }
                    .map { (String($0.name.dropFirst(6)), $0.tensor) })
            try method.makeStrategy().importTask(
                file.taskTensors, metadata: file.file.metadata, into: TaskEvaluator(network: fresh, pairs: []))
            try trainer.select(task: 0, after: 1)
            let input = try Tensor(shape: [3, 3, 12, 12], values: (0..<1296).map { Float($0 % 17) / 17 - 0.5 })
            XCTAssertEqual(
                try fresh.forward(input).toArray(), try trainer.network.forward(input).toArray(), method.name)
            try trainer.select(task: 1, after: 1)
            XCTAssertNotEqual(
                try fresh.forward(input).toArray(), try trainer.network.forward(input).toArray(), method.name)
        }
    }

    /// More retraining epochs than the task has is refused before any training.
    func testPackNetRefusesRetrainingWithoutTraining() throws {
        let trainer = try SyntheticProtocol.makeTrainer(.packnet(.init(retrainEpochs: 5)), in: self)
        XCTAssertThrowsError(try trainer.runLogged()) { error in
            XCTAssertTrue("\(error)".contains("--packnet-retrain-epochs 5"), "\(error)")
        }
    }
}
