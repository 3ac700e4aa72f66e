import ConFiTTestSupport
import Foundation

/// A temporary folder with the synthetic dataset and one uninterrupted `confit train` run
/// over it, made once and shared by the tests that stop and resume the same command.
struct ReferenceRun: Sendable {
    /// Images per class: 8 per task make 2 batches of 4 per epoch, enough to stop between
    /// batches; a debug build runs the whole thing in about 15 s on 2 busy cores, half of
    /// it initialising ResNet-18.
    static let (trainPerClass, testPerClass) = (4, 4)

    private let temporary: TemporaryDirectory
    let workspace: URL
    let outputs: RunOutputs

    var logs: URL { workspace.appendingPathComponent("logs") }

    static let shared = Result { try ReferenceRun() }

    private init() throws {
        temporary = try TemporaryDirectory("confit-command")
        workspace = temporary.url
        // Kept for every suite that uses it, removed when the whole test run ends.
        temporary.removeAtExit()
        let (data, logs) = (workspace.appendingPathComponent("fashion-mnist"), workspace.appendingPathComponent("logs"))
        for folder in [data, logs] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try SyntheticIDX().write(to: data, trainPerClass: Self.trainPerClass, testPerClass: Self.testPerClass)
        let out = workspace.appendingPathComponent("uninterrupted")
        let run = try ConfitProcess.run(Self.trainArguments(workspace: workspace, out: out), logs: logs)
        guard run.terminationReason == .exit, run.terminationStatus == 0 else {
            throw ConfitProcess.Failure(description: "the uninterrupted run failed\n\(run.transcript)")
        }
        outputs = try RunOutputs(out)
    }

    /// `confit train` for a new run into `out`: 2 tasks of 2 classes, 2 epochs each (the
    /// BN stage, then all parameters), fixed seed and thread count; lr 0.1 so that so few
    /// steps move the weights far enough to change predictions.
    func trainArguments(out: URL) -> [String] { Self.trainArguments(workspace: workspace, out: out) }

    private static func trainArguments(workspace: URL, out: URL) -> [String] {
        [
            "train", "--preset", "fashion-mnist", "--root", workspace.appendingPathComponent("fashion-mnist").path,
            "--model", "resnet18", "--method", "confit", "--tasks", "2", "--epochs", "2", "--batch-size", "4",
            "--image-size", "32", "--train-images-per-class", "\(trainPerClass)", "--test-images-per-class",
            "\(testPerClass)",
            "--lr", "0.1", "--threads", "2", "--seed", "0", "--log-format", "json", "--out", out.path,
        ]
    }

    /// `confit train --resume` of the run in `out`.
    static func resumeArguments(_ out: URL) -> [String] { ["train", "--resume", out.path, "--log-format", "json"] }
}
