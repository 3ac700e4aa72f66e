import ConFiTData
import ConFiTEngine
import ConFiTIO
import ConFiTNN

/// Learning without Forgetting (Li & Hoiem 2016) as FACIL implements it
/// (`src/approach/lwf.py`, no exemplars): while training task t > 0, the loss gains
/// λ · KD between the network before the task (eval mode) and the network being trained,
/// over the logits of every earlier task's classes (`DistillationLoss`, temperature T,
/// smoothing 1e-5). Fine-tuning's schedule, one shared BN.
///
/// FACIL runs the old network on every batch. There is no augmentation here, so its
/// logits for a task's training images cannot change during the task: they are computed
/// once, when the task starts (the network then *is* the old one), one eval forward per
/// image instead of one per image per epoch, and no model copy is kept.
///
/// FACIL optimises the backbone and the current task's head only: here the classifier rows
/// of every other class keep their values although distillation has a gradient for them.
public final class LwFStrategy: ContinualStrategy {
    public struct Options: Sendable, Hashable {
        /// λ, the weight of the distillation term (FACIL's `--lamb`, default 1).
        public var lambda: Float = 1
        /// T, the softmax temperature (FACIL's `--T`, default 2).
        public var temperature: Float = 2
        public init(lambda: Float = 1, temperature: Float = 2) {
            (self.lambda, self.temperature) = (lambda, temperature)
        }

        /// Refuses a negative or non-finite λ and a temperature that is not positive.
        public func validate() throws {
            guard lambda >= 0, lambda.isFinite else {
                throw ConFiTError.invalidConfiguration("LwF's λ must be finite and ≥ 0, not \(lambda)")
            }
            guard temperature > 0, temperature.isFinite else {
                throw ConFiTError.invalidConfiguration(
                    "LwF's temperature must be positive and finite, not \(temperature)")
            }
        }
    }

    public let name = "lwf"

    public func validate(network: any Layer, classes: Int) throws { try options.validate() }
    public let options: Options
    /// The old network's logits over the earlier tasks' classes (in task order), by the
    /// sample id of each training image of the current task; empty in task 0.
    private var teacher: [Int: [Float]] = [:]
    /// The ids of `teacher`, in the order they were computed (for the checkpoint).
    private var teacherIDs: [Int] = []

    public init(_ options: Options = Options()) { self.options = options }

    /// Every earlier task's classes, in task order: the logits distilled in `task`.
    private func earlierClasses(_ task: Scenario.Task, _ context: StrategyContext) -> [Int] {
        context.tasks.prefix(task.id).flatMap(\.classes)
    }

    public func taskStarting(_ task: Scenario.Task, _ context: StrategyContext) throws {
        (teacher, teacherIDs) = ([:], [])
        let classes = earlierClasses(task, context)
        guard !classes.isEmpty else { return }
        try context.evaluator.select(nil, recover: false)
        let stream = try context.trainingImages(task, false).epoch(0)
        while let batch = try stream.next() {
            for (id, row) in zip(batch.sampleIDs, try context.evaluator.logits(for: batch, classes: classes)) {
                teacher[id] = row
                teacherIDs.append(id)
            }
        }
    }

    public func addLoss(
        logits: Tensor, gradient: Tensor, batch: Batch, task: Scenario.Task, _ context: StrategyContext
    ) throws -> Float {
        guard task.id > 0 else { return 0 }
        let rows = try batch.sampleIDs.map { id in
            guard let row = teacher[id] else {
                throw ConFiTError.invalidConfiguration(
                    "LwF has no old-network logits for training image \(id) of task \(task.id)")
            }
            return row
        }
        return try DistillationLoss.loss(
            logits: logits, classes: earlierClasses(task, context), teacher: rows,
            temperature: options.temperature, weight: options.lambda, addingTo: gradient)
    }

    /// Clears the classifier's gradient rows of every class outside the task.
    public func finishGradients(task: Scenario.Task, _ context: StrategyContext) throws -> Float {
        guard task.id > 0 else { return 0 }
        let (weight, bias) = (context.classifier.weight, context.classifier.bias)
        let features = context.classifier.inFeatures
        let kept = Set(task.classes)
        for c in 0..<context.classifier.outFeatures where !kept.contains(c) {
            if weight.trainable { (weight.gradient.pointer + c * features).update(repeating: 0, count: features) }
            if bias.trainable { bias.gradient.pointer[c] = 0 }
        }
        return 0
    }

    public func taskFinished(_ task: Scenario.Task, _ context: StrategyContext) throws {
        (teacher, teacherIDs) = ([:], [])
    }

    public func state() throws -> [(String, HostTensor)] {
        guard let width = teacher.first?.value.count else { return [] }
        return [
            ("lwf.teacher_ids", HostTensor(shape: [teacherIDs.count], int64s: teacherIDs)),
            (
                "lwf.teacher_logits",
                HostTensor(shape: [teacherIDs.count, width], floats: teacherIDs.flatMap { teacher[$0]! })
            ),
        ]
    }

    public func restore(from tensors: [(String, HostTensor)]) throws {
        let saved = Dictionary(tensors.under("lwf."), uniquingKeysWith: { a, _ in a })
        (teacher, teacherIDs) = ([:], [])
        guard let ids = saved["teacher_ids"], let logits = saved["teacher_logits"] else { return }
        guard logits.shape.count == 2, logits.shape[0] == ids.count else {
            throw ConFiTError.bankMismatch(
                key: "lwf.teacher_logits", reason: "shape \(logits.shape) for \(ids.count) images")
        }
        let (values, width) = (logits.floats(), logits.shape[1])
        teacherIDs = ids.ints()
        for (row, id) in teacherIDs.enumerated() { teacher[id] = Array(values[(row * width)..<((row + 1) * width)]) }
    }
}
