import ArgumentParser
import ConFiT
import Foundation

/// `confit export`: one task of a finished (or stopped) run as a small safetensors file —
/// the task's bank (every BN's γ, β, running statistics and every tracker's means) and
/// the classifier rows of its classes — kilobytes instead of a model copy.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one task's bank and classifier rows as a .safetensors file.")

    @Option(name: .customLong("run"), help: "Run folder (with checkpoint.safetensors).") var runFolder: String
    @Option(help: "Task index.") var task: Int
    @Option(help: "Output file.") var out: String

    func run() throws {
        let file = try TaskFile(exporting: task, fromRunIn: URL(fileURLWithPath: runFolder))
        try file.write(to: URL(fileURLWithPath: out))
        say(
            "wrote \(out): task \(task), classes \(file.classes.map(String.init).joined(separator: ",")), \(file.tensorBytes) bytes of tensors"
        )
    }
}
