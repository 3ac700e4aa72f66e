import CImageIO

/// zlib inflation of whole buffers: gzip files (`.gz` IDX files) and zlib streams
/// (MATLAB's miCOMPRESSED elements); the header kind is detected by zlib.
enum Inflater {
    static func inflate(_ input: [UInt8], path: String, expectedSize: Int = 0) throws -> [UInt8] {
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw DataError.malformedFile(path: path, reason: "zlib init failed") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(expectedSize, input.count * 4, 1024))
        var produced = 0
        var status = Z_OK
        try input.withUnsafeBufferPointer { inBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = UInt32(inBuffer.count)
            while status != Z_STREAM_END {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                status = output.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress! + produced
                    stream.avail_out = UInt32(min(outBuffer.count - produced, Int(UInt32.max)))
                    let before = stream.avail_out
                    let result = CImageIO.inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return result
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw DataError.malformedFile(path: path, reason: "compressed data ends early")
                }
                if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError.malformedFile(path: path, reason: reason)
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
