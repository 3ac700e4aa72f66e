import Foundation

/// A safetensors file (https://huggingface.co/docs/safetensors): an 8-byte little-endian
/// header length, a JSON header mapping names to dtype, shape and byte offsets (plus an
/// optional `__metadata__` string map), then the data. The format the project writes its
/// own weights and fixtures in, because it holds nothing but tensors and can't run code.
/// Tensors keep the order of their offsets in the file; lookups by name are O(1).
public struct SafeTensorsFile: Sendable {
    public let tensors: [(name: String, tensor: HostTensor)]
    public let metadata: [String: String]
    /// Where the tensors were read from, for error messages; nil when built in memory.
    public let path: String?
    private let indexOfName: [String: Int]

    /// Tensors to write, in the order they will be laid out in the file.
    public init(tensors: [(name: String, tensor: HostTensor)], metadata: [String: String] = [:]) {
        self.init(tensors: tensors, metadata: metadata, path: nil)
    }

    private init(tensors: [(name: String, tensor: HostTensor)], metadata: [String: String], path: String?) {
        self.tensors = tensors
        self.metadata = metadata
        self.path = path
        self.indexOfName = Dictionary(
            tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads and validates the whole file.
    public init(contentsOf url: URL) throws(TensorFileError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TensorFileError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(bytes: [UInt8](data), path: url.path)
    }

    /// Parses a file's bytes; `path` names it in errors. Checks the header length, the
    /// JSON, every entry's dtype and shape against its byte count, that every range lies
    /// inside the data section, and that no two ranges overlap.
    public init(bytes: [UInt8], path: String) throws(TensorFileError) {
        func malformed(_ reason: String) -> TensorFileError { .malformed(path: path, reason: reason) }
        var reader = ByteReader(bytes)
        guard let headerLength = try? reader.unsigned(width: 8) else {
            throw malformed("file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        guard let headerRange = try? reader.take(length: headerLength) else {
            throw malformed("header length \(headerLength) exceeds the \(bytes.count)-byte file")
        }
        let dataStart = headerRange.upperBound
        let dataLength = bytes.count - dataStart
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[headerRange])),
            let header = json as? [String: Any]
        else { throw malformed("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [(name: String, range: Range<Int>, dtype: DType, shape: [Int])] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw malformed("__metadata__ is not a map of strings")
                }
                metadata = map
                continue
            }
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                let shape = Self.naturals(info["shape"]), let offsets = Self.naturals(info["data_offsets"]),
                offsets.count == 2
            else { throw malformed("entry '\(name)' lacks a dtype, a shape or two data_offsets") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw malformed("entry '\(name)' has unsupported dtype \(dtypeName)")
            }
            guard offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw malformed("entry '\(name)' has offsets \(offsets) outside the \(dataLength)-byte data section")
            }
            guard let expected = HostTensor.byteCount(shape: shape, dtype: dtype), expected == offsets[1] - offsets[0]
            else {
                throw malformed(
                    "entry '\(name)' of shape \(shape) \(dtypeName) does not fit its \(offsets[1] - offsets[0]) bytes")
            }
            entries.append((name, offsets[0]..<offsets[1], dtype, shape))
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (previous, next) in zip(entries, entries.dropFirst())
        where next.range.lowerBound < previous.range.upperBound {
            throw malformed("entries '\(previous.name)' and '\(next.name)' overlap")
        }
        let tensors = entries.map { entry in
            let bytes = Array(bytes[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)])
            return (entry.name, HostTensor(shape: entry.shape, dtype: entry.dtype, bytes: bytes))
        }
        self.init(tensors: tensors, metadata: metadata, path: path)
    }

    /// The tensor named `name`, or a `missingKey` error naming `file` (default: the path).
    public func tensor(_ name: String, file: String? = nil) throws(TensorFileError) -> HostTensor {
        guard let index = indexOfName[name] else {
            throw TensorFileError.missingKey(path: file ?? path ?? "safetensors file", key: name)
        }
        return tensors[index].tensor
    }

    /// The file's bytes: the header (padded with spaces to a multiple of 8 bytes, so the
    /// data is aligned), then each tensor's bytes in order. Names must be unique, not
    /// `__metadata__`, and each tensor's byte count must match its shape and dtype.
    public func serialized() throws(TensorFileError) -> [UInt8] {
        let destination = path ?? "safetensors file"
        var seen = Set<String>()
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map {
                "\(Self.jsonString($0.key)):\(Self.jsonString($0.value))"
            }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else {
                throw TensorFileError.unwritable(
                    path: destination, reason: "tensor name '\(name)' is reserved or repeated")
            }
            guard HostTensor.byteCount(shape: tensor.shape, dtype: tensor.dtype) == tensor.bytes.count else {
                throw TensorFileError.unwritable(
                    path: destination,
                    reason:
                        "tensor '\(name)' of shape \(tensor.shape) \(tensor.dtype.rawValue) holds \(tensor.bytes.count) bytes"
                )
            }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(
                "\(Self.jsonString(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}"
            )
            offset += tensor.bytes.count
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) }
        bytes.reserveCapacity(8 + header.count + offset)
        bytes += header
        for (_, tensor) in tensors { bytes += tensor.bytes }
        return bytes
    }

    /// Writes the file atomically (`AtomicFile`), so a crash never leaves half a file.
    public func write(to url: URL) throws(TensorFileError) {
        let bytes = try serialized()
        do { try AtomicFile.write(Data(bytes), to: url) } catch {
            throw TensorFileError.unwritable(path: error.path, reason: error.reason)
        }
    }

    /// A JSON array of non-negative integers, or nil.
    private static func naturals(_ value: Any?) -> [Int]? {
        guard let numbers = value as? [Any] else { return nil }
        let integers = numbers.compactMap { ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
        return integers.count == numbers.count && integers.allSatisfy({ $0 >= 0 }) ? integers : nil
    }

    private static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
