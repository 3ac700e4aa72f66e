/// How to read a dataset: which train/test split to use.
public struct DatasetOptions: Sendable {
    /// Where the train/test assignment comes from.
    public enum SplitChoice: Sendable, Equatable {
        /// The protocol's split: the embedded split files of Caltech-101 and Flowers-102
        /// (the official ConFiT code's: stratified 80/20 by scikit-learn, random_state 0);
        /// for folders without `train/` and `test/` subfolders, `stratified(0.2, seed 0)`;
        /// the distributed split for CIFAR, MNIST and CUB.
        case standard
        /// The split shipped with the dataset (Flowers-102: `setid.mat`, train = trnid ∪ valid).
        case official
        /// A JSON file `{"classes": [...], "test": ["class/file.jpg", ...]}` listing test
        /// images by path relative to the image folder; every other image trains.
        case file(String)
        /// Per class, a seeded SplitMix64 shuffle of the images (in path order) and the
        /// first `round(n × testFraction)` (at least one, at most n − 1) go to test.
        case stratified(testFraction: Double, seed: UInt64)
    }

    public var split: SplitChoice

    public init(split: SplitChoice = .standard) { self.split = split }
}

extension DatasetOptions.SplitChoice: Codable {
    private enum CodingKeys: String, CodingKey { case kind, path, testFraction = "test_fraction", seed }

    /// `{"kind": "standard" | "official"}`, `{"kind": "file", "path": ...}` or
    /// `{"kind": "stratified", "test_fraction": 0.2, "seed": 0}`, as a run records it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "standard": self = .standard
        case "official": self = .official
        case "file": self = .file(try container.decode(String.self, forKey: .path))
        case "stratified":
            self = .stratified(
                testFraction: try container.decode(Double.self, forKey: .testFraction),
                seed: try container.decode(UInt64.self, forKey: .seed))
        case let kind:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription:
                    "unknown split '\(kind)'; expected standard, official, file or stratified")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .standard: try container.encode("standard", forKey: .kind)
        case .official: try container.encode("official", forKey: .kind)
        case let .file(path):
            try container.encode("file", forKey: .kind)
            try container.encode(path, forKey: .path)
        case let .stratified(fraction, seed):
            try container.encode("stratified", forKey: .kind)
            try container.encode(fraction, forKey: .testFraction)
            try container.encode(seed, forKey: .seed)
        }
    }
}

extension DatasetOptions.SplitChoice: CustomStringConvertible {
    public var description: String {
        switch self {
        case .standard: "standard"
        case .official: "official"
        case let .file(path): "file \(path)"
        case let .stratified(fraction, seed): "stratified (test fraction \(fraction), seed \(seed))"
        }
    }
}
