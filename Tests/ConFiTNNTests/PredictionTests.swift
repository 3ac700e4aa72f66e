import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// `Prediction.top` against softmax values computed by hand.
@Suite struct PredictionTests {
    @Test func ranksBySoftmaxProbability() throws {
        // Row 0: logits (0, ln 3, 0, ln 6) → e^x = (1, 3, 1, 6), sum 11.
        // Row 1: 1000 + (0, 0, ln 2, 0): e^(x − max) = (1/2, 1/2, 1, 1/2), sum 5/2; ties by index.
        let logits = try Tensor(
            shape: [2, 4],
            values: [
                0, Float(log(3.0)), 0, Float(log(6.0)),
                1000, 1000, 1000 + Float(log(2.0)), 1000,
            ])
        let top = try Prediction.top(3, of: logits)
        #expect(top.map { $0.map(\.classIndex) } == [[3, 1, 0], [2, 0, 1]])
        let expected: [[Float]] = [[6 / 11, 3 / 11, 1 / 11], [0.4, 0.2, 0.2]]
        for (row, probabilities) in expected.enumerated() {
            for (p, e) in zip(top[row].map(\.probability), probabilities) { expectClose(p, e, tolerance: 2e-4) }
        }
    }

    @Test func rejectsNonMatrixLogits() {
        #expect(throws: (any Error).self) { try Prediction.top(5, of: Tensor(shape: [2, 3, 4])) }
    }
}
