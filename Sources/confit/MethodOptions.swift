import ArgumentParser
import ConFiT

/// `--method` and the hyper-parameters of the methods that have them. A hyper-parameter
/// given for another method is refused rather than silently ignored.
struct MethodOptions: ParsableArguments {
    @Option(help: "Method.") var method = ContinualMethod.confit
    @Option(help: "LwF: weight λ of the distillation loss (FACIL's default 1).") var lwfLambda: Float?
    @Option(help: "LwF: softmax temperature T (FACIL's default 2).") var lwfTemperature: Float?
    @Option(help: "EWC: weight λ of the penalty λ/2·Σ F(θ−θ*)² (FACIL's default 5000).") var ewcLambda: Float?
    @Option(help: "EWC: weight α of earlier tasks' Fisher when merging (FACIL's default 0.5).") var ewcAlpha: Float?

    func validate() throws {
        let given = [("--lwf-lambda", lwfLambda, "lwf"), ("--lwf-temperature", lwfTemperature, "lwf"),
                     ("--ewc-lambda", ewcLambda, "ewc"), ("--ewc-alpha", ewcAlpha, "ewc")]
        for (flag, value, owner) in given where value != nil && method.name != owner {
            throw ValidationError("\(flag) applies to --method \(owner), not \(method.name)")
        }
        if let lwfLambda, !(lwfLambda >= 0 && lwfLambda.isFinite) { throw ValidationError("--lwf-lambda must be finite and ≥ 0") }
        if let lwfTemperature, !(lwfTemperature > 0 && lwfTemperature.isFinite) { throw ValidationError("--lwf-temperature must be positive") }
        if let ewcLambda, !(ewcLambda >= 0 && ewcLambda.isFinite) { throw ValidationError("--ewc-lambda must be finite and ≥ 0") }
        if let ewcAlpha, !(0...1).contains(ewcAlpha) { throw ValidationError("--ewc-alpha must be within 0...1") }
    }

    /// The method with the hyper-parameters given.
    var resolved: ContinualMethod {
        switch method {
        case .lwf(var options):
            options.lambda = lwfLambda ?? options.lambda
            options.temperature = lwfTemperature ?? options.temperature
            return .lwf(options)
        case .ewc(var options):
            options.lambda = ewcLambda ?? options.lambda
            options.alpha = ewcAlpha ?? options.alpha
            return .ewc(options)
        default: return method
        }
    }
}
