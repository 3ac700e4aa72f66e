import ArgumentParser
import ConFiT

/// The hyper-parameters of the methods that have them. One given for a method the
/// command does not run is refused rather than silently ignored (`check(for:)`).
struct MethodOptions: ParsableArguments {
    @Option(help: "LwF: weight λ of the distillation loss (FACIL's default 1).") var lwfLambda: Float?
    @Option(help: "LwF: softmax temperature T (FACIL's default 2).") var lwfTemperature: Float?
    @Option(help: "EWC: weight λ of the penalty λ/2·Σ F(θ−θ*)² (FACIL's default 5000).") var ewcLambda: Float?
    @Option(help: "EWC: weight α of earlier tasks' Fisher when merging (FACIL's default 0.5).") var ewcAlpha: Float?
    @Option(help: "PackNet: fraction of a task's weights pruned per layer (the official 0.75).") var packnetPrune:
        Double?
    @Option(help: "PackNet: epochs of retraining after pruning, out of --epochs (default: a third, rounded up).")
    var packnetRetrainEpochs: Int?
    @Flag(help: "PackNet: train BN and keep it per task (default: the pre-trained BN, frozen).") var packnetTrainBN =
        false
    @Option(help: "Piggyback: Adam's learning rate for the masks and the classifier (the official 1e-4).")
    var piggybackLR: Float?
    @Flag(help: "Piggyback: train BN and keep it per task (default: the pre-trained BN, frozen).")
    var piggybackTrainBN = false
    @Option(
        help: "RanPAC: width M of the random projection (the official 10000; 0 = ridge regression on the features).")
    var ranpacDim: Int?

    /// The hyper-parameters given, by flag.
    var given: [String] {
        [
            ("--lwf-lambda", lwfLambda != nil), ("--lwf-temperature", lwfTemperature != nil),
            ("--ewc-lambda", ewcLambda != nil),
            ("--ewc-alpha", ewcAlpha != nil), ("--packnet-prune", packnetPrune != nil),
            ("--packnet-retrain-epochs", packnetRetrainEpochs != nil),
            ("--packnet-train-bn", packnetTrainBN), ("--piggyback-lr", piggybackLR != nil),
            ("--piggyback-train-bn", piggybackTrainBN),
            ("--ranpac-dim", ranpacDim != nil),
        ].filter(\.1).map(\.0)
    }

    /// Refuses hyper-parameters of methods other than `methods`, and out-of-range values.
    func check(for methods: [ContinualMethod]) throws {
        let names = Set(methods.map(\.name))
        let given = [
            ("--lwf-lambda", lwfLambda, "lwf"), ("--lwf-temperature", lwfTemperature, "lwf"),
            ("--ewc-lambda", ewcLambda, "ewc"), ("--ewc-alpha", ewcAlpha, "ewc"),
        ]
        let switches = [
            ("--packnet-prune", packnetPrune != nil, "packnet"),
            ("--packnet-retrain-epochs", packnetRetrainEpochs != nil, "packnet"),
            ("--packnet-train-bn", packnetTrainBN, "packnet"),
            ("--piggyback-lr", piggybackLR != nil, "piggyback"),
            ("--piggyback-train-bn", piggybackTrainBN, "piggyback"),
            ("--ranpac-dim", ranpacDim != nil, "ranpac"),
        ]
        for (flag, isGiven, owner) in given.map({ ($0.0, $0.1 != nil, $0.2) }) + switches
        where isGiven && !names.contains(owner) {
            throw ValidationError("\(flag) applies to --method \(owner), not \(names.sorted().joined(separator: ", "))")
        }
        // The ranges are the library's, checked on the methods as these flags resolve them.
        for method in methods {
            do { try resolve(method).validate() } catch { throw ValidationError("\(error)") }
        }
    }

    /// `method` with the hyper-parameters given.
    func resolve(_ method: ContinualMethod) -> ContinualMethod {
        switch method {
        case .lwf(var options):
            options.lambda = lwfLambda ?? options.lambda
            options.temperature = lwfTemperature ?? options.temperature
            return .lwf(options)
        case .ewc(var options):
            options.lambda = ewcLambda ?? options.lambda
            options.alpha = ewcAlpha ?? options.alpha
            return .ewc(options)
        case .packnet(var options):
            options.prune = packnetPrune ?? options.prune
            options.retrainEpochs = packnetRetrainEpochs ?? options.retrainEpochs
            options.trainsNormalization = packnetTrainBN
            return .packnet(options)
        case .piggyback(var options):
            options.learningRate = piggybackLR ?? options.learningRate
            options.trainsNormalization = piggybackTrainBN
            return .piggyback(options)
        case .ranpac(var options):
            options.dimension = ranpacDim ?? options.dimension
            return .ranpac(options)
        default: return method
        }
    }
}
