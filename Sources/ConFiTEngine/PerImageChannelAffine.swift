/// `output[n, c, h, w] = input[n, c, h, w] · scale[n, c] + shift[n, c]`, then ReLU when
/// fused: batch normalization in inference when every image of the batch has its own
/// statistics, γ and β — images of different tasks' banks in one batch (`confit serve`).
///
/// Written in Swift on oneDNN's OpenMP threads: with oneDNN 2.7's binary primitive
/// broadcasting the [N, C, 1, 1] operand over nChw16c activations, a served EfficientNet-Lite0
/// request of one image took 432 ms (p50) instead of 22 (benchmarks/serve, 2-core EPYC).
/// Work is split over (image, channel block) pairs, so that one image uses every thread;
/// bfloat16 elements are computed in float32 and rounded once.
public final class PerImageChannelAffine {
    public let shape: [Int]
    public let fusedReLU: Bool
    private let format: TensorFormat
    private let dataType: DataType
    private let profiler: Profiler?

    public init(
        shape: [Int], format: TensorFormat, dataType: DataType = .float32, fusedReLU: Bool = false,
        profiler: Profiler? = nil
    ) throws {
        guard shape.count == 4 else {
            throw EngineError.invalidArgument(operation: "per-image affine", reason: "needs [N, C, H, W], got \(shape)")
        }
        (self.shape, self.format, self.dataType, self.fusedReLU) = (shape, format, dataType, fusedReLU)
        self.profiler = profiler
    }

    /// The shape of `scale` and `shift` for activations of `shape`: [N, C, 1, 1].
    public static func affineShape(_ shape: [Int]) -> [Int] { [shape[0], shape[1], 1, 1] }

    /// `output` may be `input`.
    public func run(_ input: Tensor, scale: Tensor, shift: Tensor, into output: Tensor) throws {
        try expect(input, shape, "per-image affine input", format: format, dataType: dataType)
        try expect(output, shape, "per-image affine output", format: format, dataType: dataType)
        for (tensor, what) in [(scale, "scale"), (shift, "shift")] {
            try expect(tensor, Self.affineShape(shape), "per-image \(what)", format: .plain, dataType: .float32)
        }
        Profiler.measure(profiler, "per-image affine (Swift)") {
            switch dataType {
            case .float32: apply(UnsafePointer(input.pointer), output.pointer, scale.pointer, shift.pointer)
            case .bfloat16:
                apply(UnsafePointer(input.bfloat16Pointer), output.bfloat16Pointer, scale.pointer, shift.pointer)
            }
        }
    }

    private static func blocked(
        _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, positions: Int,
        scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, relu: Bool
    ) {
        let a = UnsafeRawPointer(scale).loadUnaligned(as: SIMD16<Float>.self)
        let b = UnsafeRawPointer(shift).loadUnaligned(as: SIMD16<Float>.self)
        let zero = SIMD16<Float>(repeating: 0)
        let (from, to) = (UnsafeRawPointer(input), UnsafeMutableRawPointer(output))
        for position in 0..<positions {
            let offset = position * MemoryLayout<SIMD16<Float>>.stride
            var y = from.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * a + b
            if relu { y = y.replacing(with: zero, where: y .< zero) }
            to.storeBytes(of: y, toByteOffset: offset, as: SIMD16<Float>.self)
        }
    }

    private func apply<E: ActivationElement>(
        _ source: UnsafePointer<E>, _ target: UnsafeMutablePointer<E>, _ a: UnsafePointer<Float>,
        _ b: UnsafePointer<Float>
    ) {
        let (n, c, area) = (shape[0], shape[1], shape[2] * shape[3])
        let (channelStride, blockChannels): (Int, Int) =
            switch format {
            case .channelsLast: (1, c)
            case .blocked16: (1, 16)
            default: (area, c)
            }
        let blocks = (c + blockChannels - 1) / blockChannels
        let (threads, relu, format) = (Engine.shared.threads, fusedReLU, format)
        let vectors = format == .blocked16 && E.self == Float.self
        ThreadTeam.run { thread, team in
            guard thread < threads else { return }
            for item in stride(from: thread, to: n * blocks, by: min(team, threads)) {
                let (image, block) = item.quotientAndRemainder(dividingBy: blocks)
                let first = block * blockChannels, count = min(blockChannels, c - first)
                let (scale, shift) = (a + image * c + first, b + image * c + first)
                if vectors, count == 16 {
                    // The common case, 16 float32 channels side by side: one vector per position.
                    let offset = (image * blocks + block) * area * 16
                    Self.blocked(
                        UnsafeRawPointer(source).assumingMemoryBound(to: Float.self) + offset,
                        UnsafeMutableRawPointer(target).assumingMemoryBound(to: Float.self) + offset,
                        positions: area, scale: scale, shift: shift, relu: relu)
                    continue
                }
                for position in 0..<area {
                    let base: Int =
                        switch format {
                        case .channelsLast: (image * area + position) * c
                        case .blocked16: ((image * blocks + block) * area + position) * 16
                        default: (image * c + first) * area + position
                        }
                    let (input, out) = (source + base, target + base)
                    for k in 0..<count {
                        let y = input[k * channelStride].float * scale[k] + shift[k]
                        out[k * channelStride] = E(relu ? max(y, 0) : y)
                    }
                }
            }
        }
    }
}
