/// Errors of the continual-learning method and its runs.
public enum ConFiTError: Error, CustomStringConvertible, Equatable {
    case unpairedConvolution(String)
    case unpairedNormalization(String)
    case bankMismatch(key: String, reason: String)
    case nonFiniteLoss(task: Int, epoch: Int, batch: Int, loss: Float)
    case unknownMethod(String)
    case invalidConfiguration(String)
    case interrupted(TrainingPosition)

    public var description: String {
        switch self {
        case .unpairedConvolution(let name): "convolution \(name) is not followed by a BatchNorm; Xconv BN needs conv → BN pairs"
        case .unpairedNormalization(let name): "BatchNorm \(name) does not follow a convolution with as many channels"
        case .bankMismatch(let key, let reason): "task bank entry \(key): \(reason)"
        case .nonFiniteLoss(let task, let epoch, let batch, let loss):
            "loss became \(loss) in task \(task), epoch \(epoch), batch \(batch); stopping (lower the learning rate?)"
        case .unknownMethod(let name):
            "unknown method '\(name)': choose one of \(ContinualMethod.all.map(\.name).joined(separator: ", "))"
        case .invalidConfiguration(let reason): reason
        case .interrupted(let position): "stopped at \(position) on request; the checkpoint holds everything up to there"
        }
    }
}
