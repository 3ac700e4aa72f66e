import ConFiTNN

/// A convolution and the BatchNorm it feeds, with the tracker on the convolution's input.
public struct ConvolutionNormPair {
    public let convolutionName: String
    public let normalizationName: String
    public let normalization: BatchNorm2d
    public let tracker: PreConvTracker

    /// Pairs every convolution of `network` with the next BatchNorm in module order (how
    /// ResNets and EfficientNets are written: each conv is followed by its BN) and
    /// attaches a tracker to each convolution.
    public static func pairs(in network: any Layer) throws -> [ConvolutionNormPair] {
        var pairs: [ConvolutionNormPair] = []
        var pending: (String, Conv2d)?
        for (name, layer) in network.namedLayers() {
            if let conv = layer as? Conv2d {
                if let (unpaired, _) = pending { throw ConFiTError.unpairedConvolution(unpaired) }
                pending = (name, conv)
            } else if let bn = layer as? BatchNorm2d {
                guard let (convName, conv) = pending, conv.outChannels == bn.channels else {
                    throw ConFiTError.unpairedNormalization(name)
                }
                pairs.append(
                    ConvolutionNormPair(
                        convolutionName: convName, normalizationName: name, normalization: bn,
                        tracker: PreConvTracker(conv)))
                pending = nil
            }
        }
        if let (unpaired, _) = pending { throw ConFiTError.unpairedConvolution(unpaired) }
        return pairs
    }
}
