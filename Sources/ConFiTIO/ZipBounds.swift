import Foundation

/// Checks, before ZIPFoundation reads a zip archive, that every offset and size its
/// directory records give lies inside the file. ZIPFoundation (0.9) converts such values to
/// `off_t` and adds them without checking, so a record claiming an offset beyond
/// `Int64.max` traps the process instead of failing (found by `FuzzPyTorch`). The records
/// are read the way ZIPFoundation finds them (APPNOTE 4.3): the last end-of-central-directory
/// signature, the ZIP64 record right before its locator, then each central directory entry
/// with its ZIP64 extra field.
enum ZipBounds {
    static func check(_ bytes: Data, path: String) throws(TensorFileError) {
        let n = UInt64(bytes.count)
        func malformed(_ reason: String) -> TensorFileError { .malformed(path: path, reason: "zip archive: \(reason)") }
        func integer(_ at: UInt64, _ size: Int) -> UInt64 {
            (0..<size).reversed().reduce(0) { $0 << 8 | UInt64(bytes[bytes.startIndex + Int(at) + $1]) }
        }
        func signature(_ at: UInt64, _ value: UInt64) -> Bool { at <= n &- 4 && n >= 4 && integer(at, 4) == value }
        guard n >= 22, let eocd = stride(from: n - 22, through: 0, by: -1).first(where: { signature($0, 0x0605_4b50) })
        else {
            return  // no directory at all: ZIPFoundation refuses it cleanly
        }
        var (entries, size, offset) = (integer(eocd + 10, 2), integer(eocd + 12, 4), integer(eocd + 16, 4))
        if eocd >= 76, signature(eocd - 20, 0x0706_4b50), signature(eocd - 76, 0x0606_4b50) {
            (entries, size, offset) = (integer(eocd - 44, 8), integer(eocd - 36, 8), integer(eocd - 28, 8))
        }
        guard offset <= n, size <= n - offset, entries <= n / 46 else {
            throw malformed(
                "central directory of \(entries) entries, \(size) bytes at \(offset), beyond the file's \(n) bytes")
        }
        var entry = offset
        for _ in 0..<entries {
            // ZIPFoundation stops here too.
            guard entry <= n &- 46, n >= 46, signature(entry, 0x0201_4b50) else { return }
            // Uncompressed size, compressed size, local header offset.
            var fields = [integer(entry + 24, 4), integer(entry + 20, 4), integer(entry + 42, 4)]
            let (name, extra, comment) = (integer(entry + 28, 2), integer(entry + 30, 2), integer(entry + 32, 2))
            var field = entry + 46 + name
            let extraEnd = min(field + extra, n)
            while field + 4 <= extraEnd {
                let (id, length) = (integer(field, 2), integer(field + 2, 2))
                if id == 1 {
                    var value = field + 4
                    for i in fields.indices
                    where fields[i] == 0xFFFF_FFFF && value + 8 <= min(field + 4 + length, extraEnd) {
                        fields[i] = integer(value, 8)
                        value += 8
                    }
                }
                field += 4 + length
            }
            let (uncompressed, compressed, local) = (fields[0], fields[1], fields[2])
            guard local <= n &- 30, n >= 30, compressed <= n - local - 30, uncompressed <= UInt64(Int64.max) else {
                throw malformed(
                    "an entry's data (\(compressed) bytes at \(local), \(uncompressed) uncompressed) lies beyond the file's \(n) bytes"
                )
            }
            entry += 46 + name + extra + comment
        }
    }
}
