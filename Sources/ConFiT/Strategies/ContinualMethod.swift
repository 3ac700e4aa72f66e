/// A method a run can use, with its hyper-parameters: what `--method` names and what a run
/// records in its configuration (`{"name": "lwf", "lambda": 1, "temperature": 2}`), so a
/// resumed run builds the same strategy. `makeStrategy()` gives the hooks that implement it.
public enum ContinualMethod: Sendable, Hashable {
    /// ConFiT: task banks, Xconv BN recovery, hierarchical fine-tuning.
    case confit
    /// Ablation: banks and hierarchy without recovery.
    case confitNoXconv
    /// Ablation: banks and recovery, all parameters every epoch.
    case confitNoHier
    /// Task-specific BN banks only.
    case taskBN
    /// Plain fine-tuning: one shared network, all parameters.
    case finetune
    /// Linear probe: frozen backbone in eval mode, only the classifier trains.
    case linear
    /// Learning without Forgetting, as FACIL implements it.
    case lwf(LwFStrategy.Options)
    /// Elastic Weight Consolidation, as FACIL implements it.
    case ewc(EWCStrategy.Options)
    /// PackNet: iterative pruning, each weight owned by one task (arunmallya/packnet).
    case packnet(PackNetStrategy.Options)
    /// Piggyback: a learned binary mask per task over frozen weights (arunmallya/piggyback).
    case piggyback(PiggybackStrategy.Options)
    /// SimpleCIL: the frozen pre-trained backbone, cosine similarity to class-mean prototypes.
    case simplecil
    /// RanPAC: frozen features, a random ReLU projection and a ridge-regression head.
    case ranpac(RanPACStrategy.Options)
    /// First Session Adaptation: task 0 fine-tuned, then the body frozen and an LDA head.
    case fsa

    public static let all: [ContinualMethod] = [
        .confit, .confitNoXconv, .confitNoHier, .taskBN, .finetune, .linear,
        .lwf(.init()), .ewc(.init()), .packnet(.init()), .piggyback(.init()),
        .simplecil, .ranpac(.init()), .fsa,
    ]

    public var name: String {
        switch self {
        case .confit: "confit"
        case .confitNoXconv: "confit-noxconv"
        case .confitNoHier: "confit-nohier"
        case .taskBN: "taskbn"
        case .finetune: "finetune"
        case .linear: "linear"
        case .lwf: "lwf"
        case .ewc: "ewc"
        case .packnet: "packnet"
        case .piggyback: "piggyback"
        case .simplecil: "simplecil"
        case .ranpac: "ranpac"
        case .fsa: "fsa"
        }
    }

    /// The method called `name`, with default hyper-parameters.
    public static func named(_ name: String) throws -> ContinualMethod {
        guard let method = all.first(where: { $0.name == name }) else { throw ConFiTError.unknownMethod(name) }
        return method
    }

    /// Refuses hyper-parameters out of their range, as each method's options define it.
    public func validate() throws {
        switch self {
        case .lwf(let options): try options.validate()
        case .ewc(let options): try options.validate()
        case .packnet(let options): try options.validate()
        case .piggyback(let options): try options.validate()
        case .ranpac(let options): try options.validate()
        default: break
        }
    }

    /// A fresh strategy: no task trained yet.
    public func makeStrategy() -> any ContinualStrategy {
        switch self {
        case .confit: TaskBankStrategy(name: name, schedule: .hierarchical, recoversRunningMeans: true)
        case .confitNoXconv: TaskBankStrategy(name: name, schedule: .hierarchical, recoversRunningMeans: false)
        case .confitNoHier: TaskBankStrategy(name: name, schedule: .all, recoversRunningMeans: true)
        case .taskBN: TaskBankStrategy(name: name, schedule: .all, recoversRunningMeans: false)
        case .finetune: FineTuningStrategy()
        case .linear: LinearProbeStrategy()
        case .lwf(let options): LwFStrategy(options)
        case .ewc(let options): EWCStrategy(options)
        case .packnet(let options): PackNetStrategy(options)
        case .piggyback(let options): PiggybackStrategy(options)
        case .simplecil: SimpleCILStrategy()
        case .ranpac(let options): RanPACStrategy(options)
        case .fsa: FSAStrategy()
        }
    }
}

extension ContinualMethod: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, lambda, temperature, alpha, prune
        case retrainEpochs = "retrain_epochs", trainBN = "train_bn", learningRate = "learning_rate"
        case maskScale = "mask_scale", threshold
        case ranpacDimension = "ranpac_dim"
    }

    /// Reads `{"name": ...}` plus the method's hyper-parameters (defaults where absent);
    /// configurations written before methods had any also carried switches, now ignored.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let method = try ContinualMethod.named(try container.decode(String.self, forKey: .name))
        switch method {
        case .lwf(let defaults):
            self = .lwf(
                .init(
                    lambda: try container.decodeIfPresent(Float.self, forKey: .lambda) ?? defaults.lambda,
                    temperature: try container.decodeIfPresent(Float.self, forKey: .temperature) ?? defaults.temperature
                ))
        case .ewc(let defaults):
            self = .ewc(
                .init(
                    lambda: try container.decodeIfPresent(Float.self, forKey: .lambda) ?? defaults.lambda,
                    alpha: try container.decodeIfPresent(Float.self, forKey: .alpha) ?? defaults.alpha))
        case .packnet(let defaults):
            self = .packnet(
                .init(
                    prune: try container.decodeIfPresent(Double.self, forKey: .prune) ?? defaults.prune,
                    retrainEpochs: try container.decodeIfPresent(Int.self, forKey: .retrainEpochs),
                    trainsNormalization: try container.decodeIfPresent(Bool.self, forKey: .trainBN) ?? false))
        case .piggyback(let defaults):
            self = .piggyback(
                .init(
                    learningRate: try container.decodeIfPresent(Float.self, forKey: .learningRate)
                        ?? defaults.learningRate,
                    maskScale: try container.decodeIfPresent(Float.self, forKey: .maskScale) ?? defaults.maskScale,
                    threshold: try container.decodeIfPresent(Float.self, forKey: .threshold) ?? defaults.threshold,
                    trainsNormalization: try container.decodeIfPresent(Bool.self, forKey: .trainBN) ?? false))
        case .ranpac(let defaults):
            self = .ranpac(
                RanPACStrategy.Options(
                    dimension: try container.decodeIfPresent(Int.self, forKey: .ranpacDimension) ?? defaults.dimension))
        default: self = method
        }
        // A configuration file is checked as the command line is.
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        switch self {
        case .lwf(let options):
            try container.encode(options.lambda, forKey: .lambda)
            try container.encode(options.temperature, forKey: .temperature)
        case .ewc(let options):
            try container.encode(options.lambda, forKey: .lambda)
            try container.encode(options.alpha, forKey: .alpha)
        case .packnet(let options):
            try container.encode(options.prune, forKey: .prune)
            try container.encodeIfPresent(options.retrainEpochs, forKey: .retrainEpochs)
            try container.encode(options.trainsNormalization, forKey: .trainBN)
        case .piggyback(let options):
            try container.encode(options.learningRate, forKey: .learningRate)
            try container.encode(options.maskScale, forKey: .maskScale)
            try container.encode(options.threshold, forKey: .threshold)
            try container.encode(options.trainsNormalization, forKey: .trainBN)
        case .ranpac(let options):
            try container.encode(options.dimension, forKey: .ranpacDimension)
        default: break
        }
    }
}
