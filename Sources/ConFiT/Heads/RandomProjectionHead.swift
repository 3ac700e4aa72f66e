import ConFiTEngine

/// RanPAC's classifier (McDonnell et al. 2023; the official `CosineLinear` with `use_RP`):
/// features f are projected by a fixed random matrix W and rectified, h = ReLU(f·W), and
/// the logits are h·Woᵀ with Wo from ridge regression. Without a projection (M = 0) h = f.
public final class RandomProjectionHead: FeatureHead {
    public let classes: Int, dimension: Int
    /// W, row-major [dimension, projected]; nil for no projection.
    public let projection: [Float]?
    /// The width of h: W's columns, or the feature dimension without a projection.
    public let projected: Int
    /// Wo, row-major [classes, projected]; zero rows for classes not held.
    public var weights: [Float]
    private var hidden: [Float] = []

    public var bytesPerClass: Int { projected * MemoryLayout<Float>.size }

    public init(classes: Int, dimension: Int, projection: [Float]?) {
        precondition(projection.map { $0.count % dimension == 0 } ?? true)
        (self.classes, self.dimension, self.projection) = (classes, dimension, projection)
        projected = projection.map { $0.count / dimension } ?? dimension
        weights = [Float](repeating: 0, count: classes * projected)
    }

    /// h = ReLU(F·W) (or F itself) for features [n, dimension], row-major [n, projected].
    public func hidden(_ features: UnsafePointer<Float>, count n: Int) throws -> [Float] {
        guard let projection else { return Array(UnsafeBufferPointer(start: features, count: n * dimension)) }
        var h = [Float](repeating: 0, count: n * projected)
        try Gemm.multiply(
            transposeA: false, transposeB: false, m: n, n: projected, k: dimension, a: features, lda: dimension,
            b: projection, ldb: projected, beta: 0, c: &h, ldc: projected)
        for i in h.indices where !(h[i] > 0) { h[i] = 0 }
        return h
    }

    public func logits(features: Tensor) throws -> Tensor {
        guard features.shape.count == 2, features.shape[1] == dimension else {
            throw EngineError.shapeMismatch(
                operation: "RandomProjectionHead features", expected: [-1, dimension], found: features.shape)
        }
        let n = features.shape[0]
        hidden = try hidden(features.pointer, count: n)
        let out = Tensor(shape: [n, classes])
        try Gemm.multiply(
            transposeA: false, transposeB: true, m: n, n: classes, k: projected, a: hidden, lda: projected,
            b: weights, ldb: projected, beta: 0, c: out.pointer, ldc: classes)
        return out
    }
}
