/// The dataset formats `confit` reads, by their command-line names.
public enum DatasetKind: String, Sendable, CaseIterable, Codable {
    case cifar10, cifar100
    case fashionMNIST = "fashion-mnist"
    case mnist, folder, caltech101, flowers102, cub200

    public init(name: String) throws {
        guard let kind = DatasetKind(rawValue: name.lowercased()) else { throw DataError.unknownDataset(name: name) }
        self = kind
    }

    /// Reads the dataset's index (and, for CIFAR/MNIST, its pixels) from `root`, which
    /// may be the dataset's own folder as distributed or the folder containing it.
    public func load(root: String, options: DatasetOptions = DatasetOptions()) throws -> ImageDataset {
        switch self {
        case .cifar10, .cifar100, .fashionMNIST, .mnist:
            guard options.split == .standard || options.split == .official else {
                throw DataError.invalidArgument("\(rawValue) uses its distributed train/test split")
            }
        default: break
        }
        switch self {
        case .cifar10: return try CIFARBinary.load(root: root, classes: 10)
        case .cifar100: return try CIFARBinary.load(root: root, classes: 100)
        case .fashionMNIST: return try MNIST.load(root: root, fashion: true)
        case .mnist: return try MNIST.load(root: root, fashion: false)
        case .folder: return try ImageFolder.load(root: root, options: options)
        case .caltech101: return try Caltech101.load(root: root, options: options)
        case .flowers102: return try Flowers102.load(root: root, options: options)
        case .cub200: return try CUB200.load(root: root, options: options)
        }
    }
}
