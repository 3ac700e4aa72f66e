/// Told every `RunEvent` of a `ContinualRun`, in order, after the run has recorded it:
/// progress for a person (the CLI prints it), files of one's own after each checkpoint
/// (`ConFiTReport`'s `ReportWriter` writes `report.html`), or anything else. Switch over the
/// events of interest and ignore the rest. An error thrown here stops the run.
public protocol RunObserver: AnyObject {
    func observe(_ event: RunEvent, of run: ContinualRun) throws
}
