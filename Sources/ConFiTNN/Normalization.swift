/// A network's input normalisation from uint8 pixels to floats:
/// `(pixel / divisor − mean[c]) / std[c]`, computed in float32 as PyTorch's
/// `ToTensor` + `Normalize` do. Part of what pre-trained weights expect
/// (`Architecture.normalization`); the data loader applies it.
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
}
