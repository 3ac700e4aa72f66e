import ConFiT

/// What a trainer's run reported: every epoch and task, and its checkpoints (the last
/// only, unless `keepsEveryCheckpoint`: each holds the whole network).
struct TrainerLog {
    var epochs: [EpochRecord] = []
    var tasks: [ContinualTrainer.TaskReport] = []
    var checkpoints: [TrainingCheckpoint] = []
    var keepsEveryCheckpoint = false

    var lastCheckpoint: TrainingCheckpoint? { checkpoints.last }
    var accuracyRows: [[Double]] { tasks.map(\.accuracies) }

    mutating func record(_ event: RunEvent) {
        switch event {
        case .epochFinished(let epoch): epochs.append(epoch)
        case .taskFinished(let report): tasks.append(report)
        case .checkpoint(let checkpoint):
            checkpoints = (keepsEveryCheckpoint ? checkpoints : []) + [checkpoint]
        case .started, .batchFinished, .stopped, .finished: break
        }
    }
}

extension ContinualTrainer {
    /// Runs from `position` into `log` (kept when the run throws); `onEvent` sees each
    /// event after it is logged, to request a stop.
    func run(
        from position: TrainingPosition = .start, into log: inout TrainerLog, onEvent: (RunEvent) -> Void = { _ in }
    ) throws {
        try run(from: position) { event in
            log.record(event)
            onEvent(event)
        }
    }

    /// Runs from `position` and returns what it reported.
    @discardableResult
    func runLogged(
        from position: TrainingPosition = .start, keepingEveryCheckpoint: Bool = false
    ) throws
        -> TrainerLog
    {
        var log = TrainerLog(keepsEveryCheckpoint: keepingEveryCheckpoint)
        try run(from: position, into: &log)
        return log
    }
}
