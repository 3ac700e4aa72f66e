/// How a convolution or pooling pads its input.
public enum Padding: Sendable, Hashable {
    /// The same number of zeros on every side (PyTorch's `padding=p`).
    case symmetric(Int)
    /// TensorFlow's 'SAME': output size ceil(input / stride), the total padding split with
    /// the odd pixel at the bottom/right — asymmetric when the total is odd.
    case same

    /// Padding before and after along one axis of `size` for a `kernel` and `stride`.
    func amounts(size: Int, kernel: Int, stride: Int) -> (before: Int, after: Int) {
        switch self {
        case .symmetric(let p): return (p, p)
        case .same:
            let out = (size + stride - 1) / stride
            let total = max((out - 1) * stride + kernel - size, 0)
            return (total / 2, total - total / 2)
        }
    }
}
