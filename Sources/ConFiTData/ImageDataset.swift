/// A labelled image dataset split into train and test, as read from disk.
///
/// Plain values, no pixels decoded yet (except for CIFAR/MNIST, whose pixels sit in a
/// shared `RawImageStore`): building one costs a directory scan, so `inspect` is cheap.
public struct ImageDataset: Sendable {
    /// A file found under the root that is not part of the dataset, and why.
    public struct SkippedFile: Sendable, Hashable {
        public var path: String
        public var reason: String
    }

    public let name: String
    public let root: String
    public let classNames: [String]
    public let train: [Sample]
    public let test: [Sample]
    public let skipped: [SkippedFile]

    public init(
        name: String, root: String, classNames: [String], train: [Sample], test: [Sample],
        skipped: [SkippedFile]
    ) {
        self.name = name
        self.root = root
        self.classNames = classNames
        self.train = train
        self.test = test
        self.skipped = skipped
    }

    public func samples(_ split: Split) -> [Sample] { split == .train ? train : test }

    /// Number of images per class in a split, indexed by class id.
    public func classCounts(_ split: Split) -> [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for sample in samples(split) { counts[sample.label] += 1 }
        return counts
    }

    /// Builds a dataset from samples in one list, assigning ids and splitting by `isTest`.
    static func assemble(
        name: String, root: String, classNames: [String], samples: [(label: Int, source: Sample.Source, isTest: Bool)],
        skipped: [SkippedFile]
    ) -> ImageDataset {
        var train: [Sample] = [], test: [Sample] = []
        for (id, s) in samples.enumerated() {
            let sample = Sample(id: id, label: s.label, source: s.source)
            if s.isTest { test.append(sample) } else { train.append(sample) }
        }
        return ImageDataset(name: name, root: root, classNames: classNames, train: train, test: test, skipped: skipped)
    }
}

/// Which half of a dataset.
public enum Split: String, Sendable, CaseIterable {
    case train, test
}
