import ConFiTIO

/// Class-mean features, task by task: SimpleCIL's classifier, and the prototype head of the
/// bank methods (`--head prototypes`). Checkpointed under a prefix of the owner's, exported
/// per task as `prototypes` [classes, features].
struct ClassPrototypes {
    /// Each finished task's class ids, and their means (not normalised) in that order,
    /// row-major [classes, dimension].
    private(set) var tasks: [[Int]] = [], means: [Float] = []
    private(set) var dimension = 0
    private var cached: PrototypeHead?

    var isEmpty: Bool { tasks.isEmpty }

    /// Adds a finished task's class means, [classes.count, dimension].
    mutating func add(_ taskClasses: [Int], means rows: [Float], dimension: Int) {
        (self.dimension, cached) = (dimension, nil)
        tasks.append(taskClasses)
        means += rows
    }

    /// Bytes of task t's prototypes (float32).
    func bytes(task t: Int) -> Int {
        tasks.indices.contains(t) ? tasks[t].count * dimension * MemoryLayout<Float>.size : 0
    }

    /// The cosine head over `width` class ids holding every prototype.
    mutating func head(width: Int) throws -> PrototypeHead {
        if let cached, cached.classes == width { return cached }
        let head = PrototypeHead(classes: width, dimension: dimension)
        for (row, c) in tasks.joined().enumerated() {
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
        guard tasks.indices.contains(i) else {
            throw ConFiTError.bankMismatch(
                key: "prototypes", reason: "the checkpoint holds no prototypes for task \(i)")
        }
        let first = tasks[..<i].reduce(0) { $0 + $1.count }
        let rows = Array(means[(first * dimension)..<((first + tasks[i].count) * dimension)])
        return ("prototypes", HostTensor(shape: [tasks[i].count, dimension], floats: rows))
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
            : TaskClasses.state(tasks, prefix: prefix)
                + [(prefix + "prototypes", HostTensor(shape: [means.count / dimension, dimension], floats: means))]
    }

    /// Reads back `state(prefix:)`, all checked before anything is replaced; empty when absent.
    init(from tensors: [(String, HostTensor)], prefix: String) throws {
        let state = Dictionary(tensors.under(prefix), uniquingKeysWith: { $1 })
        guard let stored = state["prototypes"] else { return }
        let read = try TaskClasses.read(state, owner: prefix + "prototypes")
        let classes = read.joined().count
        guard stored.shape.count == 2, stored.shape[0] == classes else {
            throw ConFiTError.bankMismatch(
                key: prefix + "prototypes", reason: "shape \(stored.shape) for \(classes) classes")
        }
        (tasks, means, dimension) = (read, stored.floats(), stored.shape[1])
    }

    init() {}
}
