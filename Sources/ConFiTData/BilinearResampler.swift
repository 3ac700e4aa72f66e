/// PIL's `Image.resize(size, BILINEAR)` for 8-bit images, reimplemented bit for bit.
///
/// torchvision's `Resize` on PIL images calls this, so pretrained models and the
/// official results assume its exact pixels: a separable triangle filter whose support
/// widens by the downscale factor (antialiasing), coefficients normalised in double and
/// rounded to 22-bit fixed point, a horizontal pass rounded to uint8, then a vertical
/// pass (Pillow's `ImagingResampleInner`, `precompute_coeffs`, `normalize_coeffs_8bpc`).
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

    /// The output pixels in columns `x ..< x + width` and rows `y ..< y + height`.
    public func resample(_ image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(image.width == inWidth && image.height == inHeight, "image does not match the resampler")
        precondition(x >= 0 && y >= 0 && x + width <= outWidth && y + height <= outHeight, "window outside the output")
        let channels = image.channels
        guard width > 0, height > 0 else {
            return RGBImage(width: max(width, 0), height: max(height, 0), channels: channels, pixels: [])
        }
        let rowFirst = vertical.first[y]
        let rowEnd = vertical.first[y + height - 1] + vertical.count[y + height - 1]
        let rows = rowEnd - rowFirst
        var temp = [UInt8](repeating: 0, count: rows * width * channels)
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let half = Int32(1 << (Self.precisionBits - 1))
        let shift = Int32(Self.precisionBits)
        image.pixels.withUnsafeBufferPointer { src in
            horizontal.weights.withUnsafeBufferPointer { kk in
                temp.withUnsafeMutableBufferPointer { dst in
                    for row in 0..<rows {
                        let srcRow = (row + rowFirst) * inWidth * channels
                        let dstRow = row * width * channels
                        for col in 0..<width {
                            let o = col + x
                            let first = horizontal.first[o], n = horizontal.count[o]
                            let k = o * horizontal.taps
                            for c in 0..<channels {
                                var sum = half
                                var p = srcRow + first * channels + c
                                for t in 0..<n {
                                    sum = sum &+ Int32(src[p]) &* kk[k + t]
                                    p += channels
                                }
                                dst[dstRow + col * channels + c] = Self.clip8(sum, shift)
                            }
                        }
                    }
                }
            }
        }
        temp.withUnsafeBufferPointer { src in
            vertical.weights.withUnsafeBufferPointer { kk in
                out.withUnsafeMutableBufferPointer { dst in
                    let stride = width * channels
                    for row in 0..<height {
                        let o = row + y
                        let first = vertical.first[o] - rowFirst, n = vertical.count[o]
                        let k = o * vertical.taps
                        for i in 0..<stride {
                            var sum = half
                            var p = first * stride + i
                            for t in 0..<n {
                                sum = sum &+ Int32(src[p]) &* kk[k + t]
                                p += stride
                            }
                            dst[row * stride + i] = Self.clip8(sum, shift)
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, channels: channels, pixels: out)
    }

    @inline(__always)
    static func clip8(_ sum: Int32, _ shift: Int32) -> UInt8 {
        UInt8(clamping: sum >> shift)
    }
}
