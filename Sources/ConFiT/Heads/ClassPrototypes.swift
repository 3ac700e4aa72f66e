import ConFiTIO

/// Class-mean features, task by task: SimpleCIL's classifier, and the prototype head of the
/// bank methods (`--head prototypes`). Checkpointed under a prefix of the owner's, exported
/// per task as `prototypes` [classes, features].
struct ClassPrototypes {
    /// Class ids in the order learnt, and their means (not normalised), row-major [classes.count, dimension].
    private(set) var classes: [Int] = [], means: [Float] = []
    private(set) var dimension = 0
    /// Classes per finished task.
    private(set) var taskClassCounts: [Int] = []
    private var cached: PrototypeHead?

    var isEmpty: Bool { classes.isEmpty }

    /// Adds a finished task's class means, [classes.count, dimension].
    mutating func add(_ taskClasses: [Int], means rows: [Float], dimension: Int) {
        (self.dimension, cached) = (dimension, nil)
        classes += taskClasses
        means += rows
        taskClassCounts.append(taskClasses.count)
    }

    /// Bytes of task t's prototypes (float32).
    func bytes(task t: Int) -> Int {
        taskClassCounts.indices.contains(t) ? taskClassCounts[t] * dimension * MemoryLayout<Float>.size : 0
    }

    /// The cosine head over `width` class ids holding every prototype.
    mutating func head(width: Int) throws -> PrototypeHead {
        if let cached, cached.classes == width { return cached }
        let head = PrototypeHead(classes: width, dimension: dimension)
        for (row, c) in classes.enumerated() {
            guard (0..<width).contains(c) else {
                throw ConFiTError.bankMismatch(key: "prototypes", reason: "class \(c) of \(width)")
            }
            head.setPrototype(c, means[(row * dimension)..<((row + 1) * dimension)])
        }
        cached = head
        return head
    }

    /// Task i's prototypes, in the task's class order, as `prototypes` [classes, features].
    func export(task i: Int) throws -> (String, HostTensor) {
        guard taskClassCounts.indices.contains(i) else {
            throw ConFiTError.bankMismatch(
                key: "prototypes", reason: "the checkpoint holds no prototypes for task \(i)")
        }
        let first = taskClassCounts[..<i].reduce(0, +)
        let rows = Array(means[(first * dimension)..<((first + taskClassCounts[i]) * dimension)])
        return ("prototypes", HostTensor(shape: [taskClassCounts[i], dimension], floats: rows))
    }

    /// The head of an exported task file's `prototypes`, over the task's classes in order;
    /// nil when the file holds none.
    static func importedHead(_ tensors: [(String, HostTensor)]) throws -> PrototypeHead? {
        guard let tensor = tensors.first(where: { $0.0 == "prototypes" })?.1 else { return nil }
        guard tensor.shape.count == 2 else {
            throw ConFiTError.bankMismatch(
                key: "prototypes", reason: "shape \(tensor.shape), expected [classes, features]")
        }
        let (count, width, rows) = (tensor.shape[0], tensor.shape[1], tensor.floats())
        let head = PrototypeHead(classes: count, dimension: width)
        for c in 0..<count { head.setPrototype(c, rows[(c * width)..<((c + 1) * width)]) }
        return head
    }

    func state(prefix: String) -> [(String, HostTensor)] {
        isEmpty
            ? []
            : [
                (prefix + "classes", HostTensor(shape: [classes.count], int64s: classes)),
                (prefix + "task_classes", HostTensor(shape: [taskClassCounts.count], int64s: taskClassCounts)),
                (prefix + "prototypes", HostTensor(shape: [classes.count, dimension], floats: means)),
            ]
    }

    /// Reads back `state(prefix:)`, all checked before anything is replaced; empty when absent.
    init(from tensors: [(String, HostTensor)], prefix: String) throws {
        let state = Dictionary(tensors.under(prefix), uniquingKeysWith: { $1 })
        guard let stored = state["prototypes"] else { return }
        let (ids, counts) = (state["classes"]?.ints() ?? [], state["task_classes"]?.ints() ?? [])
        guard stored.shape.count == 2, stored.shape[0] == ids.count, counts.reduce(0, +) == ids.count else {
            throw ConFiTError.bankMismatch(
                key: prefix + "prototypes", reason: "shape \(stored.shape) for \(ids.count) classes")
        }
        (classes, taskClassCounts, means, dimension) = (ids, counts, stored.floats(), stored.shape[1])
    }

    init() {}
}
