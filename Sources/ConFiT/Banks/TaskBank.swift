import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// Everything ConFiT stores per task: for every BatchNorm its γ, β, running mean and
/// running variance, and for every pre-convolution tracker its means and input size.
/// A few hundred kilobytes for ResNet-18 instead of a 45 MB model copy.
///
/// Keys follow the network's state-dict names (`layer1.0.bn1.weight`, ...) plus
/// `track.<conv>` and `track_shape.<conv>`, so a bank is a safetensors file as it stands.
public struct TaskBank: Sendable {
    public var tensors: [(name: String, tensor: HostTensor)]

    /// A bank read back from a file or checkpoint.
    public init(tensors: [(String, HostTensor)]) { self.tensors = tensors.map { (name: $0.0, tensor: $0.1) } }

    /// Snapshot of the current values of `pairs`' BatchNorms and trackers.
    public init(capturing pairs: [ConvolutionNormPair]) throws {
        tensors = []
        for pair in pairs {
            tensors += try NormalizationBank.capture(pair.normalization, named: pair.normalizationName)
            let tracker = pair.tracker
            tensors.append(
                (
                    "track." + pair.convolutionName,
                    HostTensor(
                        shape: tracker.isPhased ? [4, tracker.means[0].count] : [tracker.means[0].count],
                        floats: tracker.means.flatMap { $0 })
                ))
            if let shape = tracker.inputShape {
                tensors.append(
                    ("track_shape." + pair.convolutionName, HostTensor(shape: [4], floats: shape.map(Float.init))))
            }
        }
    }

    /// Bytes of tensor data the bank holds.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.tensor.bytes.count } }

    /// Writes the bank's values back into `pairs`' BatchNorms and trackers, after
    /// checking every key and shape so that a mismatched bank changes nothing.
    public func restore(into pairs: [ConvolutionNormPair]) throws {
        var reader = BankReader(tensors)
        for pair in pairs {
            try NormalizationBank.stage(pair.normalization, named: pair.normalizationName, from: &reader)
            let tracker = pair.tracker
            let channels = tracker.means[0].count
            let means = try reader.values(
                "track." + pair.convolutionName, shape: tracker.isPhased ? [4, channels] : [channels])
            let shape = reader.optionalValues("track_shape." + pair.convolutionName)?.map { Int($0) }
            reader.stage {
                tracker.means = (0..<tracker.means.count).map { Array(means[($0 * channels)..<(($0 + 1) * channels)]) }
                tracker.inputShape = shape
            }
        }
        try reader.commit()
    }
}
