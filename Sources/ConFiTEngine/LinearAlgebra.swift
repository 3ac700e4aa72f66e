import CLAPACK

/// Double-precision linear algebra on row-major matrices through OpenBLAS and LAPACK:
/// what the closed-form heads need (Gram matrices, Cholesky solves). Double, not float:
/// their systems are regularised Gram matrices of far fewer samples than dimensions, so
/// the regulariser alone keeps them positive-definite, at ratios float32 cannot resolve.
public enum LinearAlgebra {
    /// C = alpha · op(A) · op(B) + beta · C (`cblas_dgemm`), A m×k, B k×n, C m×n after transposition.
    public static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// X with A·X = B for a symmetric positive-definite A (n×n, symmetric in full) and B
    /// n×columns, by Cholesky factorisation (`LAPACKE_dposv`), which overwrites A with its
    /// factor (taken, not copied: A may hold hundreds of megabytes). Throws
    /// `EngineError.invalidArgument` when A is not positive-definite, naming `operation`.
    public static func solvePositiveDefinite(
        _ a: consuming [Double], _ b: [Double], n: Int, columns: Int,
        operation: String
    ) throws -> [Double] {
        precondition(
            a.count == n * n && b.count == n * columns, "solvePositiveDefinite: \(a.count), \(b.count) for n = \(n)")
        var factor = consume a
        // Column-major B is Bᵀ row-major; A is symmetric, so its layout does not matter.
        var x = transpose(b, rows: n, columns: columns)
        let info = LAPACKE_dposv(
            LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), Int32(columns), &factor, Int32(n),
            &x, Int32(n))
        guard info == 0 else {
            throw EngineError.invalidArgument(
                operation: operation,
                reason: info > 0
                    ? "the matrix is not positive-definite (leading minor \(info) of \(n)): raise the regularisation"
                    : "LAPACK rejected argument \(-info)")
        }
        return transpose(x, rows: columns, columns: n)
    }

    /// The row-major transpose of a rows×columns matrix.
    public static func transpose(_ m: [Double], rows: Int, columns: Int) -> [Double] {
        var t = [Double](repeating: 0, count: m.count)
        for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = m[r * columns + c] } }
        return t
    }
}
