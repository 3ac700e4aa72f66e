/// One line of the training log: what one epoch of one task cost and how its loss went,
/// kept in `RunMetrics.epochs` so loss curves and time breakdowns can be drawn later.
public struct EpochRecord: Sendable, Equatable, Codable {
    /// 0-based task index.
    public var task: Int
    /// 0-based epoch within the task.
    public var epoch: Int
    /// Which parameters trained (e.g. `TrainableSelection.rawValue`: "fc", "bn", "full").
    public var stage: String
    /// Mean training loss over the epoch's batches.
    public var meanLoss: Double
    /// Training images per second over the epoch.
    public var imagesPerSecond: Double
    /// Wall time of the epoch.
    public var seconds: Double

    public init(
        task: Int, epoch: Int, stage: String, meanLoss: Double, imagesPerSecond: Double,
        seconds: Double
    ) {
        self.task = task
        self.epoch = epoch
        self.stage = stage
        self.meanLoss = meanLoss
        self.imagesPerSecond = imagesPerSecond
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case task, epoch, stage, seconds
        case meanLoss = "mean_loss"
        case imagesPerSecond = "images_per_second"
    }
}
