/// A bounds-checked little-endian cursor over file bytes: every read checks the length
/// first, so a truncated or lying file ends in `ByteReader.OutOfBounds`, never a trap.
struct ByteReader {
    /// A read needed `needed` bytes at `offset` but only `available` were left.
    struct OutOfBounds: Error {
        var offset: Int
        var needed: Int
        var available: Int
    }

    let bytes: [UInt8]
    var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    /// The next `count` bytes as a range into `bytes`, advancing past them.
    mutating func take(_ count: Int) throws(OutOfBounds) -> Range<Int> {
        guard count >= 0, count <= remaining else {
            throw OutOfBounds(offset: position, needed: count, available: remaining)
        }
        defer { position += count }
        return position..<(position + count)
    }

    /// A length field read as UInt64, accepted only if that many bytes remain.
    mutating func take(length: UInt64) throws(OutOfBounds) -> Range<Int> {
        guard length <= UInt64(remaining) else {
            throw OutOfBounds(
                offset: position, needed: length > UInt64(Int.max) ? Int.max : Int(length), available: remaining)
        }
        return try take(Int(length))
    }

    mutating func byte() throws(OutOfBounds) -> UInt8 { bytes[try take(1).lowerBound] }

    /// An unsigned little-endian integer of `width` bytes (at most 8).
    mutating func unsigned(width: Int) throws(OutOfBounds) -> UInt64 {
        let range = try take(width)
        return bytes[range].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
