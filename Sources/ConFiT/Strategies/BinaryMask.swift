import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// A 0/1 mask packed 1 bit per weight, most significant bit first (numpy's `packbits`):
/// what Piggyback stores per task and per convolution, and what task files carry.
public struct BinaryMask: Sendable, Equatable {
    public let count: Int
    public let bytes: [UInt8]

    /// Bit i is set where `keep(i)`.
    public init(count: Int, keep: (Int) -> Bool) {
        var bytes = [UInt8](repeating: 0, count: (count + 7) / 8)
        for i in 0..<count where keep(i) { bytes[i >> 3] |= 0x80 >> UInt8(i & 7) }
        (self.count, self.bytes) = (count, bytes)
    }

    /// Packed bits read back; nil when `bytes` is not the size `count` bits take.
    public init?(count: Int, bytes: [UInt8]) {
        guard count >= 0, bytes.count == (count + 7) / 8 else { return nil }
        (self.count, self.bytes) = (count, bytes)
    }

    public subscript(i: Int) -> Bool { bytes[i >> 3] & (0x80 >> UInt8(i & 7)) != 0 }

    /// The mask as 1s and 0s.
    public var floats: [Float] { (0..<count).map { self[$0] ? 1 : 0 } }
}

extension BinaryMask {
    /// An exported task of a mask method: each convolution's packed mask under
    /// `mask.<weight>` (U8), then the BN bank's tensors when there is one.
    static func exportedTask(masks: [String: [UInt8]], bank: NormalizationBank?) -> [(String, HostTensor)] {
        masks.keys.sorted().map {
            ("mask." + $0, HostTensor(shape: [masks[$0]!.count], dtype: .uint8, bytes: masks[$0]!))
        }
            + (bank?.tensors.map { ($0.name, $0.tensor) } ?? [])
    }

    /// Puts an exported task into `network`: every convolution's mask (each must be there,
    /// of the convolution's size), the BN bank if the file has one; eval mode.
    static func importTask(_ tensors: [(String, HostTensor)], into network: any Layer) throws {
        let masks = Dictionary(tensors.under("mask.").map { ($0.0, $0.1.bytes) }, uniquingKeysWith: { a, _ in a })
        let bank = tensors.filter { !$0.0.hasPrefix("mask.") }
        try apply(masks, to: network, naming: "mask.") {
            if !bank.isEmpty { try NormalizationBank(tensors: bank).restore(into: network) }
        }
        network.eval()
    }

    /// Sets every convolution's `weightMask` from its packed mask in `masks` (by weight
    /// name), after checking that each is there and of the convolution's size and after
    /// `beforeSetting`, so that a mismatch changes nothing; `prefix` names them in errors.
    static func apply(
        _ masks: [String: [UInt8]], to network: any Layer, naming prefix: String,
        beforeSetting: () throws -> Void = {}
    ) throws {
        let applied = try network.namedConvolutions().map { name, conv in
            guard let mask = masks[name].flatMap({ BinaryMask(count: conv.weight.value.count, bytes: $0) }) else {
                throw ConFiTError.bankMismatch(
                    key: prefix + name, reason: "missing, or not \(conv.weight.value.count) bits")
            }
            return (conv, try Tensor(shape: conv.weight.value.shape, values: mask.floats))
        }
        try beforeSetting()
        for (conv, mask) in applied { conv.weightMask = mask }
    }
}
