import ConFiTNN

extension Normalization {
    /// Writes the 3-channel `image` as CHW floats into `out` (`3 * width * height` values).
    public func write(_ image: RGBImage, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(image.channels == 3 && out.count == image.pixels.count, "RGB image and matching buffer expected")
        let plane = image.width * image.height
        image.pixels.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                let m = mean[c], s = std[c], d = divisor
                for i in 0..<plane {
                    out[c * plane + i] = (Float(src[3 * i + c]) / d - m) / s
                }
            }
        }
    }
}
