import ConFiTNN

/// One trained epoch of one task: its stage, mean loss and cost. The trainer reports it,
/// `RunMetrics.epochs` keeps it (loss curves and time breakdowns are drawn from it).
public struct EpochRecord: Sendable, Equatable, Codable {
    /// 0-based task index.
    public var task: Int
    /// 0-based epoch within the task.
    public var epoch: Int
    /// Which parameters trained (written as "fc", "bn" or "full").
    public var stage: TrainableSelection
    /// Mean training loss over the epoch's batches (NaN for an epoch without batches).
    public var meanLoss: Double
    /// Training images per second over the epoch.
    public var imagesPerSecond: Double
    /// Wall time of the epoch.
    public var seconds: Double

    public init(
        task: Int, epoch: Int, stage: TrainableSelection, meanLoss: Double, imagesPerSecond: Double, seconds: Double
    ) {
        (self.task, self.epoch, self.stage) = (task, epoch, stage)
        (self.meanLoss, self.imagesPerSecond, self.seconds) = (meanLoss, imagesPerSecond, seconds)
    }

    enum CodingKeys: String, CodingKey {
        case task, epoch, stage, seconds
        case meanLoss = "mean_loss"
        case imagesPerSecond = "images_per_second"
    }
}
