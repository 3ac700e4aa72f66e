/// Everything that determines a 2-D convolution's primitives: input size, channels,
/// kernel, stride, explicit (possibly asymmetric) padding and groups.
public struct ConvolutionShape: Hashable, Sendable, CustomStringConvertible {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, kernel: Int, stride: Int, groups: Int
    /// Zero padding on each side: top, left, bottom, right.
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int

    public init(
        batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int,
        stride: Int, padTop: Int, padLeft: Int, padBottom: Int, padRight: Int, groups: Int
    ) {
        (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
        (self.outChannels, self.kernel, self.stride, self.groups) = (outChannels, kernel, stride, groups)
        (self.padTop, self.padLeft, self.padBottom, self.padRight) = (padTop, padLeft, padBottom, padRight)
    }

    public var outHeight: Int { (height + padTop + padBottom - kernel) / stride + 1 }
    public var outWidth: Int { (width + padLeft + padRight - kernel) / stride + 1 }
    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    /// The PyTorch weight shape [O, I/groups, K, K].
    public var weightShape: [Int] { [outChannels, inChannels / groups, kernel, kernel] }
    /// oneDNN's weight dims: OIHW, or GOIHW when grouped.
    var engineWeightShape: [Int] {
        groups == 1 ? weightShape : [groups, outChannels / groups, inChannels / groups, kernel, kernel]
    }

    /// Multiply-adds of the forward pass times two.
    public var forwardFLOPs: Double {
        2 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels / groups * kernel * kernel)
    }

    public var description: String {
        "conv \(inputShape) -> \(outputShape) k\(kernel) s\(stride) pad(\(padTop),\(padLeft),\(padBottom),\(padRight)) g\(groups)"
    }
}
