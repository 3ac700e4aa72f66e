/// Errors of the continual-learning method and its runs.
public enum ConFiTError: Error, CustomStringConvertible, Equatable {
    case unpairedConvolution(String)
    case unpairedNormalization(String)
    case bankMismatch(key: String, reason: String)
    case nonFiniteLoss(task: Int, epoch: Int, batch: Int, loss: Float)
    case unknownMethod(String)
    case invalidConfiguration(String)
    /// A weights file without the classifier `model` needs: most likely weights of another
    /// network, so the error says which one its key names suggest.
    case weightsMismatch(path: String, model: String, classifierKey: String, recognised: String)
    case interrupted(TrainingPosition)
    /// A checkpoint that fails to parse or whose checksum does not match its contents, and
    /// the previous checkpoint kept beside it, if there is one.
    case damagedCheckpoint(path: String, reason: String, previous: String?)

    public var description: String {
        switch self {
        case .unpairedConvolution(let name):
            "convolution \(name) is not followed by a BatchNorm; Xconv BN needs conv → BN pairs"
        case .unpairedNormalization(let name): "BatchNorm \(name) does not follow a convolution with as many channels"
        case .bankMismatch(let key, let reason): "task bank entry \(key): \(reason)"
        case .nonFiniteLoss(let task, let epoch, let batch, let loss):
            "loss became \(loss) in task \(task), epoch \(epoch), batch \(batch); stopping (lower the learning rate?)"
        case .unknownMethod(let name):
            "unknown method '\(name)': choose one of \(ContinualMethod.all.map(\.name).joined(separator: ", "))"
        case .invalidConfiguration(let reason): reason
        case let .weightsMismatch(path, model, classifierKey, recognised):
            "\(path) has no 2-D classifier weight '\(classifierKey)', so it does not hold \(model) weights "
                + "(its key names look like: \(recognised))"
        case .interrupted(let position):
            "stopped at \(position) on request; the checkpoint holds everything up to there"
        case let .damagedCheckpoint(path, reason, previous):
            "the checkpoint \(path) is damaged (\(reason))"
                + (previous.map {
                    ". The one before it is kept: to resume from there, mv \($0) \(path) and resume again"
                } ?? "")
        }
    }
}
