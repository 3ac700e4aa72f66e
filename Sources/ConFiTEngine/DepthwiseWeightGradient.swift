/// ∂loss/∂weights of a depthwise convolution (one K×K filter per channel) in the blocked or
/// NHWC layout: the one kernel here that oneDNN 2.6 does not supply at speed.
///
/// oneDNN 2.6's depthwise weight-gradient kernel (jit_dw) takes filters at most 3 wide, so
/// EfficientNet's 5×5 depthwise convolutions get its generic direct kernel in NHWC (about
/// 6 GFLOP/s here, 0.2 s of a 1.5 s training step) and its reference kernel in nChw16c
/// (0.1 GFLOP/s). Both layouts keep 16 channels contiguous at every pixel, so this kernel
/// works on 16 channels at once: each filter tap is a lane-wise dot product of input rows
/// with output-gradient rows, summed over the batch — in float32, from float32 or bfloat16
/// activations.
final class DepthwiseWeightGradient {
    let shape: ConvolutionShape
    let format: TensorFormat
    /// Work items are (channel group, share of the batch), so that both threads have work
    /// even with few groups; each item sums into its own K×K row of `partial`, allocated
    /// once and reduced serially.
    private let shares: Int, items: Int
    private let partial: UnsafeMutablePointer<SIMD16<Float>>

    init(shape: ConvolutionShape, format: TensorFormat) {
        (self.shape, self.format) = (shape, format)
        shares = min(shape.batch, 4)
        items = (shape.inChannels + 15) / 16 * shares
        partial = .allocate(capacity: items * shape.kernel * shape.kernel)
    }

    deinit { partial.deallocate() }

    /// Whether this kernel handles `shape` with activations in `format`: depthwise, and
    /// complete contiguous 16-channel groups (NHWC needs a multiple of 16 channels).
    static func handles(_ shape: ConvolutionShape, format: TensorFormat) -> Bool {
        guard shape.groups == shape.inChannels, shape.outChannels == shape.inChannels else { return false }
        return format == .blocked16 || (format == .channelsLast && shape.inChannels % 16 == 0)
    }

    /// Adds the gradient for `input` and `outputGradient` into `gradient`, [C, 1, K, K] plain.
    func accumulate(input: Tensor, outputGradient: Tensor, into gradient: Tensor) {
        let channels = shape.inChannels, taps = shape.kernel * shape.kernel
        let groups = (channels + 15) / 16
        func partialSums<E: ActivationElement>(_ input: UnsafePointer<E>, _ outputGradient: UnsafePointer<E>) {
            ThreadTeam.run { thread, threads in
                for item in stride(from: thread, to: items, by: threads) {
                    let (group, share) = item.quotientAndRemainder(dividingBy: shares)
                    let images = (shape.batch * share / shares)..<(shape.batch * (share + 1) / shares)
                    sum(
                        group: group, images: images, input: input, outputGradient: outputGradient,
                        into: partial + item * taps)
                }
            }
        }
        switch input.dataType {
        case .float32: partialSums(input.pointer, outputGradient.pointer)
        case .bfloat16: partialSums(input.bfloat16Pointer, outputGradient.bfloat16Pointer)
        }
        for group in 0..<groups {
            for tap in 0..<taps {
                var total = SIMD16<Float>()
                for share in 0..<shares { total += partial[(group * shares + share) * taps + tap] }
                for lane in 0..<min(16, channels - group * 16) {
                    gradient.pointer[(group * 16 + lane) * taps + tap] += total[lane]
                }
            }
        }
    }

    /// Sets `taps` (K×K vectors of 16 channels) to the gradient of channel group `group`
    /// over `images`.
    private func sum<E: ActivationElement>(
        group: Int, images: Range<Int>, input: UnsafePointer<E>, outputGradient: UnsafePointer<E>,
        into taps: UnsafeMutablePointer<SIMD16<Float>>
    ) {
        let s = shape, k = s.kernel
        taps.initialize(repeating: SIMD16<Float>(), count: k * k)
        let pixel = format == .blocked16 ? 16 : s.inChannels
        // Output columns that see all K input columns of a filter row (no padding).
        let inner = (s.padLeft + s.stride - 1) / s.stride
        let interior =
            min(
                inner, s.outWidth)..<max(
                min(inner, s.outWidth), min(s.outWidth, floorDivide(s.width - k + s.padLeft, s.stride) + 1))
        let blocked = k == 5 && !interior.isEmpty
        for image in images {
            for outRow in 0..<s.outHeight {
                let gradientRow =
                    outputGradient + rowOffset(image, group, outRow, height: s.outHeight, width: s.outWidth)
                for i in 0..<k {
                    let inRow = outRow * s.stride + i - s.padTop
                    guard inRow >= 0, inRow < s.height else { continue }
                    let rows = (
                        input: input + rowOffset(image, group, inRow, height: s.height, width: s.width) - s.padLeft
                            * pixel,
                        gradient: gradientRow
                    )
                    if blocked {
                        for half in stride(from: 0, to: 16, by: 8) {
                            fiveTaps(taps + i * k, half: half, rows, columns: interior, pixel: pixel)
                        }
                    }
                    for j in 0..<k {
                        // Output columns whose input column col·stride + j − padLeft is inside the image.
                        let first = (max(0, s.padLeft - j) + s.stride - 1) / s.stride
                        let end = min(s.outWidth, floorDivide(s.width - 1 + s.padLeft - j, s.stride) + 1)
                        let tap = taps + i * k + j
                        if blocked {
                            oneTap(tap, j, rows, columns: first..<max(first, interior.lowerBound), pixel: pixel)
                            oneTap(tap, j, rows, columns: min(end, interior.upperBound)..<end, pixel: pixel)
                        } else {
                            oneTap(tap, j, rows, columns: first..<max(first, end), pixel: pixel)
                        }
                    }
                }
            }
        }
    }

    /// Adds column j of a filter row over `columns`: two loads per multiply-add.
    private func oneTap<E: ActivationElement>(
        _ tap: UnsafeMutablePointer<SIMD16<Float>>, _ j: Int,
        _ rows: (input: UnsafePointer<E>, gradient: UnsafePointer<E>), columns: Range<Int>,
        pixel: Int
    ) {
        var sum = tap.pointee
        for column in columns {
            sum +=
                E.widen16(rows.input + (column * shape.stride + j) * pixel) * E.widen16(rows.gradient + column * pixel)
        }
        tap.pointee = sum
    }

    /// Adds all five columns of a 5-wide filter row over `columns`, which must see no
    /// padding, for 8 of the 16 channels: the output gradient is loaded once for five
    /// multiply-adds, and the five sums stay in registers.
    private func fiveTaps<E: ActivationElement>(
        _ row: UnsafeMutablePointer<SIMD16<Float>>, half: Int,
        _ rows: (input: UnsafePointer<E>, gradient: UnsafePointer<E>), columns: Range<Int>,
        pixel: Int
    ) {
        let sums = UnsafeMutableRawPointer(row) + half * 4
        func tap(_ j: Int) -> SIMD8<Float> { sums.loadUnaligned(fromByteOffset: j * 64, as: SIMD8<Float>.self) }
        var (t0, t1, t2, t3, t4) = (tap(0), tap(1), tap(2), tap(3), tap(4))
        for column in columns {
            let d = E.widen8(rows.gradient + column * pixel + half)
            let x = rows.input + column * shape.stride * pixel + half
            t0 += E.widen8(x) * d
            t1 += E.widen8(x + pixel) * d
            t2 += E.widen8(x + 2 * pixel) * d
            t3 += E.widen8(x + 3 * pixel) * d
            t4 += E.widen8(x + 4 * pixel) * d
        }
        func store(_ j: Int, _ t: SIMD8<Float>) { sums.storeBytes(of: t, toByteOffset: j * 64, as: SIMD8<Float>.self) }
        store(0, t0)
        store(1, t1)
        store(2, t2)
        store(3, t3)
        store(4, t4)
    }

    /// ⌊a / b⌋ for b > 0. Swift's `/` rounds towards zero, which for a filter column lying
    /// wholly in the padding of a map narrower than the filter (a < 0) would count one
    /// column that reads outside the row.
    private func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Where row `row` of channel group `group` of image `image` starts, in elements.
    private func rowOffset(_ image: Int, _ group: Int, _ row: Int, height: Int, width: Int) -> Int {
        format == .blocked16
            ? ((image * ((shape.inChannels + 15) / 16) + group) * height + row) * width * 16
            : (image * height + row) * width * shape.inChannels + group * 16
    }
}
