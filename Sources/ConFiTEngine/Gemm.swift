import CDNNL

/// Row-major single-precision matrix multiply through oneDNN's `dnnl_sgemm`:
/// `C = alpha · op(A) · op(B) + beta · C`, with A m×k, B k×n, C m×n after transposition;
/// its time goes to `profiler` when one is given.
public enum Gemm {
    public static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, profiler: Profiler? = nil
    ) throws {
        let ta: CChar = transposeA ? 0x54 : 0x4E, tb: CChar = transposeB ? 0x54 : 0x4E  // 'T' : 'N'
        try Profiler.measure(profiler, "sgemm") {
            try check(
                dnnl_sgemm(
                    ta, tb, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc)),
                "sgemm \(m)x\(k) · \(k)x\(n)")
        }
    }
}
