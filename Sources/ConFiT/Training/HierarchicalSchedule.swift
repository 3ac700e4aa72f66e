import ConFiTNN

/// Which parameters train in each epoch of a task.
public enum TrainingSchedule: String, Sendable, Codable, CaseIterable {
    /// ConFiT's hierarchical fine-tuning: for E epochs (integer division, as the official
    /// code), epochs [0, E/5) train the classifier, [E/5, E/2) add every BatchNorm's γ and
    /// β, and [E/2, E) train everything.
    case hierarchical
    /// Every parameter in every epoch.
    case all
    /// Only the classifier in every epoch.
    case classifierOnly = "classifier"

    /// The parameters trained in `epoch` (0-based) of a task with `epochs` epochs.
    public func selection(epoch: Int, epochs: Int) -> TrainableSelection {
        switch self {
        case .all: .all
        case .classifierOnly: .classifier
        case .hierarchical:
            epoch < epochs / 5 ? .classifier : epoch < epochs / 2 ? .classifierAndNormalization : .all
        }
    }
}
