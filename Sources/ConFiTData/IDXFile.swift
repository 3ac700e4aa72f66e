/// An IDX file of unsigned bytes (the MNIST format), gzipped or not.
struct IDXFile {
    var dimensions: [Int]
    var data: [UInt8]

    init(path: String) throws {
        var bytes = try DatasetRoot.read(path)
        if bytes.starts(with: [0x1F, 0x8B]) { bytes = try Inflater.inflate(bytes, path: path) }
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.malformedFile(path: path, reason: "not an IDX file")
        }
        guard bytes[2] == 0x08 else {
            throw DataError.malformedFile(path: path, reason: "IDX element type \(bytes[2]) is not unsigned byte")
        }
        let rank = Int(bytes[3])
        guard bytes.count >= 4 + 4 * rank else {
            throw DataError.malformedFile(path: path, reason: "IDX header truncated")
        }
        dimensions = (0..<rank).map { d in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * d + $1]) }
        }
        let expected = dimensions.reduce(Int?.some(1)) { total, d in
            total.flatMap { $0.multipliedReportingOverflow(by: d).overflow ? nil : $0 * d }
        }
        guard bytes.count - 4 - 4 * rank == expected else {
            throw DataError.malformedFile(
                path: path,
                reason: "dimensions \(dimensions) do not match the \(bytes.count - 4 - 4 * rank) bytes of data")
        }
        data = Array(bytes[(4 + 4 * rank)...])
    }
}
