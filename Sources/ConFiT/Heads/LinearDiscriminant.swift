import ConFiTEngine

/// FSA's head (Panos et al. 2023, official `compute_lda_head`): linear discriminant
/// analysis over every training feature seen so far — class means μ_c, one covariance Σ
/// of all the features (unbiased, `torch.cov`) plus the official shrinkage I — giving
/// logits fᵀΣ⁻¹μ_c − ½ μ_cᵀΣ⁻¹μ_c. Kept as running sums, so each task updates it exactly.
public struct LinearDiscriminant: Sendable, Equatable {
    public let dimension: Int
    /// Images seen, and per class.
    public private(set) var count = 0
    public private(set) var classCounts: [Int]
    /// Σ f, [dimension]; Σ f fᵀ, row-major [dimension, dimension]; Σ f per class, row-major [classes, dimension].
    public private(set) var sum: [Double], scatter: [Double], classSums: [Double]

    public init(dimension: Int, classes: Int) {
        self.dimension = dimension
        classCounts = [Int](repeating: 0, count: classes)
        (sum, scatter) = (
            [Double](repeating: 0, count: dimension), [Double](repeating: 0, count: dimension * dimension)
        )
        classSums = [Double](repeating: 0, count: classes * dimension)
    }

    /// The sums as a checkpoint stored them (`sums` = [count, classCounts...]).
    public init(dimension: Int, counts: [Int], sum: [Double], scatter: [Double], classSums: [Double]) throws {
        let classes = counts.count - 1
        guard classes >= 0, sum.count == dimension, scatter.count == dimension * dimension,
            classSums.count == classes * dimension
        else {
            throw ConFiTError.bankMismatch(
                key: "fsa", reason: "the LDA sums do not fit a \(dimension)-dimensional feature")
        }
        (self.dimension, count, classCounts) = (dimension, counts[0], Array(counts.dropFirst()))
        (self.sum, self.scatter, self.classSums) = (sum, scatter, classSums)
    }

    /// Bytes of the sums carried between tasks.
    public var byteCount: Int { (sum.count + scatter.count + classSums.count + classCounts.count + 1) * 8 }

    /// Adds `features` to the sums.
    public mutating func accumulate(_ features: FeatureSet) {
        precondition(features.dimension == dimension)
        let f = features.values.map { Double($0) }
        LinearAlgebra.multiply(
            transposeA: true, transposeB: false, m: dimension, n: dimension, k: features.count, a: f, lda: dimension,
            b: f, ldb: dimension, beta: 1, c: &scatter, ldc: dimension)
        for (i, label) in features.labels.enumerated() {
            classCounts[label] += 1
            for j in 0..<dimension {
                sum[j] += f[i * dimension + j]
                classSums[label * dimension + j] += f[i * dimension + j]
            }
        }
        count += features.count
    }

    /// The head for `classes` (each seen): row-major weights [classes, dimension] = Σ⁻¹μ_c
    /// and biases −½ μ_cᵀΣ⁻¹μ_c, by a Cholesky solve.
    public func head(for classes: [Int]) throws -> (weights: [Float], bias: [Float]) {
        guard count > 1 else {
            throw ConFiTError.invalidConfiguration("LDA needs at least 2 training features, not \(count)")
        }
        let n = Double(count)
        var covariance = scatter
        for i in 0..<dimension {
            for j in 0..<dimension {
                covariance[i * dimension + j] = (scatter[i * dimension + j] - sum[i] * sum[j] / n) / (n - 1)
            }
            covariance[i * dimension + i] += 1
        }
        var means = [Double](repeating: 0, count: dimension * classes.count)  // [dimension, classes]
        for (c, id) in classes.enumerated() {
            guard classCounts[id] > 0 else {
                throw ConFiTError.invalidConfiguration("class \(id) has no training feature for LDA")
            }
            for j in 0..<dimension {
                means[j * classes.count + c] = classSums[id * dimension + j] / Double(classCounts[id])
            }
        }
        let coefficients = try LinearAlgebra.solvePositiveDefinite(
            covariance, means, n: dimension, columns: classes.count,
            operation: "FSA's LDA solve (Σ + I)")
        let weights = LinearAlgebra.transpose(coefficients, rows: dimension, columns: classes.count).map(Float.init)
        let bias = classes.indices.map { c in
            Float(
                -0.5
                    * (0..<dimension).reduce(0.0) {
                        $0 + coefficients[$1 * classes.count + c] * means[$1 * classes.count + c]
                    })
        }
        return (weights, bias)
    }
}
