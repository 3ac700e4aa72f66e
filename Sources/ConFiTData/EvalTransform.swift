/// torchvision's eval transform up to the tensor: `Resize(S)` then `CenterCrop(C)`.
///
/// The result is uint8 RGB, small enough to cache; `Normalization` turns it into the
/// float CHW values a model expects. `Resize(S)` maps the short side to S and the long
/// side to `int(S * long / short)`; the crop offset is `round((size − C) / 2)` with
/// Python's round-half-even, and an image smaller than the crop is zero-padded
/// (left/top padding `(C − size) // 2`), as torchvision's `center_crop` does.
public struct EvalTransform: Sendable, Hashable {
    public var resizeShortSide: Int
    public var cropSize: Int

    /// The protocol's transform: short side 256, centre 224 × 224.
    public static let standard = EvalTransform(resizeShortSide: 256, cropSize: 224)

    public init(resizeShortSide: Int, cropSize: Int) {
        self.resizeShortSide = resizeShortSide
        self.cropSize = cropSize
    }

    /// The size `Resize(resizeShortSide)` produces for a `width` × `height` image.
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let s = resizeShortSide
        if width <= height {
            return (s, Int(Double(s * height) / Double(width)))
        }
        return (Int(Double(s * width) / Double(height)), s)
    }

    /// Resize, crop and expand gray to RGB: a `cropSize` × `cropSize` × 3 image.
    public func apply(_ image: RGBImage) -> RGBImage {
        let (w, h) = resizedSize(width: image.width, height: image.height)
        let cols = Self.cropAxis(size: w, crop: cropSize)
        let rows = Self.cropAxis(size: h, crop: cropSize)
        let resampler = BilinearResampler(inWidth: image.width, inHeight: image.height, outWidth: w, outHeight: h)
        let window = resampler.resample(image, x: cols.start, y: rows.start, width: cols.count, height: rows.count)
        guard cols.count != cropSize || rows.count != cropSize else { return window.rgb() }
        let c = window.channels
        var padded = [UInt8](repeating: 0, count: cropSize * cropSize * c)
        for r in 0..<rows.count {
            let dst = ((r + rows.pad) * cropSize + cols.pad) * c
            let src = r * cols.count * c
            padded[dst..<(dst + cols.count * c)] = window.pixels[src..<(src + cols.count * c)]
        }
        return RGBImage(width: cropSize, height: cropSize, channels: c, pixels: padded).rgb()
    }

    /// Along one axis: first resized index kept, how many, and the zero padding before.
    static func cropAxis(size: Int, crop: Int) -> (start: Int, count: Int, pad: Int) {
        if crop <= size {
            return (Int((Double(size - crop) / 2).rounded(.toNearestOrEven)), crop, 0)
        }
        return (0, size, (crop - size) / 2)
    }
}
