import ConFiT

/// Asks its run to stop after the first batch: a run with a mid-epoch checkpoint.
final class StopAfterFirstBatch: RunObserver {
    func observe(_ event: RunEvent, of run: ContinualRun) {
        if case .batchFinished = event { run.stop.request() }
    }
}
