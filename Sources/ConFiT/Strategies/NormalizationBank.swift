import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// Every BatchNorm's γ, β, running mean and running variance under its state-dict name:
/// the per-task BN that PackNet and Piggyback keep when they train it (`--packnet-train-bn`,
/// `--piggyback-train-bn`) — ConFiT's bank without the trackers, which nothing recovers here.
public struct NormalizationBank: Sendable {
    public var tensors: [(name: String, tensor: HostTensor)]

    public init(tensors: [(String, HostTensor)]) { self.tensors = tensors.map { (name: $0.0, tensor: $0.1) } }

    /// The network's BatchNorm values as they are now.
    public init(capturing network: any Layer) throws {
        tensors = try Self.keys(of: network).map { name, tensor in
            (name: name, tensor: HostTensor(shape: tensor.shape, floats: try tensor.toArray()))
        }
    }

    /// Bytes of tensor data.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.tensor.bytes.count } }

    /// Loads the values back, after checking every key and shape, so that a bank of another
    /// network changes nothing.
    public func restore(into network: any Layer) throws {
        let targets = Dictionary(Self.keys(of: network), uniquingKeysWith: { a, _ in a })
        guard tensors.count == targets.count else {
            throw ConFiTError.bankMismatch(
                key: "BN bank", reason: "\(tensors.count) tensors for the network's \(targets.count)")
        }
        for (name, tensor) in tensors {
            guard let target = targets[name] else {
                throw ConFiTError.bankMismatch(key: name, reason: "not a BatchNorm tensor of the network")
            }
            guard target.shape == tensor.shape else {
                throw ConFiTError.bankMismatch(key: name, reason: "shape \(tensor.shape), expected \(target.shape)")
            }
        }
        for (name, tensor) in tensors { try targets[name]!.load(tensor.floats()) }
        for case let (_, norm as BatchNorm2d) in network.namedLayers() {
            norm.weight.markChanged()
            norm.bias.markChanged()
        }
    }

    private static func keys(of network: any Layer) -> [(String, Tensor)] {
        network.namedLayers().flatMap { name, layer -> [(String, Tensor)] in
            guard let norm = layer as? BatchNorm2d else { return [] }
            return [
                ("weight", norm.weight.value), ("bias", norm.bias.value), ("running_mean", norm.runningMean),
                ("running_var", norm.runningVariance),
            ].map { (name + "." + $0.0, $0.1) }
        }
    }
}
