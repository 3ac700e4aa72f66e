import ConFiTEngine

/// RanPAC's closed-form head (McDonnell et al. 2023, official `RanPAC.py`): over every task
/// so far the Gram matrix G = Σ hᵀh and Q = Σ hᵀy (one-hot y), and weights Wo = (G + λI)⁻¹Q,
/// with λ chosen per task from the official grid 10⁻⁸ … 10⁸ by the lowest mean squared error
/// on the last 20 % of the task's features when fitted on the first 80 %.
///
/// Float64 throughout: with fewer samples than dimensions G is singular and λ alone makes
/// G + λI positive-definite; λ = 10⁻⁸ next to diagonal entries of 10³–10⁵ is below float32's
/// resolution. The grid's fits use the dual form Hᵀ(HHᵀ + λI)⁻¹Y — the same solution
/// (push-through identity) from an n×n system instead of M×M.
public struct RidgeRegression: Sendable, Equatable {
    /// The official grid: 10^-8, 10^-7, …, 10^8.
    public static let ridges: [Double] = (-8...8).map { pow10($0) }
    /// M, the width of h.
    public let width: Int
    /// Every class id the one-hot targets can hold.
    public let classes: Int
    /// Σ hᵀh, row-major [width, width].
    public private(set) var gram: [Double]
    /// Σ hᵀy, row-major [width, classes].
    public private(set) var targets: [Double]

    public init(width: Int, classes: Int) {
        (self.width, self.classes) = (width, classes)
        gram = [Double](repeating: 0, count: width * width)
        targets = [Double](repeating: 0, count: width * classes)
    }

    /// Reads back `gram` and `targets` as a checkpoint stored them.
    public init(width: Int, classes: Int, gram: [Double], targets: [Double]) throws {
        guard gram.count == width * width, targets.count == width * classes else {
            throw ConFiTError.bankMismatch(
                key: "ranpac",
                reason: "G has \(gram.count) and Q \(targets.count) values; "
                    + "M = \(width) and \(classes) classes need \(width * width) and \(width * classes)")
        }
        (self.width, self.classes, self.gram, self.targets) = (width, classes, gram, targets)
    }

    /// Bytes of G and Q.
    public var byteCount: Int { (gram.count + targets.count) * MemoryLayout<Double>.size }

    /// Adds n rows of h (row-major [n, width]) with their class ids to G and Q.
    public mutating func accumulate(_ h: [Double], labels: [Int]) {
        let n = labels.count
        precondition(h.count == n * width)
        LinearAlgebra.multiply(
            transposeA: true, transposeB: false, m: width, n: width, k: n, a: h, lda: width, b: h, ldb: width,
            beta: 1, c: &gram, ldc: width)
        for (i, label) in labels.enumerated() {
            for j in 0..<width { targets[j * classes + label] += h[i * width + j] }
        }
    }

    /// Wo = (G + λI)⁻¹Q, row-major [classes, width].
    public func weights(ridge: Double) throws -> [Double] {
        var a = gram
        for i in 0..<width { a[i * width + i] += ridge }
        let solution = try LinearAlgebra.solvePositiveDefinite(
            consume a, targets, n: width, columns: classes,
            operation: "RanPAC's ridge solve (G + \(ridge)·I)")
        return LinearAlgebra.transpose(solution, rows: width, columns: classes)
    }

    /// The grid's λ with the lowest mean squared error on rows ⌊0.8n⌋… of h (row-major
    /// [n, width]) against one-hot targets over `columns` (row i's class is columns[local[i]])
    /// when fitted on the rows before; the loss of each λ (infinity where the fit is not
    /// positive-definite). The official loss averages over every class column too; the
    /// columns of other tasks' classes are zero in both fit and target, so the choice is the same.
    public static func selectRidge(
        _ h: [Double], width: Int, local: [Int], columns: Int
    ) throws -> (ridge: Double, losses: [Double]) {
        let n = local.count, fitted = Int(Double(local.count) * 0.8)
        guard fitted >= 1, n - fitted >= 1 else {
            throw ConFiTError.invalidConfiguration(
                "RanPAC's choice of λ needs at least 2 training images in a task, not \(n)")
        }
        let validated = n - fitted
        var kernel = [Double](repeating: 0, count: fitted * fitted),
            cross = [Double](repeating: 0, count: validated * fitted)
        h.withUnsafeBufferPointer { rows in
            let later = rows.baseAddress! + fitted * width
            LinearAlgebra.multiply(
                transposeA: false, transposeB: true, m: fitted, n: fitted, k: width, a: rows.baseAddress!,
                lda: width, b: rows.baseAddress!, ldb: width, beta: 0, c: &kernel, ldc: fitted)
            LinearAlgebra.multiply(
                transposeA: false, transposeB: true, m: validated, n: fitted, k: width, a: later, lda: width,
                b: rows.baseAddress!, ldb: width, beta: 0, c: &cross, ldc: fitted)
        }
        var y = [Double](repeating: 0, count: fitted * columns)
        for i in 0..<fitted { y[i * columns + local[i]] = 1 }
        let losses = ridges.map { ridge -> Double in
            var a = kernel
            for i in 0..<fitted { a[i * fitted + i] += ridge }
            guard let dual = try? LinearAlgebra.solvePositiveDefinite(a, y, n: fitted, columns: columns, operation: "")
            else {
                return .infinity
            }
            var predicted = [Double](repeating: 0, count: validated * columns)
            LinearAlgebra.multiply(
                transposeA: false, transposeB: false, m: validated, n: columns, k: fitted, a: cross, lda: fitted,
                b: dual, ldb: columns, beta: 0, c: &predicted, ldc: columns)
            var sum = 0.0
            for i in 0..<validated {
                for c in 0..<columns {
                    let d = predicted[i * columns + c] - (local[fitted + i] == c ? 1 : 0)
                    sum += d * d
                }
            }
            return sum / Double(validated * columns)
        }
        let best = losses.indices.min { losses[$0] < losses[$1] } ?? 0
        guard losses[best].isFinite else {
            throw ConFiTError.invalidConfiguration(
                "RanPAC: no λ of the grid gives a positive-definite fit on this task's features")
        }
        return (ridges[best], losses)
    }

    private static func pow10(_ e: Int) -> Double {
        e >= 0 ? (0..<e).reduce(1.0) { r, _ in r * 10 } : 1 / pow10(-e)
    }
}
