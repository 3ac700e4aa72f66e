import ConFiTIO

/// The classes of each finished task, in order, as strategies keep them in a checkpoint:
/// `classes` (every task's, one after another) and `classes_per_task`, under the strategy's prefix.
enum TaskClasses {
    static func state(_ tasks: [[Int]], prefix: String) -> [(String, HostTensor)] {
        [
            (prefix + "classes", HostTensor(shape: [tasks.joined().count], int64s: Array(tasks.joined()))),
            (prefix + "classes_per_task", HostTensor(shape: [tasks.count], int64s: tasks.map(\.count))),
        ]
    }

    /// The tasks' classes from `state` (the strategy's tensors, its prefix removed); an error
    /// naming `owner` when they are absent or the two tensors disagree.
    /// Checkpoints written before this layout named the two tensors `task_classes` and
    /// `task_class_counts` (RanPAC, FSA) or `classes` and `task_classes` (the prototypes);
    /// both are read.
    static func read(_ state: [String: HostTensor], owner: String) throws -> [[Int]] {
        let (classes, counts) =
            state["classes_per_task"] != nil
            ? (state["classes"]?.ints(), state["classes_per_task"]?.ints())
            : state["task_class_counts"] != nil
                ? (state["task_classes"]?.ints(), state["task_class_counts"]?.ints())
                : (state["classes"]?.ints(), state["task_classes"]?.ints())
        guard let classes, let counts,
            counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == classes.count
        else {
            throw ConFiTError.bankMismatch(
                key: owner + ".classes", reason: "the tasks' classes are missing or inconsistent")
        }
        var start = 0
        return counts.map { count in
            defer { start += count }
            return Array(classes[start..<(start + count)])
        }
    }
}
