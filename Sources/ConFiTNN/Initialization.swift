/// PyTorch's default initialisations, drawn from a seeded generator.
public enum Initialization {
    /// `nn.Linear`'s default: weight and bias ~ U(−1/√in, 1/√in).
    public static func linear(_ layer: Linear, using generator: inout SplitMix64) {
        let bound = 1 / Float(layer.inFeatures).squareRoot()
        for p in [layer.weight, layer.bias] {
            for i in 0..<p.value.count { p.value.pointer[i] = Float.random(in: -bound...bound, using: &generator) }
            p.markChanged()
        }
    }

    /// torchvision's ResNet convolution init: `kaiming_normal_(mode="fan_out", nonlinearity="relu")`.
    public static func kaimingNormalFanOut(_ conv: Conv2d, using generator: inout SplitMix64) {
        let fanOut = conv.outChannels / conv.groups * conv.kernelSize * conv.kernelSize
        let std = (2 / Float(fanOut)).squareRoot()
        for i in 0..<conv.weight.value.count { conv.weight.value.pointer[i] = std * generator.nextGaussian() }
        conv.weight.markChanged()
    }
}
