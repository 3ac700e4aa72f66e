import ConFiTNN

/// A task-incremental scenario: the dataset's classes in some order, cut into tasks of
/// `classesPerTask` consecutive classes. Classes left after the last full task are
/// dropped, as the official code does (Caltech-101 trains 100 of its 101 classes).
public struct Scenario: Sendable {
    /// Where the class order comes from.
    public enum ClassOrder: Sendable, Equatable {
        /// The official order of a protocol preset (`BenchmarkProtocol.named`).
        case preset(String)
        /// Class ids 0..<n shuffled by `SplitMix64(seed)` Fisher–Yates (not torch's randperm).
        case shuffled(seed: UInt64)
        /// The given class ids, each once.
        case explicit([Int])
        /// Class ids in increasing order.
        case natural
    }

    /// One task: its classes and its examples, labelled by index within `classes`.
    public struct Task: Sendable {
        public let id: Int
        /// Dataset class ids; a model's logits for this task are `logits[:, classes]`.
        public let classes: [Int]
        /// Indices into `dataset.train` / `dataset.test` of this task's images.
        public let trainIndices: [Int]
        public let testIndices: [Int]
        /// The same images with labels replaced by their class's position in `classes`.
        public let train: [Sample]
        public let test: [Sample]

        public func samples(_ split: Split) -> [Sample] { split == .train ? train : test }

        /// A task of a scenario of the caller's own (the indices are informative only).
        public init(
            id: Int, classes: [Int], trainIndices: [Int] = [], testIndices: [Int] = [], train: [Sample] = [],
            test: [Sample] = []
        ) {
            (self.id, self.classes, self.trainIndices, self.testIndices) = (id, classes, trainIndices, testIndices)
            (self.train, self.test) = (train, test)
        }
    }

    public let classOrder: [Int]
    public let tasks: [Task]
    public let droppedClasses: [Int]

    public init(dataset: ImageDataset, order: ClassOrder, classesPerTask: Int) throws {
        let n = dataset.classNames.count
        guard classesPerTask > 0 else { throw DataError.invalidArgument("classes per task must be positive") }
        let ids: [Int]
        switch order {
        case let .preset(name):
            let preset = try BenchmarkProtocol.named(name)
            guard preset.classes == n else {
                throw DataError.invalidArgument(
                    "preset \(name) has \(preset.classes) classes, dataset \(dataset.name) has \(n)")
            }
            ids = preset.classOrder
        case let .shuffled(seed):
            var all = Array(0..<n)
            var generator = SplitMix64(seed: seed)
            generator.shuffle(&all)
            ids = all
        case let .explicit(list):
            ids = list
        case .natural:
            ids = Array(0..<n)
        }
        if let outside = ids.first(where: { !(0..<n).contains($0) }) {
            throw DataError.invalidArgument(
                "class order: \(outside) is not a class of \(dataset.name), whose ids are 0..<\(n)")
        }
        var seen = Set<Int>()
        if let repeated = ids.first(where: { !seen.insert($0).inserted }) {
            throw DataError.invalidArgument("class order: class \(repeated) is listed twice")
        }
        let taskCount = ids.count / classesPerTask
        guard taskCount > 0 else {
            throw DataError.invalidArgument("\(ids.count) classes do not fill one task of \(classesPerTask)")
        }
        classOrder = ids
        droppedClasses = Array(ids[(taskCount * classesPerTask)...])
        tasks = (0..<taskCount).map { t in
            let classes = Array(ids[(t * classesPerTask)..<((t + 1) * classesPerTask)])
            var local = [Int: Int]()
            for (i, c) in classes.enumerated() { local[c] = i }
            func pick(_ samples: [Sample]) -> ([Int], [Sample]) {
                var indices: [Int] = [], picked: [Sample] = []
                for (i, sample) in samples.enumerated() {
                    guard let label = local[sample.label] else { continue }
                    indices.append(i)
                    picked.append(Sample(id: sample.id, label: label, source: sample.source))
                }
                return (indices, picked)
            }
            let (trainIndices, train) = pick(dataset.train)
            let (testIndices, test) = pick(dataset.test)
            return Task(
                id: t, classes: classes, trainIndices: trainIndices, testIndices: testIndices, train: train, test: test)
        }
    }

    /// The protocol's scenario for a preset dataset: its class order and task size.
    public init(dataset: ImageDataset, preset name: String) throws {
        let preset = try BenchmarkProtocol.named(name)
        try self.init(dataset: dataset, order: .preset(name), classesPerTask: preset.classesPerTask)
    }
}
