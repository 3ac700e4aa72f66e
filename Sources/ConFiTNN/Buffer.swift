import ConFiTEngine

/// A layer's reusable output or gradient buffer, allocated for the largest batch it has
/// been asked for: a smaller batch of the same images — a partial last batch, the training
/// batch beside the evaluation one — is a view of its first images. Reallocating instead,
/// which zero-fills fresh pages, took half of every evaluation's time (two shapes per test
/// set, every buffer of the network).
struct Buffer {
    private var storage: Tensor?
    private var tensor: Tensor?

    mutating func get(_ shape: [Int], _ format: TensorFormat, _ dataType: DataType = .float32) -> Tensor {
        if let tensor, tensor.shape == shape, tensor.format == format, tensor.dataType == dataType { return tensor }
        if let storage, storage.format == format, storage.dataType == dataType,
            storage.shape.dropFirst() == shape.dropFirst(),
            let batch = shape.first, batch <= storage.shape[0], let view = try? storage.batchPrefix(batch)
        {
            tensor = view
            return view
        }
        let fresh = Tensor(shape: shape, format: format, dataType: dataType)
        (storage, tensor) = (fresh, fresh)
        return fresh
    }
}

/// Kernels (oneDNN primitives) built once per input shape and mode, then reused.
///
/// Holds the `capacity` most recently used shapes: training, evaluation and a partial
/// last batch stay built, and so do the six batch sizes a server pads its batches to
/// (1, 2, 4, ... 32), while the partial batches of many different test sets (one per task
/// in a long run) do not pile up weight copies and scratchpads without bound.
struct KernelCache<Kernel> {
    private struct Key: Equatable {
        var shape: [Int]
        var variant: Int
    }
    private static var capacity: Int { 8 }
    /// Most recently used last.
    private var kernels: [(key: Key, kernel: Kernel)] = []

    mutating func get(_ shape: [Int], training: Bool, build: () throws -> Kernel) rethrows -> Kernel {
        try get(shape, variant: training ? 1 : 0, build: build)
    }

    /// A kernel per shape and per `variant` (a layer's own numbering of its modes).
    mutating func get(_ shape: [Int], variant: Int, build: () throws -> Kernel) rethrows -> Kernel {
        let key = Key(shape: shape, variant: variant)
        if let index = kernels.firstIndex(where: { $0.key == key }) {
            let entry = kernels.remove(at: index)
            kernels.append(entry)
            return entry.kernel
        }
        let kernel = try build()
        if kernels.count == Self.capacity { kernels.removeFirst() }
        kernels.append((key, kernel))
        return kernel
    }
}

/// `a += b` over same-shaped activations (residual sums and the merging of their
/// gradients), with the oneDNN kernel built once per shape.
struct InPlaceAddition {
    private var kernels = KernelCache<Addition>()

    mutating func callAsFunction(_ a: Tensor, _ b: Tensor, profiler: Profiler?) throws {
        let add = try kernels.get(a.shape, training: false) {
            try Addition(shape: a.shape, format: a.format, dataType: a.dataType, profiler: profiler)
        }
        try add.run(a, b, into: a)
    }
}

/// The shape-mismatch error a layer raises, naming itself.
func layerInput(_ layer: String, _ input: Tensor, rank: Int, channels: Int) throws {
    guard input.shape.count == rank, input.shape[1] == channels else {
        var expected = [Int](repeating: -1, count: rank)
        expected[1] = channels
        throw EngineError.shapeMismatch(
            operation: "\(layer) input (-1 = any size)", expected: expected, found: input.shape)
    }
}
