import ConFiTEngine
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// Softmax cross-entropy over a subset of logit columns (the task's classes), by hand.
///
/// Tolerance: 1e-6 absolute (loss and gradients of order 1, computed in Double inside).
@Suite struct CrossEntropyTests {
    /// Two samples over 4 logit columns; the task's classes are columns 3, 0, 2 (in that
    /// order), so labels index into [3, 0, 2]. Column 1 holds 1000, which must not enter
    /// the softmax.
    /// Row 0: restricted logits (5, 5, 5), label 0 → p = ⅓ each, loss ln 3.
    /// Row 1: restricted logits (ln 1, ln 2, ln 3), label 2 → p = (1, 2, 3) / 6, loss ln 2.
    /// Mean loss (ln 3 + ln 2) / 2; ∂/∂logit = (p − onehot) / 2 on the classes, 0 elsewhere.
    @Test func lossAndGradientOverClassSubsetByHand() throws {
        let logits = try makeTensor(
            [2, 4],
            [
                5, 1000, 5, 5,
                Float(log(2.0)), 1000, Float(log(3.0)), 0,
            ])
        let gradient = try filledTensor([2, 4], 9)
        let loss = try CrossEntropy.loss(logits: logits, classes: [3, 0, 2], labels: [0, 2], gradient: gradient)
        expectClose(Double(loss), (log(3.0) + log(2.0)) / 2, tolerance: 1e-6)
        // Columns in memory order 0, 1, 2, 3 are classes 1, —, 2, 0.
        try assertValues(
            gradient,
            [
                1.0 / 6, 0, 1.0 / 6, (1.0 / 3 - 1) / 2,
                2.0 / 12, 0, (3.0 / 6 - 1) / 2, 1.0 / 12,
            ], accuracy: 1e-6)
        #expect(try CrossEntropy.loss(logits: logits, classes: [3, 0, 2], labels: [0, 2]) == loss)
    }

    @Test func errors() throws {
        let logits = Tensor(shape: [2, 4])
        assertInvalidArgument { _ = try CrossEntropy.loss(logits: logits, classes: [0, 1], labels: [0, 2]) }
        assertInvalidArgument { _ = try CrossEntropy.loss(logits: logits, classes: [0, 1], labels: [-1, 0]) }
        assertInvalidArgument { _ = try CrossEntropy.loss(logits: logits, classes: [0, 4], labels: [0, 1]) }
        assertInvalidArgument { _ = try CrossEntropy.loss(logits: logits, classes: [], labels: [0, 0]) }
        assertInvalidArgument {
            _ = try CrossEntropy.loss(logits: Tensor(shape: [2, 4, 1, 1]), classes: [0], labels: [0, 0])
        }
        assertShapeMismatch { _ = try CrossEntropy.loss(logits: logits, classes: [0, 1], labels: [0]) }
        assertShapeMismatch {
            _ = try CrossEntropy.loss(
                logits: logits, classes: [0, 1], labels: [0, 1], gradient: Tensor(shape: [2, 2]))
        }
    }
}
