/// A continual fine-tuning method, described by what it does rather than by name, so the
/// trainer never branches on names: ConFiT and its ablations and baselines differ only in
/// these switches (DESIGN §2).
public struct ContinualMethod: Sendable, Hashable, Codable {
    public var name: String
    /// Which parameters train in each epoch.
    public var schedule: TrainingSchedule
    /// Keep a bank of BatchNorm statistics and affine parameters per task.
    public var usesTaskBanks: Bool
    /// Replace old tasks' BN running means by Xconv-recovered ones at evaluation.
    public var recoversRunningMeans: Bool
    /// Run the backbone in eval mode (running statistics, no updates), as a linear probe.
    public var backboneInEvalMode: Bool

    /// ConFiT: task banks, Xconv BN recovery, hierarchical fine-tuning.
    public static let confit = ContinualMethod(name: "confit", schedule: .hierarchical, usesTaskBanks: true,
                                              recoversRunningMeans: true, backboneInEvalMode: false)
    /// Ablation: banks and hierarchy without recovery.
    public static let confitNoXconv = ContinualMethod(name: "confit-noxconv", schedule: .hierarchical, usesTaskBanks: true,
                                                      recoversRunningMeans: false, backboneInEvalMode: false)
    /// Ablation: banks and recovery, all parameters every epoch.
    public static let confitNoHier = ContinualMethod(name: "confit-nohier", schedule: .all, usesTaskBanks: true,
                                                     recoversRunningMeans: true, backboneInEvalMode: false)
    /// Task-specific BN banks only.
    public static let taskBN = ContinualMethod(name: "taskbn", schedule: .all, usesTaskBanks: true,
                                               recoversRunningMeans: false, backboneInEvalMode: false)
    /// Plain fine-tuning: one shared network, all parameters.
    public static let finetune = ContinualMethod(name: "finetune", schedule: .all, usesTaskBanks: false,
                                                 recoversRunningMeans: false, backboneInEvalMode: false)
    /// Linear probe: frozen backbone in eval mode, only the classifier trains.
    public static let linear = ContinualMethod(name: "linear", schedule: .classifierOnly, usesTaskBanks: false,
                                               recoversRunningMeans: false, backboneInEvalMode: true)

    /// Whether task i's BN running means are recovered when it is evaluated after training
    /// task t: for every task but the one the current weights were last trained on, if the
    /// method recovers at all.
    public func recovers(task i: Int, after t: Int) -> Bool { recoversRunningMeans && i != t }

    public static let all = [confit, confitNoXconv, confitNoHier, taskBN, finetune, linear]

    public static func named(_ name: String) throws -> ContinualMethod {
        guard let method = all.first(where: { $0.name == name }) else { throw ConFiTError.unknownMethod(name) }
        return method
    }
}
