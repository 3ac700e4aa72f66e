import ConFiTEngine

/// A layer's reusable output or gradient buffer: allocated on first use and again only
/// when the shape changes (a partial last batch), never per step.
struct Buffer {
    private var tensor: Tensor?

    mutating func get(_ shape: [Int], _ format: TensorFormat) -> Tensor {
        if let tensor, tensor.shape == shape, tensor.format == format { return tensor }
        let fresh = Tensor(shape: shape, format: format)
        tensor = fresh
        return fresh
    }
}

/// Kernels (oneDNN primitives) built once per input shape and mode, then reused.
struct KernelCache<Kernel> {
    private struct Key: Hashable { var shape: [Int]; var training: Bool }
    private var kernels: [Key: Kernel] = [:]

    mutating func get(_ shape: [Int], training: Bool, build: () throws -> Kernel) rethrows -> Kernel {
        let key = Key(shape: shape, training: training)
        if let kernel = kernels[key] { return kernel }
        let kernel = try build()
        kernels[key] = kernel
        return kernel
    }
}

/// The shape-mismatch error a layer raises, naming itself.
func layerInput(_ layer: String, _ input: Tensor, rank: Int, channels: Int) throws {
    guard input.shape.count == rank, input.shape[1] == channels else {
        var expected = [Int](repeating: -1, count: rank)
        expected[1] = channels
        throw EngineError.shapeMismatch(operation: "\(layer) input (-1 = any size)", expected: expected, found: input.shape)
    }
}
