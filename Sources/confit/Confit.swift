import ArgumentParser
import ConFiT

/// The `confit` command: continual fine-tuning of pre-trained CNNs.
@main
struct Confit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confit",
        abstract: "Continual fine-tuning of pre-trained CNNs (ConFiT, CVPR-W 2022) on oneDNN.",
        version: SoftwareVersions.confitVersion,
        subcommands: [
            Demo.self, Train.self, Sweep.self, Eval.self, Predict.self, Export.self, Serve.self, Bench.self,
            Inspect.self, Classify.self,
            DataCommand.self, BenchLoader.self, Report.self,
        ])
}
