import CDNNL

/// Per-channel means of [N, C, H, W] activations over N, H and W, built once per shape:
/// ConFiT's pre-convolution tracker takes them on every training step, so they must cost
/// a fraction of the convolution they watch.
///
/// oneDNN 2.6 reduces over N, H, W (and pools with dilation) only in a scalar reference
/// kernel, so the means are average pooling on oneDNN's threads, one mean per image and
/// channel, then averaged over the N images (equal weights) in Double:
/// - all positions: global average pooling, in any layout;
/// - the four parity phases of an input with even H and W: every layout stores an image as
///   G groups of L channels that sit together in memory (NHWC: one group of C; nChw16c:
///   blocks of 16; NCHW: single channels), each group H × W × L. The same memory read as a
///   5-D NDHWC tensor [N·G, 2L, H/2, 2, W/2] — channel index (column parity, lane), H the
///   row parity — is pooled over D and W;
/// - odd sizes, and bfloat16 inputs (oneDNN 2.6 pools bfloat16 into bfloat16 only, which
///   would round every image's means to 8 bits of mantissa), use
///   `Tensor.channelMeans(byParity:)`, a loop over the images split over oneDNN's threads.
public final class ChannelMeanReduction {
    public let shape: [Int]
    public let format: TensorFormat
    public let byParity: Bool
    public let dataType: DataType
    private let pooling: (primitive: Primitive, pooled: Tensor, viewShape: [Int])?
    /// Floats between consecutive images in the globally pooled output (blocked layouts pad C).
    private let pooledStride: Int
    /// Channels per group of the parity view (see above).
    private let lanes: Int
    /// The 5-D view of the last input (the same buffer every step, as a rule).
    private var inputView: (input: Tensor, view: Tensor)?

    public init(
        shape: [Int], format: TensorFormat, dataType: DataType = .float32, byParity: Bool,
        profiler: Profiler? = nil
    ) throws {
        guard shape.count == 4 else {
            throw EngineError.invalidArgument(operation: "channel means", reason: "needs [N, C, H, W], got \(shape)")
        }
        (self.shape, self.format, self.dataType, self.byParity) = (shape, format, dataType, byParity)
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        lanes =
            switch format {
            case .channelsLast: c
            case .blocked16: 16
            default: 1
            }
        let groups = (c + lanes - 1) / lanes
        let pooledShape: [Int], kernel: [Int64], viewShape: [Int], viewFormat: TensorFormat
        if dataType != .float32 {
            (pooling, pooledStride) = (nil, 0)
            return
        } else if !byParity {
            (pooledShape, kernel, viewShape, viewFormat) = ([n, c, 1, 1], [Int64(h), Int64(w)], shape, format)
        } else if h % 2 == 0, w % 2 == 0 {
            (pooledShape, kernel, viewShape, viewFormat) = (
                [n * groups, 2 * lanes, 1, 2, 1], [Int64(h / 2), 1, Int64(w / 2)],
                [n * groups, 2 * lanes, h / 2, 2, w / 2], .channelsLast
            )
        } else {
            (pooling, pooledStride) = (nil, 0)
            return
        }
        var src = memoryDescriptor(viewShape, format: viewFormat)
        var dst = memoryDescriptor(pooledShape, format: viewFormat)
        var desc = dnnl_pooling_desc_t()
        let zeros = [Int64](repeating: 0, count: kernel.count), ones = [Int64](repeating: 1, count: kernel.count)
        try check(
            dnnl_pooling_forward_desc_init(
                &desc, dnnl_forward_inference, dnnl_pooling_avg_exclude_padding, &src, &dst,
                ones, kernel, zeros, zeros), "channel means \(shape)")
        pooledStride = dnnl_memory_desc_get_size(&dst) / 4 / n
        pooling = (
            try Primitive("channel means \(shape)", desc, profiler: profiler),
            Tensor(shape: pooledShape, format: viewFormat), viewShape
        )
    }

    /// [1 or 4][C] means of `input`.
    public func callAsFunction(_ input: Tensor) throws -> [[Float]] {
        try expect(input, shape, "channel means input", format: format, dataType: dataType)
        guard let pooling else { return try input.channelMeans(byParity: byParity).map { $0.map(Float.init) } }
        let source: Tensor
        if !byParity {
            source = input
        } else if let (last, view) = inputView, last === input {
            source = view
        } else {
            source = try input.reinterpreted(as: pooling.viewShape, format: .channelsLast)
            inputView = (input, source)
        }
        try pooling.primitive.execute([(DNNL_ARG_SRC, source), (DNNL_ARG_DST, pooling.pooled)])
        let (images, channels) = (shape[0], shape[1])
        let groups = (channels + lanes - 1) / lanes
        // The parity view pools each group into (row parity, column parity, lane).
        func index(_ image: Int, _ phase: Int, _ c: Int) -> Int {
            guard byParity else { return image * pooledStride + c }
            return ((image * groups + c / lanes) * 2 + phase / 2) * 2 * lanes + (phase % 2) * lanes + c % lanes
        }
        return (0..<(byParity ? 4 : 1)).map { phase in
            (0..<channels).map { c in
                var sum = 0.0
                for image in 0..<images { sum += Double(pooling.pooled.pointer[index(image, phase, c)]) }
                return Float(sum / Double(images))
            }
        }
    }
}
