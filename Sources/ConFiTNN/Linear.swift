import ConFiTEngine

/// PyTorch's `nn.Linear(in, out)`: y = x·Wᵀ + b on plain float32 [N, in] inputs, through
/// `dnnl_sgemm` — float32 under bf16 precision too: the classifier is 0.1 % of a ResNet-18
/// step (`confit bench --profile`), and logits and loss stay exact.
public final class Linear: Layer, ComputeConfigurable {
    public var isTraining = true
    public let inFeatures: Int, outFeatures: Int
    /// [out, in].
    public let weight: Parameter
    /// [out].
    public let bias: Parameter
    public var settings = ComputeSettings()
    private var output = Buffer(), inputGradient = Buffer()
    private var input: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int) {
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        weight = Parameter(shape: [outFeatures, inFeatures])
        bias = Parameter(shape: [outFeatures])
    }

    public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    public func forward(_ input: Tensor) throws -> Tensor {
        guard input.shape.count == 2, input.shape[1] == inFeatures, input.format == .plain else {
            throw EngineError.shapeMismatch(
                operation: "Linear(\(inFeatures), \(outFeatures)) input (plain, -1 = any)",
                expected: [-1, inFeatures], found: input.shape)
        }
        guard input.dataType == .float32 else {
            throw EngineError.dataTypeMismatch(
                operation: "Linear(\(inFeatures), \(outFeatures)) input", expected: .float32,
                found: input.dataType)
        }
        let n = input.shape[0]
        let out = output.get([n, outFeatures], .plain)
        for row in 0..<n { (out.pointer + row * outFeatures).update(from: bias.value.pointer, count: outFeatures) }
        try Gemm.multiply(
            transposeA: false, transposeB: true, m: n, n: outFeatures, k: inFeatures,
            a: input.pointer, lda: inFeatures, b: weight.value.pointer, ldb: inFeatures,
            beta: 1, c: out.pointer, ldc: outFeatures, profiler: settings.profiler)
        self.input = isTraining ? input : nil
        return out
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let input else {
            throw EngineError.invalidArgument(
                operation: "Linear backward", reason: "no training-mode forward to go back through")
        }
        let n = input.shape[0]
        let dy = outputGradient.pointer
        if weight.trainable {
            try Gemm.multiply(
                transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n,
                a: dy, lda: outFeatures, b: input.pointer, ldb: inFeatures,
                beta: 1, c: weight.gradient.pointer, ldc: inFeatures, profiler: settings.profiler)
        }
        if bias.trainable {
            let db = bias.gradient.pointer
            for row in 0..<n { for j in 0..<outFeatures { db[j] += dy[row * outFeatures + j] } }
        }
        guard needsInputGradient else { return nil }
        let gradient = inputGradient.get(input.shape, .plain)
        try Gemm.multiply(
            transposeA: false, transposeB: false, m: n, n: inFeatures, k: outFeatures,
            a: dy, lda: outFeatures, b: weight.value.pointer, ldb: inFeatures,
            beta: 0, c: gradient.pointer, ldc: inFeatures, profiler: settings.profiler)
        return gradient
    }
}
