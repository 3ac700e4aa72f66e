/// PIL's `Image.resize(size, BILINEAR)` for 8-bit images, reimplemented bit for bit.
///
/// torchvision's `Resize` on PIL images calls this, so pretrained models and the
/// official results assume its exact pixels: a separable triangle filter whose support
/// widens by the downscale factor (antialiasing), coefficients normalised in double and
/// rounded to 22-bit fixed point, two passes each rounded to uint8 (Pillow 13's
/// `ImagingResampleInner`, `precompute_coeffs`, `normalize_coeffs_8bpc`).
/// Every output pixel depends only on its own coefficients, so computing just a window
/// of the output (the centre crop) gives the same values as resizing then cropping.
public struct BilinearResampler: Sendable {
    static let precisionBits = 22

    /// Per output position: first input index, tap count, and `taps` fixed-point weights.
    struct Coefficients {
        var first: [Int]
        var count: [Int]
        var weights: [Int32]
        var taps: Int

        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1.0)
            let support = 1.0 * filterScale
            taps = Int(support.rounded(.up)) * 2 + 1
            first = [Int](repeating: 0, count: outSize)
            count = [Int](repeating: 0, count: outSize)
            weights = [Int32](repeating: 0, count: outSize * taps)
            let reciprocal = 1.0 / filterScale
            var k = [Double](repeating: 0, count: taps)
            for out in 0..<outSize {
                let center = (Double(out) + 0.5) * scale
                let low = max(Int(center - support + 0.5), 0)
                let high = min(Int(center + support + 0.5), inSize)
                var total = 0.0
                for x in 0..<(high - low) {
                    let w = max(0, 1 - abs((Double(x + low) - center + 0.5) * reciprocal))
                    k[x] = w
                    total += w
                }
                for x in 0..<(high - low) {
                    let w = total != 0 ? k[x] / total : k[x]
                    let fixed = w * Double(1 << BilinearResampler.precisionBits)
                    weights[out * taps + x] = Int32(fixed < 0 ? fixed - 0.5 : fixed + 0.5)
                }
                first[out] = low
                count[out] = high - low
            }
        }
    }

    public let inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int
    let horizontal: Coefficients
    let vertical: Coefficients

    public init(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) {
        self.inWidth = inWidth
        self.inHeight = inHeight
        self.outWidth = outWidth
        self.outHeight = outHeight
        horizontal = Coefficients(inSize: inWidth, outSize: outWidth)
        vertical = Coefficients(inSize: inHeight, outSize: outHeight)
    }

    /// Pillow (≥ 12) runs the vertical pass first when the height shrinks by more than
    /// twice as many pixels as the width; the order changes rounding, so it is kept.
    public var verticalFirst: Bool {
        inHeight - outHeight > 0 && inHeight - outHeight > (inWidth - outWidth) * 2
    }

    /// The output pixels in columns `x ..< x + width` and rows `y ..< y + height`.
    public func resample(_ image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(image.width == inWidth && image.height == inHeight, "image does not match the resampler")
        precondition(x >= 0 && y >= 0 && x + width <= outWidth && y + height <= outHeight, "window outside the output")
        let c = image.channels
        guard width > 0, height > 0 else {
            return RGBImage(width: max(width, 0), height: max(height, 0), channels: c, pixels: [])
        }
        let columns = x..<(x + width), rows = y..<(y + height)
        let pixels: [UInt8]
        if verticalFirst {
            let used = Self.sourceRange(horizontal, columns)
            let temp = Self.pass(
                vertical, image.pixels, outputs: rows, firstSource: 0, sourceStep: inWidth * c,
                lanes: used.count * c, laneOffset: used.lowerBound * c, laneStep: 1,
                outLaneStep: 1, outPositionStep: used.count * c)
            pixels = Self.pass(
                horizontal, temp, outputs: columns, firstSource: used.lowerBound, sourceStep: c,
                lanes: height, laneOffset: 0, laneStep: used.count * c,
                outLaneStep: width * c, outPositionStep: c, channels: c)
        } else {
            let used = Self.sourceRange(vertical, rows)
            let temp = Self.pass(
                horizontal, image.pixels, outputs: columns, firstSource: 0, sourceStep: c,
                lanes: used.count, laneOffset: used.lowerBound * inWidth * c, laneStep: inWidth * c,
                outLaneStep: width * c, outPositionStep: c, channels: c)
            pixels = Self.pass(
                vertical, temp, outputs: rows, firstSource: used.lowerBound, sourceStep: width * c,
                lanes: width * c, laneOffset: 0, laneStep: 1,
                outLaneStep: 1, outPositionStep: width * c)
        }
        return RGBImage(width: width, height: height, channels: c, pixels: pixels)
    }

    /// The source indices that the given output positions read.
    static func sourceRange(_ k: Coefficients, _ outputs: Range<Int>) -> Range<Int> {
        k.first[outputs.lowerBound]..<(k.first[outputs.upperBound - 1] + k.count[outputs.upperBound - 1])
    }

    /// One separable pass over `lanes` independent lines (image rows for the horizontal
    /// pass, byte columns for the vertical one). Output position o of lane l, channel ch
    /// sums source bytes `laneOffset + l·laneStep + (first[o] − firstSource + t)·sourceStep + ch`
    /// and lands at `l·outLaneStep + (o − outputs.lowerBound)·outPositionStep + ch`.
    static func pass(
        _ k: Coefficients, _ source: [UInt8], outputs: Range<Int>, firstSource: Int, sourceStep: Int,
        lanes: Int, laneOffset: Int, laneStep: Int, outLaneStep: Int, outPositionStep: Int, channels: Int = 1
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: lanes * outputs.count * channels)
        let half = Int32(1 << (precisionBits - 1))
        let shift = Int32(precisionBits)
        source.withUnsafeBufferPointer { src in
            k.weights.withUnsafeBufferPointer { kk in
                out.withUnsafeMutableBufferPointer { dst in
                    for lane in 0..<lanes {
                        for (i, o) in outputs.enumerated() {
                            let n = k.count[o], w = o * k.taps
                            let start = laneOffset + lane * laneStep + (k.first[o] - firstSource) * sourceStep
                            let at = lane * outLaneStep + i * outPositionStep
                            for ch in 0..<channels {
                                var sum = half
                                var p = start + ch
                                for t in 0..<n {
                                    sum = sum &+ Int32(src[p]) &* kk[w + t]
                                    p += sourceStep
                                }
                                dst[at + ch] = clip8(sum, shift)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    static func clip8(_ sum: Int32, _ shift: Int32) -> UInt8 {
        UInt8(clamping: sum >> shift)
    }
}
