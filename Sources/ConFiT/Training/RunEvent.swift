/// What happens in a run, in order: the one vocabulary of progress. `ContinualTrainer.run`
/// reports the events of training to a closure; `ContinualRun` records them (metrics, the
/// checkpoint's files), adds its own (`started`, `stopped`, `finished`) and passes every one
/// to its `RunObserver`s. A new event is a new case here and the line that sends it.
public enum RunEvent {
    /// Before the first batch; `ContinualRun.resumedFrom` tells a resumed run from a new one.
    case started
    /// After every training batch: its position, the batches in its epoch, its loss.
    case batchFinished(TrainingPosition, batches: Int, loss: Float)
    case epochFinished(EpochRecord)
    /// After a task's training and the evaluation of every task so far.
    case taskFinished(ContinualTrainer.TaskReport)
    /// After every epoch, every task, and on a stop. From the trainer: the checkpoint to
    /// store. To a run's observers: it, `metrics.json` and `metrics.csv` are written, and
    /// `ContinualRun.metrics` is what they hold.
    case checkpoint(TrainingCheckpoint)
    /// A stop was requested and honoured: the checkpoint continues at this position.
    case stopped(TrainingPosition)
    /// Every task is trained and evaluated.
    case finished
}
