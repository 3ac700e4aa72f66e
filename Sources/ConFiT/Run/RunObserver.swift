/// What a `ContinualRun` reports as it goes: progress for a person (the CLI prints it),
/// files of one's own after each checkpoint (`ConFiTReport`'s `ReportWriter` writes
/// `report.html`), or anything else. Every method has an empty default.
public protocol RunObserver: AnyObject {
    /// Before the first batch; `run.resumedFrom` tells a resumed run from a new one.
    func runStarting(_ run: ContinualRun)
    /// After every training batch: its position, the batches in its epoch, its loss.
    func batchFinished(_ run: ContinualRun, at position: TrainingPosition, of batches: Int, loss: Float)
    func epochFinished(_ run: ContinualRun, _ epoch: EpochRecord)
    /// After a task's training and the evaluation of every task so far.
    func taskFinished(_ run: ContinualRun, _ report: ContinualTrainer.TaskReport)
    /// After the checkpoint, `metrics.json` and `metrics.csv` were written (every epoch,
    /// every task, and on a stop); `run.metrics` is what they hold.
    func checkpointWritten(_ run: ContinualRun) throws
    /// A stop was requested and honoured: the checkpoint continues at `position`.
    func runStopped(_ run: ContinualRun, at position: TrainingPosition)
    /// Every task is trained and evaluated.
    func runFinished(_ run: ContinualRun)
}

extension RunObserver {
    public func runStarting(_ run: ContinualRun) {}
    public func batchFinished(_ run: ContinualRun, at position: TrainingPosition, of batches: Int, loss: Float) {}
    public func epochFinished(_ run: ContinualRun, _ epoch: EpochRecord) {}
    public func taskFinished(_ run: ContinualRun, _ report: ContinualTrainer.TaskReport) {}
    public func checkpointWritten(_ run: ContinualRun) throws {}
    public func runStopped(_ run: ContinualRun, at position: TrainingPosition) {}
    public func runFinished(_ run: ContinualRun) {}
}
