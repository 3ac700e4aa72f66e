import ConFiTEngine
import ConFiTTestSupport
import Foundation
import Testing

/// Max pooling (ResNet's 3×3, stride 2, pad 1) and global average pooling, forward and
/// backward, against hand-computed values and a direct reference written here.
///
/// Tolerance: 1e-5 absolute (all values are small integers or exact binary fractions,
/// except the averages, which are within float32 rounding of 1e-6).
@Suite struct PoolingTests {
    /// 4×4 input (all negative, so a zero-padded border would win), 3×3 windows at rows
    /// and columns −1 and 1. The maxima are −8 at (1, 0), −11 at (0, 1), and −5 at (2, 1)
    /// for both bottom windows, so that input receives the sum of their gradients.
    @Test func maxPoolingByHand() throws {
        let input: [Float] = [
            3, 9, 1, 4,
            12, 0, 7, 2,
            5, 15, 8, 11,
            6, 10, 14, 13,
        ].map { $0 - 20 }
        for format in activationFormats {
            let pool = try Pooling(
                .max, inputShape: [1, 1, 4, 4], kernel: 3, stride: 2, padding: 1, format: format, training: true)
            #expect(pool.outputShape == [1, 1, 2, 2])
            let output = Tensor(shape: [1, 1, 2, 2], format: format)
            try pool.forward(makeTensor([1, 1, 4, 4], input, format), into: output)
            try assertValues(output, [-8, -11, -5, -5], accuracy: 1e-5, "forward \(format)")
            let inputGradient = try filledTensor([1, 1, 4, 4], 9, format)
            try pool.backward(outputGradient: makeTensor([1, 1, 2, 2], [1, 2, 3, 4], format), into: inputGradient)
            try assertValues(
                inputGradient,
                [
                    0, 2, 0, 0,
                    1, 0, 0, 0,
                    0, 7, 0, 0,
                    0, 0, 0, 0,
                ], accuracy: 1e-5, "backward \(format)")
        }
    }

    @Test func maxPoolingAgainstReference() throws {
        let (inputShape, outputShape) = ([2, 3, 7, 6], [2, 3, 4, 3])
        let x = distinctValues(252, seed: 5)
        let dy = sampleValues(72, seed: 6)
        let (expectedOutput, expectedGradient) = directMaxPooling(
            x, dy, inputShape: inputShape, outputShape: outputShape)
        for format in activationFormats {
            let pool = try Pooling(
                .max, inputShape: inputShape, kernel: 3, stride: 2, padding: 1, format: format, training: true)
            #expect(pool.outputShape == outputShape)
            let output = Tensor(shape: outputShape, format: format)
            try pool.forward(makeTensor(inputShape, x, format), into: output)
            try assertValues(output, expectedOutput, accuracy: 1e-5, "forward \(format)")
            let inputGradient = Tensor(shape: inputShape, format: format)
            try pool.backward(outputGradient: makeTensor(outputShape, dy, format), into: inputGradient)
            try assertValues(inputGradient, expectedGradient, accuracy: 1e-5, "backward \(format)")
        }
    }

    /// [1, 2, 2, 3] → [1, 2, 1, 1]: means (1 + … + 6) / 6 = 3.5 and (−6 + 3) / 6 = −0.5; the
    /// backward spreads each output gradient evenly, g / 6, over its channel.
    @Test func globalAveragePoolingByHand() throws {
        for format in activationFormats {
            let pool = try Pooling.globalAverage(inputShape: [1, 2, 2, 3], format: format, training: true)
            #expect(pool.outputShape == [1, 2, 1, 1])
            let output = Tensor(shape: [1, 2, 1, 1], format: format)
            try pool.forward(makeTensor([1, 2, 2, 3], [1, 2, 3, 4, 5, 6, -6, 0, 0, 0, 0, 3], format), into: output)
            try assertValues(output, [3.5, -0.5], accuracy: 1e-5, "forward \(format)")
            let inputGradient = try filledTensor([1, 2, 2, 3], 9, format)
            try pool.backward(outputGradient: makeTensor([1, 2, 1, 1], [6, -3], format), into: inputGradient)
            try assertValues(
                inputGradient, [1, 1, 1, 1, 1, 1, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5], accuracy: 1e-5,
                "backward \(format)")
        }
    }

    @Test func globalAveragePoolingAgainstReference() throws {
        let shape = [2, 5, 3, 4]
        let x = sampleValues(120, seed: 7), dy = sampleValues(10, seed: 8)
        let expected = (0..<10).map { plane in (0..<12).reduce(0.0) { $0 + Double(x[plane * 12 + $1]) } / 12 }
        for format in activationFormats {
            let pool = try Pooling.globalAverage(inputShape: shape, format: format, training: true)
            let output = Tensor(shape: [2, 5, 1, 1], format: format)
            try pool.forward(makeTensor(shape, x, format), into: output)
            try assertValues(output, expected, accuracy: 1e-5, "forward \(format)")
            let inputGradient = Tensor(shape: shape, format: format)
            try pool.backward(outputGradient: makeTensor([2, 5, 1, 1], dy, format), into: inputGradient)
            try assertValues(
                inputGradient, (0..<120).map { Double(dy[$0 / 12]) / 12 }, accuracy: 1e-5, "backward \(format)")
        }
    }

    @Test func errors() throws {
        assertInvalidArgument { _ = try Pooling.globalAverage(inputShape: [2, 3], format: .plain, training: false) }
        assertInvalidArgument {
            _ = try Pooling(
                .max, inputShape: [1, 1, 2, 2], kernel: 5, stride: 1, padding: 1, format: .plain, training: false)
        }
        let pool = try Pooling(
            .max, inputShape: [1, 1, 4, 4], kernel: 3, stride: 2, padding: 1, format: .plain, training: true)
        assertShapeMismatch { try pool.forward(Tensor(shape: [1, 1, 4, 4]), into: Tensor(shape: [1, 1, 4, 4])) }
    }

    /// Max pooling built for inference keeps no workspace, so its backward must be
    /// refused (oneDNN would otherwise run without one and crash).
    @Test func backwardOfInferenceMaxPoolingIsRefused() throws {
        let pool = try Pooling(
            .max, inputShape: [1, 1, 4, 4], kernel: 3, stride: 2, padding: 1, format: .plain, training: false)
        try pool.forward(Tensor(shape: [1, 1, 4, 4]), into: Tensor(shape: [1, 1, 2, 2]))
        assertInvalidArgument {
            try pool.backward(outputGradient: Tensor(shape: [1, 1, 2, 2]), into: Tensor(shape: [1, 1, 4, 4]))
        }
    }

    /// Max pooling 3×3, stride 2, pad 1 (padding never wins) and its backward, which sends
    /// each output gradient to the (unique) argmax of its window.
    private func directMaxPooling(
        _ x: [Float], _ dy: [Float], inputShape: [Int], outputShape: [Int]
    ) -> ([Double], [Double]) {
        let (height, width, outHeight, outWidth) = (inputShape[2], inputShape[3], outputShape[2], outputShape[3])
        var y = [Double](repeating: 0, count: dy.count), dx = [Double](repeating: 0, count: x.count)
        for plane in 0..<inputShape[0] * inputShape[1] {
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    var best = -1
                    for h in oh * 2 - 1...oh * 2 + 1 where (0..<height).contains(h) {
                        for w in ow * 2 - 1...ow * 2 + 1 where (0..<width).contains(w) {
                            let i = (plane * height + h) * width + w
                            if best < 0 || x[i] > x[best] { best = i }
                        }
                    }
                    let o = (plane * outHeight + oh) * outWidth + ow
                    y[o] = Double(x[best])
                    dx[best] += Double(dy[o])
                }
            }
        }
        return (y, dx)
    }
}
