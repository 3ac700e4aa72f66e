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

    /// Pillow 13 (the fixtures' reference) runs the vertical pass first when the height
    /// shrinks by more than twice as many pixels as the width (older releases always ran
    /// horizontal first); the order changes rounding, so it is kept.
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
            let temp = Self.verticalPass(
                vertical, image.pixels, outputs: rows, firstSource: 0, rowStride: inWidth * c,
                laneOffset: used.lowerBound * c, lanes: used.count * c)
            pixels = Self.horizontalPass(
                horizontal, temp, outputs: columns, firstSource: used.lowerBound, rowStride: used.count * c,
                rowOffset: 0, rows: height, channels: c)
        } else {
            let used = Self.sourceRange(vertical, rows)
            let temp = Self.horizontalPass(
                horizontal, image.pixels, outputs: columns, firstSource: 0, rowStride: inWidth * c,
                rowOffset: used.lowerBound * inWidth * c, rows: used.count, channels: c)
            pixels = Self.verticalPass(
                vertical, temp, outputs: rows, firstSource: used.lowerBound, rowStride: width * c,
                laneOffset: 0, lanes: width * c)
        }
        return RGBImage(width: width, height: height, channels: c, pixels: pixels)
    }

    /// The source indices that the given output positions read.
    static func sourceRange(_ k: Coefficients, _ outputs: Range<Int>) -> Range<Int> {
        k.first[outputs.lowerBound]..<(k.first[outputs.upperBound - 1] + k.count[outputs.upperBound - 1])
    }

    /// Filters along x: for each of `rows` source rows (starting at byte `rowOffset`),
    /// output column o reads source columns from `first[o]`, counted from `firstSource`.
    /// The result is `rows` × `outputs.count` pixels.
    static func horizontalPass(
        _ k: Coefficients, _ source: [UInt8], outputs: Range<Int>, firstSource: Int, rowStride: Int,
        rowOffset: Int, rows: Int, channels c: Int
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * outputs.count * c)
        let half = Int32(1 << (precisionBits - 1)), shift = Int32(precisionBits)
        source.withUnsafeBufferPointer { src in
            k.weights.withUnsafeBufferPointer { kk in
                k.first.withUnsafeBufferPointer { first in
                    k.count.withUnsafeBufferPointer { count in
                        out.withUnsafeMutableBufferPointer { dst in
                            var at = 0
                            for row in 0..<rows {
                                let line = rowOffset + row * rowStride
                                for o in outputs {
                                    let n = count[o], w = o * k.taps
                                    let base = line + (first[o] - firstSource) * c
                                    if c == 3 {
                                        var s0 = half, s1 = half, s2 = half
                                        for t in 0..<n {
                                            let weight = kk[w + t], p = base + 3 * t
                                            s0 = s0 &+ Int32(src[p]) &* weight
                                            s1 = s1 &+ Int32(src[p + 1]) &* weight
                                            s2 = s2 &+ Int32(src[p + 2]) &* weight
                                        }
                                        dst[at] = clip8(s0, shift)
                                        dst[at + 1] = clip8(s1, shift)
                                        dst[at + 2] = clip8(s2, shift)
                                        at += 3
                                    } else {
                                        for ch in 0..<c {
                                            var sum = half
                                            for t in 0..<n { sum = sum &+ Int32(src[base + c * t + ch]) &* kk[w + t] }
                                            dst[at] = clip8(sum, shift)
                                            at += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Filters along y: output row o combines source rows from `first[o]` (counted from
    /// `firstSource`), each contributing `lanes` bytes from byte `laneOffset` of the row.
    /// Rows are accumulated whole, which the compiler vectorises.
    static func verticalPass(
        _ k: Coefficients, _ source: [UInt8], outputs: Range<Int>, firstSource: Int, rowStride: Int,
        laneOffset: Int, lanes: Int
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputs.count * lanes)
        var sums = [Int32](repeating: 0, count: lanes)
        let half = Int32(1 << (precisionBits - 1)), shift = Int32(precisionBits)
        source.withUnsafeBufferPointer { src in
            k.weights.withUnsafeBufferPointer { kk in
                out.withUnsafeMutableBufferPointer { dst in
                    sums.withUnsafeMutableBufferPointer { acc in
                        for (i, o) in outputs.enumerated() {
                            for l in 0..<lanes { acc[l] = half }
                            for t in 0..<k.count[o] {
                                let weight = kk[o * k.taps + t]
                                let row = laneOffset + (k.first[o] - firstSource + t) * rowStride
                                for l in 0..<lanes { acc[l] = acc[l] &+ Int32(src[row + l]) &* weight }
                            }
                            let line = i * lanes
                            for l in 0..<lanes { dst[line + l] = clip8(acc[l], shift) }
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
