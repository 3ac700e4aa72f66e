import Foundation
import ZIPFoundation

extension SafeTensorsFile {
    /// CRC-32 of everything the file holds — every tensor's name, dtype, shape and bytes in
    /// order, and every metadata entry but `excluded` — so that a checksum stored under
    /// `excluded` detects flipped bytes anywhere, header included, as well as truncation.
    public func checksum(excluding excluded: String) -> UInt32 {
        var crc: CRC32 = 0
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != excluded {
            crc = Data("\(key)=\(value)\n".utf8).crc32(checksum: crc)
        }
        for (name, tensor) in tensors {
            crc = Data("\(name) \(tensor.dtype.rawValue) \(tensor.shape)\n".utf8).crc32(checksum: crc)
            crc = tensor.bytes.withUnsafeBytes { raw in
                Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!),
                    count: raw.count, deallocator: .none
                ).crc32(checksum: crc)
            }
        }
        return crc
    }
}
