/// A failure reading or writing a run folder; each case names the path at fault.
public enum RunFolderError: Error, CustomStringConvertible, Sendable {
    case cannotCreate(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    /// The file was read but its content is not what this version writes.
    case malformed(path: String, reason: String)
    /// Another process holds the folder's lock: two runs must not write one checkpoint.
    case inUse(path: String, holder: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): "cannot create run folder \(path): \(reason)"
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        case let .cannotRead(path, reason): "cannot read \(path): \(reason)"
        case let .malformed(path, reason): "malformed \(path): \(reason)"
        case let .inUse(path, holder):
            "\(path) is in use by another run (\(holder)); wait for it to stop, or choose another folder"
        }
    }
}
