import ConFiTEngine

/// Replaces each trainable parameter's gradient by its mean over the processes of a
/// group, in one all-reduce of one buffer allocated once: with equal shards of a batch,
/// each process's gradient of its shard's mean loss, averaged, is the gradient of the
/// whole batch's mean loss.
public final class GradientAverager {
    public let group: any ProcessGroup
    private var buffer: [Float] = []

    public init(group: any ProcessGroup) { self.group = group }

    /// Averages the gradients of `parameters` that are trainable. Every process must pass
    /// the same parameters with the same trainable flags, in the same order.
    public func average(_ parameters: [Parameter]) throws {
        let trainable = parameters.filter(\.trainable)
        let count = trainable.reduce(0) { $0 + $1.value.count }
        guard group.size > 1, count > 0 else { return }
        if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
        try buffer.withUnsafeMutableBufferPointer { flat in
            var offset = 0
            for parameter in trainable {
                (flat.baseAddress! + offset).update(from: parameter.gradient.pointer, count: parameter.value.count)
                offset += parameter.value.count
            }
            try group.allReduceSum(UnsafeMutableBufferPointer(rebasing: flat[0..<count]))
            let scale = 1 / Float(group.size)
            offset = 0
            for parameter in trainable {
                let (source, target) = (flat.baseAddress! + offset, parameter.gradient.pointer)
                for i in 0..<parameter.value.count { target[i] = source[i] * scale }
                offset += parameter.value.count
            }
        }
    }
}
