/// Where a run stands: the next batch to train is batch `batch` of epoch `epoch` of task
/// `task` (batch 0 of epoch 0 of task 0 for a new run; epoch == epochs means the task's
/// training is done and its evaluation is next).
public struct TrainingPosition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var task: Int, epoch: Int, batch: Int

    public init(task: Int, epoch: Int, batch: Int = 0) { (self.task, self.epoch, self.batch) = (task, epoch, batch) }

    public static let start = TrainingPosition(task: 0, epoch: 0)

    public static func < (a: Self, b: Self) -> Bool { (a.task, a.epoch, a.batch) < (b.task, b.epoch, b.batch) }

    public var description: String { "task \(task), epoch \(epoch), batch \(batch)" }
}
