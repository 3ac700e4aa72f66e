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
