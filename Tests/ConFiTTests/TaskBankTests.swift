import ConFiT
import ConFiTEngine
import ConFiTIO
import ConFiTNN
import ConFiTTestSupport
import Testing

/// Task banks, the hierarchical schedule, and recovery against the statistics it stands in for.
@Suite struct TaskBankTests {
    /// Official arithmetic: stage 1 while epoch < E // 5, stage 2 while epoch < E // 2.
    @Test func scheduleMatchesIntegerArithmeticForOneToFiftyEpochs() {
        for epochs in 1...50 {
            for epoch in 0..<epochs {
                let expected: TrainableSelection =
                    epoch < epochs / 5 ? .classifier : epoch < epochs / 2 ? .classifierAndNormalization : .all
                #expect(
                    TrainingSchedule.hierarchical.selection(epoch: epoch, epochs: epochs) == expected,
                    "E=\(epochs) e=\(epoch)")
            }
        }
        // Spot checks by hand: E = 5 → fc, bn, all×3; E = 20 → fc×4, bn×6, all×10; E = 1 → all.
        #expect(
            (0..<5).map { TrainingSchedule.hierarchical.selection(epoch: $0, epochs: 5) } == [
                .classifier, .classifierAndNormalization, .all, .all, .all,
            ])
        #expect(
            (0..<20).map { TrainingSchedule.hierarchical.selection(epoch: $0, epochs: 20) }.filter { $0 == .classifier }
                .count == 4)
        #expect(
            (0..<20).map { TrainingSchedule.hierarchical.selection(epoch: $0, epochs: 20) }.filter { $0 == .all }.count
                == 10)
        #expect(TrainingSchedule.hierarchical.selection(epoch: 0, epochs: 1) == .all)
    }

    /// Capture, disturb every BN and tracker, restore: the network is bit-exactly back.
    @Test func bankRoundTripRestoresBitExactly() throws {
        let model = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 16], numClasses: 5), seed: 1)
        let pairs = try ConvolutionNormPair.pairs(in: model)
        var generator = SplitMix64(seed: 2)
        model.train()
        _ = try model.forward(
            try Tensor(shape: [2, 3, 16, 16], values: (0..<1536).map { _ in generator.nextGaussian() }))
        let before = try snapshot(pairs)
        let bank = try TaskBank(capturing: pairs)
        _ = try model.forward(
            try Tensor(shape: [2, 3, 16, 16], values: (0..<1536).map { _ in 3 + generator.nextGaussian() }))
        for pair in pairs { pair.normalization.weight.value.pointer[0] += 1 }
        #expect(try snapshot(pairs) != before)
        try bank.restore(into: pairs)
        #expect(try snapshot(pairs) == before)
        // 12 conv → BN pairs: the stem, layer1 (2), layers 2–4 (3 each, with downsample).
        // BN channels 8 + 2·8 + 3·8 + 3·16 + 3·16 = 144, × (γ, β, mean, var) = 576 floats.
        // Tracker means (stride-2 convs keep 4 phases): stem 4·3, layer1 8 + 8,
        // layer2 4·8 + 8 + 4·8, layer3 4·8 + 16 + 4·8, layer4 4·16 + 16 + 4·16 = 324.
        // Input shapes 12 × 4 = 48. Total 948 float32 values.
        let floats = 576 + 324 + 48
        #expect(bank.byteCount == floats * 4)
    }

    @Test func restoreRefusesAMismatchedBankAndChangesNothing() throws {
        let small = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 16], numClasses: 5))
        let wide = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 32], numClasses: 5))
        let bank = try TaskBank(capturing: try ConvolutionNormPair.pairs(in: small))
        let widePairs = try ConvolutionNormPair.pairs(in: wide)
        let before = try snapshot(widePairs)
        if let error = #expect(throws: (any Error).self, performing: { try bank.restore(into: widePairs) }) {
            #expect("\(error)".contains("shape"))
        }
        #expect(try snapshot(widePairs) == before)
    }

    /// PackNet's and Piggyback's BN bank: back bit for bit after a disturbance; a bank of a
    /// wider network, with a key too many or one too few, refused with the key named and
    /// nothing written.
    @Test func normalizationBankRoundTripAndRefusals() throws {
        let model = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 16], numClasses: 5), seed: 1)
        let pairs = try ConvolutionNormPair.pairs(in: model)
        let bank = try NormalizationBank(capturing: model)
        // 144 BN channels × (γ, β, mean, var), as in the round trip above.
        #expect(bank.byteCount == 576 * 4)
        let before = try snapshot(pairs)
        for pair in pairs {
            try pair.normalization.runningVariance.load(Array(repeating: 7, count: pair.normalization.channels))
        }
        try bank.restore(into: model)
        #expect(try snapshot(pairs) == before)

        let wide = ResNet(.init(block: .basic, layers: [1, 1, 1, 1], widths: [8, 8, 16, 32], numClasses: 5))
        let extra = HostTensor(shape: [1], floats: [0])
        let refusals: [(NormalizationBank, String)] = [
            (try NormalizationBank(capturing: wide), "layer4.0.bn1.weight: shape [32], expected [16]"),
            (NormalizationBank(tensors: bank.tensors.map { ($0.name, $0.tensor) } + [("fc.extra", extra)]), "fc.extra"),
            (
                NormalizationBank(tensors: bank.tensors.dropLast().map { ($0.name, $0.tensor) }),
                "layer4.0.downsample.1.running_var: missing"
            ),
        ]
        for pair in pairs { pair.normalization.weight.value.pointer[0] += 1 }
        let disturbed = try snapshot(pairs)
        for (refused, key) in refusals {
            if let error = #expect(throws: (any Error).self, performing: { try refused.restore(into: model) }) {
                #expect("\(error)".contains(key), "\(error)")
            }
            #expect(try snapshot(pairs) == disturbed)
        }
    }

    /// For a 1×1 stride-1 convolution (no padding, no spatial mixing) E[conv(x)] = conv(E[x])
    /// holds exactly, so after one training forward from zero the recovered mean equals the
    /// BN's running mean (both 0.1 × the batch mean) up to rounding.
    @Test func recoveryReproducesTrackedStatisticsOfTheSameData() throws {
        let conv = Conv2d(3, 4, kernelSize: 1)
        let bn = BatchNorm2d(4)
        var generator = SplitMix64(seed: 5)
        try conv.weight.value.load((0..<12).map { _ in generator.nextGaussian() })
        conv.weight.markChanged()
        try bn.runningMean.load([0, 0, 0, 0])
        let network = Sequential([conv, bn])
        let pairs = try ConvolutionNormPair.pairs(in: network)
        network.train()
        _ = try network.forward(
            try Tensor(shape: [3, 3, 5, 5], values: (0..<225).map { _ in 1 + generator.nextGaussian() }))
        let recovered = try pairs[0].tracker.recoveredMean()
        for (r, m) in zip(recovered, try bn.runningMean.toArray()) { expectClose(r, m, tolerance: 1e-5) }
    }

    private func snapshot(_ pairs: [ConvolutionNormPair]) throws -> [[Float]] {
        try pairs.flatMap { pair -> [[Float]] in
            let bn = pair.normalization
            return [
                try bn.weight.value.toArray(), try bn.bias.value.toArray(), try bn.runningMean.toArray(),
                try bn.runningVariance.toArray(),
            ] + pair.tracker.means
        }
    }
}
