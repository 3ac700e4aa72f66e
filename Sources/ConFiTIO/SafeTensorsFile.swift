import Foundation

/// Errors reading or writing a tensor file; each names the file and what was wrong.
public enum TensorFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingKey(path: String, key: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .malformed(let path, let reason): "\(path) is not a valid tensor file: \(reason)"
        case .missingKey(let path, let key): "\(path) has no tensor named '\(key)'"
        }
    }
}

/// A safetensors file (https://huggingface.co/docs/safetensors): an 8-byte little-endian
/// header length, a JSON header mapping names to dtype, shape and byte offsets, then the
/// data. Tensors keep the order of their offsets in the file.
public struct SafeTensorsFile: Sendable {
    public var tensors: [(name: String, tensor: HostTensor)]
    public var metadata: [String: String]

    /// Reads and validates the whole file.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TensorFileError.unreadable(path: path, reason: error.localizedDescription)
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else {
            throw TensorFileError.malformed(path: path, reason: "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw TensorFileError.malformed(path: path, reason: "header length \(headerLength) exceeds the file size \(bytes.count)")
        }
        let dataStart = 8 + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) } catch {
            throw TensorFileError.malformed(path: path, reason: "header is not valid JSON")
        }
        guard let header = json as? [String: Any] else {
            throw TensorFileError.malformed(path: path, reason: "header is not a JSON object")
        }
        var entries: [(name: String, begin: Int, tensor: HostTensor)] = []
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: String] else {
                    throw TensorFileError.malformed(path: path, reason: "__metadata__ is not a string map")
                }
                metadata = meta
                continue
            }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int],
                  let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw TensorFileError.malformed(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw TensorFileError.malformed(path: path, reason: "entry '\(name)' has unsupported dtype \(dtypeName)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, begin <= end, end <= bytes.count - dataStart else {
                throw TensorFileError.malformed(path: path, reason: "entry '\(name)' has offsets \(offsets) outside the \(bytes.count - dataStart)-byte data section")
            }
            let expected = shape.reduce(1, *) * dtype.size
            guard end - begin == expected else {
                throw TensorFileError.malformed(path: path, reason: "entry '\(name)' of shape \(shape) \(dtypeName) needs \(expected) bytes, offsets give \(end - begin)")
            }
            let tensor = HostTensor(shape: shape, dtype: dtype, bytes: Array(bytes[(dataStart + begin)..<(dataStart + end)]))
            entries.append((name, begin, tensor))
        }
        entries.sort { $0.begin < $1.begin }
        self.tensors = entries.map { ($0.name, $0.tensor) }
        self.metadata = metadata
    }

    /// The tensor named `name`, or a `missingKey` error.
    public func tensor(_ name: String, file: String = "safetensors file") throws -> HostTensor {
        guard let found = tensors.first(where: { $0.name == name }) else {
            throw TensorFileError.missingKey(path: file, key: name)
        }
        return found.tensor
    }
}
