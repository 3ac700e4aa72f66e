/// Per-model input normalisation from uint8 HWC pixels to float CHW values:
/// `(pixel / divisor − mean[c]) / std[c]`, computed in float32 as PyTorch's
/// `ToTensor` + `Normalize` do.
public struct Normalization: Sendable, Hashable {
    public var divisor: Float
    public var mean: [Float]
    public var std: [Float]

    /// torchvision's ImageNet statistics, for ResNets.
    public static let imageNet = Normalization(
        divisor: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    /// EfficientNet-Lite0's `(pixel − 127) / 128`.
    public static let efficientNetLite = Normalization(divisor: 1, mean: [127, 127, 127], std: [128, 128, 128])

    public init(divisor: Float, mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "three channel statistics expected")
        self.divisor = divisor
        self.mean = mean
        self.std = std
    }

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
