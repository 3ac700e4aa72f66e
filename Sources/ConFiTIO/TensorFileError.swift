/// Errors reading or writing a tensor file. Each names the file and what was wrong, so a
/// user handed a broken or unexpected checkpoint knows which file and which part to blame.
public enum TensorFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingKey(path: String, key: String)
    /// The file's pickle stream failed; the pickle error names the opcode and byte offset.
    case pickle(path: String, error: PickleError)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .malformed(let path, let reason): "\(path) is not a valid tensor file: \(reason)"
        case .missingKey(let path, let key): "\(path) has no tensor named '\(key)'"
        case .pickle(let path, let error): "\(path): \(error)"
        case .unwritable(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
