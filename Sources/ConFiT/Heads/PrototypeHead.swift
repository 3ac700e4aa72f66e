import ConFiTEngine

/// SimpleCIL's classifier (Zhou et al. 2023; LAMDA-PILOT's `CosineLinear` with the class
/// means as weights): the logit of class c is the cosine similarity between the feature
/// and c's prototype, both L2-normalised.
public final class PrototypeHead: FeatureHead {
    public let classes: Int, dimension: Int
    /// Normalised prototypes, row-major [classes, dimension]; zero rows for classes not held.
    private var rows: [Float]
    private var normalized: [Float] = []

    public var bytesPerClass: Int { dimension * MemoryLayout<Float>.size }

    public init(classes: Int, dimension: Int) {
        (self.classes, self.dimension) = (classes, dimension)
        rows = [Float](repeating: 0, count: classes * dimension)
    }

    /// Sets class `c`'s prototype (any length; it is normalised here).
    public func setPrototype(_ c: Int, _ prototype: some Collection<Float>) {
        precondition(prototype.count == dimension && (0..<classes).contains(c))
        let unit = Self.normalized(Array(prototype))
        rows.replaceSubrange((c * dimension)..<((c + 1) * dimension), with: unit)
    }

    public func logits(features: Tensor) throws -> Tensor {
        guard features.shape.count == 2, features.shape[1] == dimension else {
            throw EngineError.shapeMismatch(
                operation: "PrototypeHead features", expected: [-1, dimension], found: features.shape)
        }
        let n = features.shape[0]
        // Normalised in a buffer kept between calls: one allocation per batch size, not per image.
        if normalized.count != n * dimension { normalized = [Float](repeating: 0, count: n * dimension) }
        for i in 0..<n {
            let row = UnsafeBufferPointer(start: features.pointer + i * dimension, count: dimension)
            let norm = Self.norm(row)
            for j in 0..<dimension { normalized[i * dimension + j] = row[j] / norm }
        }
        let out = Tensor(shape: [n, classes])
        try Gemm.multiply(
            transposeA: false, transposeB: true, m: n, n: classes, k: dimension, a: normalized, lda: dimension,
            b: rows, ldb: dimension, beta: 0, c: out.pointer, ldc: classes)
        return out
    }

    /// `v / max(‖v‖, 1e-12)`, as `torch.nn.functional.normalize`.
    static func normalized(_ v: [Float]) -> [Float] {
        let norm = v.withUnsafeBufferPointer(Self.norm)
        return v.map { $0 / norm }
    }

    /// max(‖v‖, 1e-12), summed in float64.
    static func norm(_ v: UnsafeBufferPointer<Float>) -> Float {
        max(Float(v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()), 1e-12)
    }
}
