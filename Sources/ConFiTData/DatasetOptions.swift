/// How to read a dataset: which train/test split to use.
public struct DatasetOptions: Sendable {
    /// Where the train/test assignment comes from.
    public enum SplitChoice: Sendable, Equatable {
        /// The protocol's split: Caltech-101's embedded split file; for Flowers-102 and
        /// folders without `train/` and `test/` subfolders, `stratified(0.2, seed 0)`;
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
