/// ∂loss/∂weights of a depthwise convolution (one K×K filter per channel) in the blocked or
/// NHWC layout: the one kernel here that oneDNN 2.6 does not supply at speed.
///
/// oneDNN 2.6's depthwise weight-gradient kernel (jit_dw) takes filters at most 3 wide, so
/// EfficientNet's 5×5 depthwise convolutions get its generic direct kernel in NHWC (about
/// 6 GFLOP/s here, 0.2 s of a 1.5 s training step) and its reference kernel in nChw16c
/// (0.1 GFLOP/s). Both layouts keep 16 channels contiguous at every pixel, so this kernel
/// works on 16 channels at once: each filter tap is a lane-wise dot product of input rows
/// with output-gradient rows, summed over the batch.
struct DepthwiseWeightGradient {
    let shape: ConvolutionShape
    let format: TensorFormat

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
        // Work items are (channel group, share of the batch), so that both threads have
        // work even with few groups; each item sums into its own row of `partial`.
        let shares = min(shape.batch, 4), items = groups * shares
        let partial = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: items * taps)
        defer { partial.deallocate() }
        ThreadTeam.run { thread, threads in
            for item in stride(from: thread, to: items, by: threads) {
                let (group, share) = item.quotientAndRemainder(dividingBy: shares)
                let images = (shape.batch * share / shares)..<(shape.batch * (share + 1) / shares)
                sum(group: group, images: images, input: input.pointer, outputGradient: outputGradient.pointer,
                    into: partial + item * taps)
            }
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
    private func sum(group: Int, images: Range<Int>, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                     into taps: UnsafeMutablePointer<SIMD16<Float>>) {
        let s = shape, k = s.kernel
        taps.initialize(repeating: SIMD16<Float>(), count: k * k)
        let pixel = format == .blocked16 ? 16 : s.inChannels
        for image in images {
            for outRow in 0..<s.outHeight {
                let gradientRow = outputGradient + rowOffset(image, group, outRow, height: s.outHeight, width: s.outWidth)
                for i in 0..<k {
                    let inRow = outRow * s.stride + i - s.padTop
                    guard inRow >= 0, inRow < s.height else { continue }
                    let inputRow = input + rowOffset(image, group, inRow, height: s.height, width: s.width)
                    for j in 0..<k {
                        // Output columns whose input column col·stride + j − padLeft is inside the image.
                        let first = (max(0, s.padLeft - j) + s.stride - 1) / s.stride
                        let end = min(s.outWidth, (s.width - 1 + s.padLeft - j) / s.stride + 1)
                        var tap = taps[i * k + j]
                        var column = first
                        while column < end {
                            let x = load(inputRow + (column * s.stride + j - s.padLeft) * pixel)
                            tap += x * load(gradientRow + column * pixel)
                            column += 1
                        }
                        taps[i * k + j] = tap
                    }
                }
            }
        }
    }

    /// Where row `row` of channel group `group` of image `image` starts, in floats.
    private func rowOffset(_ image: Int, _ group: Int, _ row: Int, height: Int, width: Int) -> Int {
        format == .blocked16
            ? ((image * ((shape.inChannels + 15) / 16) + group) * height + row) * width * 16
            : (image * height + row) * width * shape.inChannels + group * 16
    }

    private func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }
}
