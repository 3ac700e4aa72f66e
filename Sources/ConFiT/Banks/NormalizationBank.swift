import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// Every BatchNorm's γ, β, running mean and running variance under its state-dict name:
/// the per-task BN that PackNet and Piggyback keep when they train it (`--packnet-train-bn`,
/// `--piggyback-train-bn`), and the BN half of ConFiT's `TaskBank`. The one place a
/// BatchNorm's values are copied off and written back.
public struct NormalizationBank: Sendable {
    public var tensors: [(name: String, tensor: HostTensor)]

    public init(tensors: [(String, HostTensor)]) { self.tensors = tensors.map { (name: $0.0, tensor: $0.1) } }

    /// The network's BatchNorm values as they are now.
    public init(capturing network: any Layer) throws {
        tensors = try network.namedLayers().flatMap { name, layer in
            try (layer as? BatchNorm2d).map { try Self.capture($0, named: name) } ?? []
        }
    }

    /// Bytes of tensor data.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.tensor.bytes.count } }

    /// Loads the values back, after checking every key and shape, so that a bank of another
    /// network changes nothing.
    public func restore(into network: any Layer) throws {
        var reader = BankReader(tensors)
        for case let (name, norm as BatchNorm2d) in network.namedLayers() {
            try Self.stage(norm, named: name, from: &reader)
        }
        if let extra = reader.unread.first {
            throw ConFiTError.bankMismatch(key: extra, reason: "not a BatchNorm tensor of the network")
        }
        try reader.commit()
    }

    /// `norm`'s γ, β, running mean and running variance under `name`, copied to the host.
    static func capture(_ norm: BatchNorm2d, named name: String) throws -> [(name: String, tensor: HostTensor)] {
        try values(of: norm).map { suffix, tensor in
            (name: name + "." + suffix, tensor: HostTensor(shape: tensor.shape, floats: try tensor.toArray()))
        }
    }

    /// Checks `norm`'s four tensors under `name` in `reader` and stages their loads.
    static func stage(_ norm: BatchNorm2d, named name: String, from reader: inout BankReader) throws {
        for (suffix, tensor) in values(of: norm) { try reader.stage(name + "." + suffix, into: tensor) }
        reader.stage {
            norm.weight.markChanged()
            norm.bias.markChanged()
        }
    }

    private static func values(of norm: BatchNorm2d) -> [(String, Tensor)] {
        norm.ownParameters.map { ($0.0, $0.1.value) } + norm.ownBuffers
    }
}
