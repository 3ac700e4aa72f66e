import ArgumentParser
import ConFiTEngine

/// `--precision`, shared by every command that computes.
struct PrecisionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Activations' element type: float32, or bf16 — mixed precision, with float32 weights, updates, BN statistics, "
                + "trackers, classifier and loss (needs AVX512-BF16 or AMX).", valueName: "precision"))
    var precision: DataType?
}
