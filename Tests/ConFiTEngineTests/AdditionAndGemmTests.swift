import ConFiTEngine
import ConFiTTestSupport
import Testing

/// Residual addition (including writing over its first operand) and row-major SGEMM with
/// transposes, alpha, beta accumulation and a leading dimension wider than the matrix,
/// against hand-computed values.
///
/// Tolerance: 1e-5 absolute for the addition; the products are compared exactly (small
/// integers, exact in float32).
@Suite struct AdditionAndGemmTests {
    @Test func addition() throws {
        let shape = [1, 3, 1, 2]
        for format in activationFormats {
            let add = try Addition(shape: shape, format: format)
            let a = try makeTensor(shape, [1, 2, 3, 4, 5, 6], format)
            let b = try makeTensor(shape, [10, -20, 30, -40, 50, -60], format)
            let output = try filledTensor(shape, 9, format)
            try add.run(a, b, into: output)
            try assertValues(output, [11, -18, 33, -36, 55, -54], accuracy: 1e-5, "\(format)")
            try add.run(a, b, into: a)
            try assertValues(a, [11, -18, 33, -36, 55, -54], accuracy: 1e-5, "into the first operand \(format)")
            try assertValues(b, [10, -20, 30, -40, 50, -60], accuracy: 0, "second operand untouched \(format)")
        }
        let add = try Addition(shape: shape, format: .plain)
        assertShapeMismatch {
            try add.run(Tensor(shape: shape), Tensor(shape: [1, 3, 2, 1]), into: Tensor(shape: shape))
        }
    }

    // A = [[1, 2, 3], [4, 5, 6]], B = [[7, 8], [9, 10], [11, 12]], A·B = [[58, 64], [139, 154]].
    private let a: [Float] = [1, 2, 3, 4, 5, 6]
    private let aTransposed: [Float] = [1, 4, 2, 5, 3, 6]
    private let b: [Float] = [7, 8, 9, 10, 11, 12]
    private let bTransposed: [Float] = [7, 9, 11, 8, 10, 12]

    @Test func gemm() throws {
        #expect(try multiply(a, false, b, false, beta: 0, c: [9, 9, 9, 9]) == [58, 64, 139, 154])
        #expect(try multiply(aTransposed, true, b, false, beta: 0, c: [9, 9, 9, 9]) == [58, 64, 139, 154])
        #expect(try multiply(a, false, bTransposed, true, beta: 0, c: [9, 9, 9, 9]) == [58, 64, 139, 154])
        #expect(try multiply(aTransposed, true, bTransposed, true, beta: 0, c: [9, 9, 9, 9]) == [58, 64, 139, 154])
        // C = 2 · A·B + 1 · C
        #expect(try multiply(a, false, b, false, alpha: 2, beta: 1, c: [1, -1, 2, -2]) == [117, 127, 280, 306])
    }

    /// C is the left 2 columns of a 2×3 buffer (ldc = 3): the third column stays.
    @Test func gemmLeadingDimension() throws {
        var c: [Float] = [0, 0, -7, 0, 0, -7]
        try a.withUnsafeBufferPointer { a in
            try b.withUnsafeBufferPointer { b in
                try Gemm.multiply(
                    transposeA: false, transposeB: false, m: 2, n: 2, k: 3, a: a.baseAddress!, lda: 3,
                    b: b.baseAddress!, ldb: 2, beta: 0, c: &c, ldc: 3)
            }
        }
        #expect(c == [58, 64, -7, 139, 154, -7])
    }

    /// `C = alpha · op(A) · op(B) + beta · C` for the 2×3 by 3×2 example.
    private func multiply(
        _ a: [Float], _ transposeA: Bool, _ b: [Float], _ transposeB: Bool, alpha: Float = 1, beta: Float,
        c: [Float]
    ) throws -> [Float] {
        var c = c
        try a.withUnsafeBufferPointer { a in
            try b.withUnsafeBufferPointer { b in
                try Gemm.multiply(
                    transposeA: transposeA, transposeB: transposeB, m: 2, n: 2, k: 3, alpha: alpha,
                    a: a.baseAddress!, lda: transposeA ? 2 : 3, b: b.baseAddress!, ldb: transposeB ? 3 : 2,
                    beta: beta, c: &c, ldc: 2)
            }
        }
        return c
    }
}
