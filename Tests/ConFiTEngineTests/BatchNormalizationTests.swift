import ConFiTEngine
import ConFiTTestSupport
import Foundation
import Testing

/// Batch normalization against hand-computed values and the closed-form formulas
/// (computed in Double here): training forward with batch statistics (biased variance),
/// inference forward with given statistics, and backward (input gradient; γ and β
/// gradients added into the caller's tensors).
///
/// Tolerance: 1e-5 absolute for the hand-computed case (exact binary fractions), 1e-4
/// absolute for the formula cases (values of order 1, float32 reductions).
@Suite struct BatchNormalizationTests {
    /// [N=2, C=2, H=1, W=2], ε = 6. Channel 0 holds −2, 0, 4, 6: mean 2, biased variance
    /// (16 + 4 + 4 + 16) / 4 = 10, σ = √(10 + 6) = 4, x̂ = −1, −½, ½, 1; γ = 2, β = 1.
    /// Channel 1 holds 14, 6, 12, 8: mean 10, variance 10, x̂ = 1, −1, ½, −½; γ = −1, β = ½.
    @Test func trainingForwardAndBackwardByHand() throws {
        let shape = [2, 2, 1, 2]
        for format in activationFormats {
            let bn = try BatchNormalization(shape: shape, format: format, epsilon: 6, training: true)
            let input = try makeTensor(shape, [-2, 0, 14, 6, 4, 6, 12, 8], format)
            let (scale, shift) = (try makeTensor([2], [2, -1]), try makeTensor([2], [1, 0.5]))
            let output = Tensor(shape: shape, format: format)
            try bn.forward(
                input, scale: scale, shift: shift, mean: Tensor(shape: [2]), variance: Tensor(shape: [2]), into: output)
            try assertValues(bn.batchMean, [2, 10], accuracy: 1e-5, "mean \(format)")
            try assertValues(bn.batchVariance, [10, 10], accuracy: 1e-5, "variance \(format)")
            // y = γ x̂ + β
            try assertValues(output, [-1, 0, -0.5, 1.5, 2, 3, 0, 1], accuracy: 1e-5, "output \(format)")

            // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)); dγ = Σ dy · x̂; dβ = Σ dy.
            // Channel 0: dy = 1, 0, 0, 0 → dx = ½ · (dy − ¼ + ¼ x̂) = ¼, −3/16, −1/16, 0; dγ = −1, dβ = 1.
            // Channel 1: dy = 0, 2, 0, 2 → dx = −¼ · (dy − 1 + ¾ x̂) = 1/16, −1/16, 5/32, −5/32; dγ = −3, dβ = 4.
            let outputGradient = try makeTensor(shape, [1, 0, 0, 2, 0, 0, 0, 2], format)
            let inputGradient = try filledTensor(shape, 9, format)
            let (scaleGradient, shiftGradient) = (try makeTensor([2], [10, 20]), try makeTensor([2], [1, 2]))
            try bn.backward(
                input: input, outputGradient: outputGradient, scale: scale, shift: shift, inputGradient: inputGradient,
                accumulateScale: scaleGradient, accumulateShift: shiftGradient)
            try assertValues(
                inputGradient, [0.25, -0.1875, 0.0625, -0.0625, -0.0625, 0, 0.15625, -0.15625], accuracy: 1e-5,
                "input gradient \(format)")
            try assertValues(scaleGradient, [10 - 1, 20 - 3], accuracy: 1e-5, "γ gradient \(format)")
            try assertValues(shiftGradient, [1 + 1, 2 + 4], accuracy: 1e-5, "β gradient \(format)")
        }
    }

    @Test func trainingAgainstFormulas() throws {
        try checkTrainingAgainstFormulas(affineGradients: true)
    }

    /// With γ and β frozen (accumulateScale/Shift nil) the input gradient is still needed.
    @Test func backwardWithoutAffineGradients() throws {
        try checkTrainingAgainstFormulas(affineGradients: false)
    }

    /// Inference uses the given statistics: y = γ (x − m) / √(v + ε) + β. By hand for
    /// channel 0 (m = 1, v = 3, ε = 1 → σ = 2, γ = 4, β = −1: y = 2x − 3) and channel 1
    /// (m = −2, v = 0.5, ε = 1 → σ² = 1.5, γ = 1, β = 0: y = (x + 2) / √1.5).
    @Test func inferenceForward() throws {
        let shape = [1, 2, 1, 3]
        let x: [Float] = [0, 1, 5, -2, 1, 4]
        for format in activationFormats {
            let bn = try BatchNormalization(shape: shape, format: format, epsilon: 1, training: false)
            let output = Tensor(shape: shape, format: format)
            try bn.forward(
                makeTensor(shape, x, format), scale: makeTensor([2], [4, 1]), shift: makeTensor([2], [-1, 0]),
                mean: makeTensor([2], [1, -2]), variance: makeTensor([2], [3, 0.5]), into: output)
            let s = sqrt(1.5)
            try assertValues(output, [-3, -1, 7, 0, 3 / s, 6 / s], accuracy: 1e-5, "\(format)")
        }
    }

    /// relu(BN(x)) in one pass: training output and gradients equal the formulas with the
    /// ReLU applied (gradient zero where the output is not positive); inference likewise
    /// (the hand-computed values above, negatives cut to zero).
    @Test func fusedReLU() throws {
        try checkTrainingAgainstFormulas(affineGradients: true, fusedReLU: true)
        for format in activationFormats {
            let shape = [1, 2, 1, 3]
            let bn = try BatchNormalization(shape: shape, format: format, epsilon: 1, training: false, fusedReLU: true)
            let output = Tensor(shape: shape, format: format)
            try bn.forward(
                makeTensor(shape, [0, 1, 5, -2, 1, 4], format), scale: makeTensor([2], [4, 1]),
                shift: makeTensor([2], [-1, 0]), mean: makeTensor([2], [1, -2]),
                variance: makeTensor([2], [3, 0.5]), into: output)
            try assertValues(output, [0, 0, 7, 0, 3 / sqrt(1.5), 6 / sqrt(1.5)], accuracy: 1e-5, "inference \(format)")
        }
    }

    /// Frozen statistics (training with the given m, v as constants, as PyTorch's eval-mode
    /// BN backward): the inference case's numbers forward; backward by hand, dx = dy · γ/σ,
    /// dγ = Σ dy · x̂, dβ = Σ dy. Channel 0: x̂ = −½, 0, 2, dy = 1, 2, 3 → dx = 2, 4, 6,
    /// dγ = 5.5, dβ = 6; channel 1 (σ = √1.5 = s): x̂ = 0, 3/s, 6/s, dy = −1, 0, 1 → dx =
    /// −1/s, 0, 1/s, dγ = 6/s, dβ = 0. With the fused ReLU only outputs > 0 pass dy: channel
    /// 0's third (dx = 0, 0, 6, dγ = 6, dβ = 3), channel 1's third (dx = 0, 0, 1/s, dγ = 6/s, dβ = 1).
    @Test func frozenStatisticsByHand() throws {
        let shape = [1, 2, 1, 3]
        let s = sqrt(1.5)
        for fused in [false, true] {
            for format in activationFormats {
                let bn = try BatchNormalization(
                    shape: shape, format: format, epsilon: 1, training: true, frozenStatistics: true,
                    fusedReLU: fused)
                let (scale, shift) = (try makeTensor([2], [4, 1]), try makeTensor([2], [-1, 0]))
                let (mean, variance) = (try makeTensor([2], [1, -2]), try makeTensor([2], [3, 0.5]))
                let input = try makeTensor(shape, [0, 1, 5, -2, 1, 4], format)
                let output = Tensor(shape: shape, format: format)
                try bn.forward(input, scale: scale, shift: shift, mean: mean, variance: variance, into: output)
                let y: [Double] = [-3, -1, 7, 0, 3 / s, 6 / s]
                try assertValues(
                    output, fused ? y.map { max($0, 0) } : y, accuracy: 1e-5, "output \(format) fused \(fused)")
                let inputGradient = Tensor(shape: shape, format: format)
                let (scaleGradient, shiftGradient) = (Tensor(shape: [2]), Tensor(shape: [2]))
                try bn.backward(
                    input: input, outputGradient: makeTensor(shape, [1, 2, 3, -1, 0, 1], format), scale: scale,
                    shift: shift, inputGradient: inputGradient, accumulateScale: scaleGradient,
                    accumulateShift: shiftGradient)
                try assertValues(
                    inputGradient, fused ? [0, 0, 6, 0, 0, 1 / s] : [2, 4, 6, -1 / s, 0, 1 / s], accuracy: 1e-5,
                    "input gradient \(format) fused \(fused)")
                try assertValues(
                    scaleGradient, fused ? [6, 6 / s] : [5.5, 6 / s], accuracy: 1e-5, "γ gradient \(format)")
                try assertValues(shiftGradient, fused ? [3, 1] : [6, 0], accuracy: 1e-5, "β gradient \(format)")
                try assertValues(mean, [1, -2], accuracy: 0, "the given statistics stay as they are")
            }
        }
    }

    @Test func backwardOfInferenceNormalizationIsRefused() throws {
        let bn = try BatchNormalization(shape: [1, 1, 1, 2], format: .plain, epsilon: 1e-5, training: false)
        let t = { Tensor(shape: [1, 1, 1, 2]) }
        assertInvalidArgument {
            try bn.backward(
                input: t(), outputGradient: t(), scale: Tensor(shape: [1]), shift: Tensor(shape: [1]),
                inputGradient: t(), accumulateScale: nil, accumulateShift: nil)
        }
        assertInvalidArgument {
            _ = try BatchNormalization(shape: [2, 3], format: .plain, epsilon: 1e-5, training: true)
        }
    }

    @Test func shapeMismatch() throws {
        let bn = try BatchNormalization(shape: [1, 2, 2, 2], format: .plain, epsilon: 1e-5, training: true)
        let c = { Tensor(shape: [2]) }
        assertShapeMismatch {
            try bn.forward(
                Tensor(shape: [1, 2, 2, 3]), scale: c(), shift: c(), mean: c(), variance: c(),
                into: Tensor(shape: [1, 2, 2, 2]))
        }
    }

    /// [2, 5, 3, 4] in every layout (5 channels: nChw16c padding) against
    /// `BatchNormReference`; γ/β gradients start at 1 and −1 to show they accumulate.
    private func checkTrainingAgainstFormulas(
        affineGradients: Bool, fusedReLU: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let shape = [2, 5, 3, 4]
        let x = sampleValues(120, seed: 4).enumerated().map { $1 + Float($0 / 12 % 5) }  // mean ≈ channel index
        let dy = sampleValues(120, seed: 5)
        let gamma: [Float] = [1, -0.5, 2, 0.25, 1.5], beta: [Float] = [0, 1, -1, 0.5, 2]
        let epsilon = 1e-3
        let reference = BatchNormReference(shape: shape, x: x)
        let (mean, variance) = reference.statistics()
        var normalized = reference.normalize(mean: mean, variance: variance, epsilon: epsilon, gamma: gamma, beta: beta)
        var passed = dy
        if fusedReLU {
            #expect(normalized.contains { $0 < 0 } && normalized.contains { $0 > 0 }, "the ReLU must cut something")
            passed = zip(dy, normalized).map { $1 > 0 ? $0 : 0 }
            normalized = normalized.map { max($0, 0) }
        }
        let expected = reference.backward(dy: passed, epsilon: epsilon, gamma: gamma)
        for format in activationFormats {
            let bn = try BatchNormalization(
                shape: shape, format: format, epsilon: Float(epsilon), training: true,
                fusedReLU: fusedReLU)
            let input = try makeTensor(shape, x, format)
            let (scale, shift) = (try makeTensor([5], gamma), try makeTensor([5], beta))
            let output = Tensor(shape: shape, format: format)
            try bn.forward(
                input, scale: scale, shift: shift, mean: Tensor(shape: [5]), variance: Tensor(shape: [5]), into: output)
            try assertValues(bn.batchMean, mean, accuracy: 1e-4, "mean \(format)", sourceLocation: sourceLocation)
            try assertValues(
                bn.batchVariance, variance, accuracy: 1e-4, "variance \(format)", sourceLocation: sourceLocation)
            try assertValues(output, normalized, accuracy: 1e-4, "output \(format)", sourceLocation: sourceLocation)

            let inputGradient = try filledTensor(shape, 9, format)
            let scaleGradient = try filledTensor([5], 1), shiftGradient = try filledTensor([5], -1)
            try bn.backward(
                input: input, outputGradient: makeTensor(shape, dy, format), scale: scale, shift: shift,
                inputGradient: inputGradient, accumulateScale: affineGradients ? scaleGradient : nil,
                accumulateShift: affineGradients ? shiftGradient : nil)
            try assertValues(
                inputGradient, expected.input, accuracy: 1e-4, "input gradient \(format)",
                sourceLocation: sourceLocation)
            if affineGradients {
                try assertValues(
                    scaleGradient, expected.scale.map { $0 + 1 }, accuracy: 1e-4, "γ gradient \(format)",
                    sourceLocation: sourceLocation)
                try assertValues(
                    shiftGradient, expected.shift.map { $0 - 1 }, accuracy: 1e-4, "β gradient \(format)",
                    sourceLocation: sourceLocation)
            }
        }
    }
}

/// Batch normalization's closed forms over plain NCHW values, in Double.
private struct BatchNormReference {
    let shape: [Int]
    let x: [Float]

    private var channels: Int { shape[1] }
    private var plane: Int { shape[2] * shape[3] }
    private var perChannel: Double { Double(shape[0] * plane) }
    private func channel(_ i: Int) -> Int { i / plane % channels }

    /// Per-channel mean and biased variance.
    func statistics() -> (mean: [Double], variance: [Double]) {
        var mean = [Double](repeating: 0, count: channels), variance = mean
        for (i, v) in x.enumerated() { mean[channel(i)] += Double(v) / perChannel }
        for (i, v) in x.enumerated() { variance[channel(i)] += pow(Double(v) - mean[channel(i)], 2) / perChannel }
        return (mean, variance)
    }

    func normalize(mean: [Double], variance: [Double], epsilon: Double, gamma: [Float], beta: [Float]) -> [Double] {
        x.enumerated().map { i, v in
            let c = channel(i)
            return Double(gamma[c]) * (Double(v) - mean[c]) / sqrt(variance[c] + epsilon) + Double(beta[c])
        }
    }

    /// dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), dγ = Σ dy · x̂, dβ = Σ dy.
    func backward(dy: [Float], epsilon: Double, gamma: [Float]) -> (input: [Double], scale: [Double], shift: [Double]) {
        let (mean, variance) = statistics()
        let sigma = variance.map { sqrt($0 + epsilon) }
        let xHat = x.enumerated().map { i, v in (Double(v) - mean[channel(i)]) / sigma[channel(i)] }
        var scale = [Double](repeating: 0, count: channels), shift = scale
        for i in x.indices {
            scale[channel(i)] += Double(dy[i]) * xHat[i]
            shift[channel(i)] += Double(dy[i])
        }
        let input = x.indices.map { i in
            let c = channel(i)
            return Double(gamma[c]) / sigma[c]
                * (Double(dy[i]) - shift[c] / perChannel - xHat[i] * scale[c] / perChannel)
        }
        return (input, scale, shift)
    }
}
