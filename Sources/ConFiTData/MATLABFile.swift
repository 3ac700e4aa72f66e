/// The numeric arrays of a MATLAB level-5 `.mat` file (Flowers-102's `imagelabels.mat`
/// and `setid.mat`), compressed (miCOMPRESSED, zlib) or not, either byte order.
///
/// Only what datasets need: named real numeric variables, converted to `Double` in
/// MATLAB's column-major order. Cells, structs, strings and sparse arrays are skipped.
public struct MATLABFile: Sendable {
    /// One numeric variable.
    public struct Variable: Sendable, Equatable {
        public var name: String
        public var dimensions: [Int]
        public var values: [Double]
    }

    public let variables: [String: Variable]

    public init(bytes: [UInt8], path: String) throws {
        guard bytes.count >= 128 else {
            throw DataError.malformedFile(path: path, reason: "shorter than a MAT-file header")
        }
        let littleEndian: Bool
        switch (bytes[126], bytes[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): littleEndian = true
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): littleEndian = false
        default: throw DataError.malformedFile(path: path, reason: "not a MATLAB 5 file (endian indicator missing)")
        }
        var reader = Reader(bytes: bytes, position: 128, littleEndian: littleEndian, path: path)
        var variables: [String: Variable] = [:]
        while reader.position + 8 <= bytes.count {
            for variable in try Self.parseElement(&reader) { variables[variable.name] = variable }
        }
        self.variables = variables
    }

    public subscript(name: String) -> Variable? { variables[name] }

    /// Reads one top-level element; returns the numeric matrices it holds.
    private static func parseElement(_ reader: inout Reader) throws -> [Variable] {
        let (type, data) = try reader.element()
        switch type {
        case 15:
            let inflated = try Inflater.inflate(data, path: reader.path)
            var inner = Reader(bytes: inflated, position: 0, littleEndian: reader.littleEndian, path: reader.path)
            var found: [Variable] = []
            while inner.position + 8 <= inflated.count { found += try parseElement(&inner) }
            return found
        case 14:
            return try parseMatrix(data, reader: reader).map { [$0] } ?? []
        default:
            return []
        }
    }

    private static func parseMatrix(_ data: [UInt8], reader: Reader) throws -> Variable? {
        var sub = Reader(bytes: data, position: 0, littleEndian: reader.littleEndian, path: reader.path)
        let flags = try sub.element().data
        guard flags.count >= 8 else { throw sub.malformed("array flags too short") }
        let word = sub.uint32(flags, at: 0)
        let mxClass = Int(word & 0xFF)
        let complex = word & 0x800 != 0
        guard (6...15).contains(mxClass), !complex else { return nil }
        let dims = try sub.element()
        let dimensions = stride(from: 0, to: dims.data.count - 3, by: 4).map {
            Int(Int32(bitPattern: sub.uint32(dims.data, at: $0)))
        }
        let name = String(decoding: try sub.element().data, as: UTF8.self)
        let real = try sub.element()
        let values = try sub.numbers(type: real.type, data: real.data)
        let product = dimensions.reduce(Int?.some(1)) { total, d in
            total.flatMap { d < 0 ? nil : $0.multipliedReportingOverflow(by: d).overflow ? nil : $0 * d }
        }
        guard values.count == product else {
            throw sub.malformed("variable \(name) holds \(values.count) values for dimensions \(dimensions)")
        }
        return Variable(name: name, dimensions: dimensions, values: values)
    }

    /// A cursor over tagged data elements (normal 8-byte tags and 4-byte small elements).
    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        let littleEndian: Bool
        let path: String

        func malformed(_ reason: String) -> DataError { .malformedFile(path: path, reason: reason) }

        func uint32(_ data: [UInt8], at i: Int) -> UInt32 {
            let b = (UInt32(data[i]), UInt32(data[i + 1]), UInt32(data[i + 2]), UInt32(data[i + 3]))
            return littleEndian ? b.0 | b.1 << 8 | b.2 << 16 | b.3 << 24 : b.3 | b.2 << 8 | b.1 << 16 | b.0 << 24
        }

        mutating func element() throws -> (type: UInt32, data: [UInt8]) {
            guard position + 8 <= bytes.count else { throw malformed("element tag past the end of the data") }
            let first = uint32(bytes, at: position)
            if first >> 16 != 0 {
                let size = Int(first >> 16)
                guard size <= 4 else { throw malformed("small data element of \(size) bytes") }
                defer { position += 8 }
                return (first & 0xFFFF, Array(bytes[(position + 4)..<(position + 4 + size)]))
            }
            let size = Int(uint32(bytes, at: position + 4))
            let start = position + 8
            guard start + size <= bytes.count else { throw malformed("element of \(size) bytes runs past the end") }
            position = first == 15 ? start + size : start + (size + 7) / 8 * 8
            return (first, Array(bytes[start..<(start + size)]))
        }

        func numbers(type: UInt32, data: [UInt8]) throws -> [Double] {
            let width: Int
            switch type {
            case 1, 2: width = 1
            case 3, 4: width = 2
            case 5, 6, 7: width = 4
            case 9, 12, 13: width = 8
            default: throw malformed("unsupported numeric data type \(type)")
            }
            return stride(from: 0, to: data.count - width + 1, by: width).map { i in
                var raw: UInt64 = 0
                for b in 0..<width {
                    let byte = UInt64(data[i + (littleEndian ? b : width - 1 - b)])
                    raw |= byte << (8 * UInt64(b))
                }
                switch type {
                case 1: return Double(Int8(truncatingIfNeeded: raw))
                case 3: return Double(Int16(truncatingIfNeeded: raw))
                case 5: return Double(Int32(truncatingIfNeeded: raw))
                case 7: return Double(Float(bitPattern: UInt32(raw)))
                case 9: return Double(bitPattern: raw)
                case 12: return Double(Int64(bitPattern: raw))
                default: return Double(raw)
                }
            }
        }
    }
}
