import ConFiTEngine
import ConFiTTestSupport
import Testing

/// ReLU and ReLU6 forward and backward, by hand, in every layout, out of place and in
/// place. The backward reads the forward *output*: ReLU passes the gradient where the
/// output is > 0, ReLU6 where it is strictly inside (0, 6).
///
/// Tolerance: 1e-6 absolute (the results are copies or zeros of exact inputs).
@Suite struct ActivationTests {
    private let shape = [1, 3, 1, 3]
    private let input: [Float] = [-2, -0.5, 0, 0.5, 3, 6, 7, 1e-3, -1e-3]
    private let outputGradient: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]

    @Test func relu() throws {
        try check(.relu, output: [0, 0, 0, 0.5, 3, 6, 7, 1e-3, 0], inputGradient: [0, 0, 0, 4, 5, 6, 7, 8, 0])
    }

    @Test func relu6() throws {
        try check(.relu6, output: [0, 0, 0, 0.5, 3, 6, 6, 1e-3, 0], inputGradient: [0, 0, 0, 4, 5, 0, 0, 8, 0])
    }

    @Test func shapeMismatch() throws {
        let relu = try Activation(.relu, shape: shape, format: .plain, training: true)
        assertShapeMismatch { try relu.forward(Tensor(shape: [1, 3, 3, 1]), into: Tensor(shape: self.shape)) }
        assertShapeMismatch {
            try relu.backward(
                output: Tensor(shape: self.shape), outputGradient: Tensor(shape: [9]), into: Tensor(shape: self.shape))
        }
    }

    private func check(
        _ kind: Activation.Kind, output expectedOutput: [Double], inputGradient expectedGradient: [Double],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for format in activationFormats {
            let activation = try Activation(kind, shape: shape, format: format, training: true)
            let output = try filledTensor(shape, 9, format)
            try activation.forward(makeTensor(shape, input, format), into: output)
            try assertValues(
                output, expectedOutput, accuracy: 1e-6, "\(kind) forward \(format)", sourceLocation: sourceLocation)
            let inputGradient = try filledTensor(shape, 9, format)
            try activation.backward(
                output: output, outputGradient: makeTensor(shape, outputGradient, format), into: inputGradient)
            try assertValues(
                inputGradient, expectedGradient, accuracy: 1e-6, "\(kind) backward \(format)",
                sourceLocation: sourceLocation)

            let inPlace = try makeTensor(shape, input, format)
            try activation.forward(inPlace, into: inPlace)
            try assertValues(
                inPlace, expectedOutput, accuracy: 1e-6, "\(kind) forward in place \(format)",
                sourceLocation: sourceLocation)
            let gradient = try makeTensor(shape, outputGradient, format)
            try activation.backward(output: inPlace, outputGradient: gradient, into: gradient)
            try assertValues(
                gradient, expectedGradient, accuracy: 1e-6, "\(kind) backward in place \(format)",
                sourceLocation: sourceLocation)
        }
    }
}
