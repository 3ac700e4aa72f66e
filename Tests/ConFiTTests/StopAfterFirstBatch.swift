import ConFiT

/// Asks its run to stop after the first batch: a run with a mid-epoch checkpoint.
final class StopAfterFirstBatch: RunObserver {
    func batchFinished(_ run: ContinualRun, at position: TrainingPosition, of batches: Int, loss: Float) {
        run.stop.request()
    }
}
