import ConFiTEngine
import ConFiTNN

/// The diagonal of the empirical Fisher information of some parameters, as FACIL's EWC
/// computes it (`compute_fisher_matrix_diag`, sampling `max_pred`): per batch, the
/// gradient of the mean cross-entropy of the restricted logits against their own arg-max,
/// squared and multiplied by the batch size; summed over batches, divided by the images.
///
/// The network runs in training mode (batch statistics), as FACIL's does, but its BN
/// running statistics are put back afterwards: computing a Fisher must not change the model.
public struct FisherDiagonal {
    /// Per parameter name, E[g²] over the images seen.
    public private(set) var values: [String: [Float]]
    public private(set) var samples = 0

    /// The Fisher of `parameters` of `network` over the inputs `nextBatch` returns until
    /// nil, with logits restricted to `classes`. Leaves every parameter's gradient dirty
    /// (the next training step zeroes them).
    public init(
        network: any Layer, parameters: [(String, Parameter)], classes: [Int], nextBatch: () throws -> Tensor?
    ) throws {
        let buffers = try network.namedBuffers().map { ($0.1, try $0.1.toArray()) }
        defer { for (tensor, saved) in buffers { try? tensor.load(saved) } }
        network.setTrainable(.all)
        network.train()
        var sums = parameters.map { [Float](repeating: 0, count: $0.1.value.count) }
        var gradients: [[Int]: Tensor] = [:]
        while let input = try nextBatch() {
            for (_, p) in network.namedParameters() { p.zeroGradient() }
            let logits = try network.forward(input)
            let width = logits.shape[1], rows = logits.shape[0]
            let predicted = (0..<rows).map { row in
                classes.indices.max { a, b in
                    let (x, y) = (logits.pointer[row * width + classes[a]], logits.pointer[row * width + classes[b]])
                    return x < y || (x == y && a > b)
                }!
            }
            let gradient = gradients[logits.shape] ?? Tensor(shape: logits.shape)
            gradients[logits.shape] = gradient
            _ = try CrossEntropy.loss(logits: logits, classes: classes, labels: predicted, gradient: gradient)
            _ = try network.backward(gradient, needsInputGradient: false)
            for (k, (_, p)) in parameters.enumerated() {
                let g = p.gradient.pointer, batchSize = Float(rows)
                sums[k].withUnsafeMutableBufferPointer { sum in
                    for i in sum.indices { sum[i] += g[i] * g[i] * batchSize }
                }
            }
            samples += rows
        }
        let n = Float(max(samples, 1))
        values = Dictionary(uniqueKeysWithValues: zip(parameters.map(\.0), sums.map { $0.map { $0 / n } }))
    }
}
