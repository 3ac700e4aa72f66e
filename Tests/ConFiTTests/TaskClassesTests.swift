import ConFiTIO
import Testing

@testable import ConFiT

/// The tasks' classes as checkpoints hold them, in today's layout and in the two earlier
/// ones, which runs written before still have.
@Suite struct TaskClassesTests {
    private let tasks = [[7, 3], [1, 0, 9]]

    private func ints(_ values: [Int]) -> HostTensor { HostTensor(shape: [values.count], int64s: values) }

    @Test func readsWhatItWrites() throws {
        let state = Dictionary(TaskClasses.state(tasks, prefix: "").map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
        #expect(Set(state.keys) == ["classes", "classes_per_task"])
        #expect(try TaskClasses.read(state, owner: "x") == tasks)
    }

    @Test func readsTheEarlierLayouts() throws {
        let ranpac = ["task_classes": ints([7, 3, 1, 0, 9]), "task_class_counts": ints([2, 3])]
        let prototypes = ["classes": ints([7, 3, 1, 0, 9]), "task_classes": ints([2, 3])]
        #expect(try TaskClasses.read(ranpac, owner: "ranpac") == tasks)
        #expect(try TaskClasses.read(prototypes, owner: "prototypes") == tasks)
    }

    @Test func refusesCountsThatDoNotAddUp() {
        let state = ["classes": ints([7, 3, 1]), "classes_per_task": ints([2, 3])]
        #expect(throws: ConFiTError.self) { try TaskClasses.read(state, owner: "fsa") }
    }
}
