/// Everything that can go wrong between a dataset root on disk and a batch of pixels.
///
/// Each case names the file or folder at fault, so a user with 9,000 images can find the
/// one that stopped the run.
public enum DataError: Error, CustomStringConvertible, Sendable {
    case missingRoot(path: String, expected: String)
    case emptyClass(folder: String)
    case unreadableFile(path: String, reason: String)
    case corruptImage(path: String, reason: String)
    case truncatedImage(path: String)
    case unsupportedImage(path: String, reason: String)
    /// More pixels than the caller allows (a decompression bomb), found from the header.
    case imageTooLarge(path: String, width: Int, height: Int, limit: Int)
    case malformedFile(path: String, reason: String)
    case labelOutOfRange(path: String, label: Int, classes: Int)
    case splitMismatch(path: String, reason: String)
    case unknownDataset(name: String)
    case unknownPreset(name: String, available: [String])
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .missingRoot(path, expected):
            return "dataset root \(path) not found or not recognised: expected \(expected)"
        case let .emptyClass(folder):
            return "class folder \(folder) holds no images"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .corruptImage(path, reason):
            return "corrupt image \(path): \(reason)"
        case let .truncatedImage(path):
            return "truncated image \(path)"
        case let .unsupportedImage(path, reason):
            return "unsupported image \(path): \(reason)"
        case let .imageTooLarge(path, width, height, limit):
            return "image \(path) is \(width) × \(height) = \(width * height) pixels, above the limit of \(limit)"
        case let .malformedFile(path, reason):
            return "malformed file \(path): \(reason)"
        case let .labelOutOfRange(path, label, classes):
            return "label \(label) in \(path) is outside 0..<\(classes)"
        case let .splitMismatch(path, reason):
            return "split file \(path) does not match the dataset: \(reason)"
        case let .unknownDataset(name):
            return "unknown dataset '\(name)'; known: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .unknownPreset(name, available):
            return "no protocol preset '\(name)'; available: \(available.joined(separator: ", "))"
        case let .invalidArgument(message):
            return message
        }
    }
}
