import ConFiT
import Foundation

/// Keeps `report.html` in a run's folder current: rewritten after every checkpoint, so a
/// run in progress always has a complete report to open. Add it to a run's observers.
public final class ReportWriter: RunObserver {
    public init() {}

    public func observe(_ event: RunEvent, of run: ContinualRun) throws {
        guard case .checkpoint = event else { return }
        try run.folder.writeReport(run.metrics, name: run.configuration.method.name)
    }
}

extension RunFolder {
    public static let reportHTML = "report.html"

    /// Writes `report.html` for this run alone, atomically, so a run in progress always
    /// has a complete, current report to open. The run is named after the folder unless
    /// `name` is given.
    public func writeReport(_ metrics: RunMetrics, name: String? = nil) throws(RunFolderError) {
        let run = RunReport.Run(name: name ?? url.standardizedFileURL.lastPathComponent, metrics: metrics)
        try writeAtomically(Data(RunReport(runs: [run]).html.utf8), to: Self.reportHTML)
    }
}
