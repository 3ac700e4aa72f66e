import ConFiTTestSupport
import Foundation
import Testing

/// Wrong paths and broken files end `confit` with an error that names the path and a
/// non-zero status, never a crash (a Swift trap dies by a signal and prints "Fatal error").
@Suite struct BadInputTests {
    private let temporary: TemporaryDirectory

    /// This test's folder (a suite value is made for each test); it exists, empty, when
    /// the test starts, and is removed after it.
    private var directory: URL { temporary.url }

    init() throws { temporary = try TemporaryDirectory("\(Self.self)") }

    private var folder: URL { directory }

    @Test func trainWithMissingDatasetRoot() throws {
        let missing = folder.appendingPathComponent("no-such-dataset").path
        let out = folder.appendingPathComponent("run")
        try assertCleanFailure(
            ["train", "--preset", "fashion-mnist", "--root", missing, "--model", "resnet18", "--out", out.path],
            naming: missing)
        #expect(
            !FileManager.default.fileExists(atPath: out.path), "a run folder was created for a run that never started")
    }

    @Test func inspectGarbageAndTruncatedFiles() throws {
        let garbage = folder.appendingPathComponent("garbage.safetensors")
        try Data((0..<256).map { UInt8(($0 * 37 + 11) % 256) }).write(to: garbage)
        try assertCleanFailure(["inspect", garbage.path], naming: garbage.path)

        // A valid header whose tensor data is cut short.
        let header = Data(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8)
        let truncated = folder.appendingPathComponent("truncated.safetensors")
        try (Data((0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) }) + header + Data(count: 10))
            .write(to: truncated)
        try assertCleanFailure(["inspect", truncated.path], naming: truncated.path)

        try assertCleanFailure(
            ["inspect", folder.appendingPathComponent("absent.pth").path],
            naming: folder.appendingPathComponent("absent.pth").path)
    }

    @Test func resumeWithoutCheckpoint() throws {
        let empty = folder.appendingPathComponent("empty-run")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try assertCleanFailure(["train", "--resume", empty.path], naming: empty.path)

        // A checkpoint torn by something other than confit's atomic writes.
        try Data(repeating: 0x7B, count: 100).write(to: empty.appendingPathComponent("checkpoint.safetensors"))
        try assertCleanFailure(["train", "--resume", empty.path], naming: empty.path)
    }

    /// `--resume` continues the run as it was configured: an option that would change it is
    /// refused, naming each; the machine's own choices (threads, workers, cache, log) are accepted.
    @Test func resumeRefusesOptionsThatWouldChangeTheRun() throws {
        let reference = folder.appendingPathComponent("reference").path
        try FileManager.default.copyItem(atPath: try ReferenceRun.shared.get().outputs.folder.path, toPath: reference)
        let refused = try ConfitProcess.run(
            [
                "train", "--resume", reference, "--lr", "0.5", "--method", "finetune", "--seed", "3",
                "--ewc-lambda", "1", "--ewc-alpha", "0.2",
            ], logs: folder, timeout: 60)
        refused.assertExited(with: 64)
        #expect(
            refused.standardError.contains("--lr, --method, --seed, --ewc-lambda, --ewc-alpha would change it"),
            "\(refused.standardError)")
        #expect(!refused.standardOutput.contains("resuming"), "\(refused.transcript)")
        let accepted = try ConfitProcess.run(
            ["train", "--resume", reference, "--threads", "1", "--workers", "2", "--cache-size", "64M", "--quiet"],
            logs: folder, timeout: 120)
        accepted.assertExited(with: 0)
    }

    /// Every command that computes takes `--threads N`, as the README promises.
    @Test func everyComputingCommandTakesThreads() throws {
        for command in ["train", "sweep", "eval", "predict", "serve", "classify", "bench", "demo"] {
            let help = try ConfitProcess.run([command, "--help"], logs: folder, timeout: 60)
            help.assertExited(with: 0)
            #expect(
                help.standardOutput.contains("--threads <threads>"), "confit \(command) --help:\n\(help.standardOutput)"
            )
        }
    }

    /// Each bad configuration stops before any training with the message the README's
    /// table gives, and leaves no run folder behind.
    @Test func badConfigurationsAreRefusedBeforeAnyWork() throws {
        let data = folder.appendingPathComponent("fashion-mnist")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try SyntheticIDX().write(to: data, trainPerClass: 4, testPerClass: 2)
        // EfficientNet-Lite0 builds in half ResNet-18's time in a debug binary, and the
        // refusals run side by side (each into its own folder): a minute less of the suite.
        let common = [
            "train", "--preset", "fashion-mnist", "--root", data.path, "--model", "efficientnet_lite0", "--image-size",
            "32",
            "--threads", "1",
        ]
        let cases: [([String], String)] = [
            (["--class-order", "0,1,2,12"], "class order: 12 is not a class of fashion-mnist, whose ids are 0..<10"),
            (["--class-order", "0,1,1,2"], "class order: class 1 is listed twice"),
            (
                ["--class-order", "0,1,2"],
                "--class-order lists 3 classes, which do not divide into tasks of 2 (--classes-per-task)"
            ),
            (["--tasks", "7"], "--tasks 7: the scenario has 5 tasks"),
            (
                ["--batch-size", "16"],
                "task 0 has 8 training images, fewer than the batch size 16: the last partial batch is "
                    + "dropped, so it would train nothing (lower --batch-size, or use more images per class)"
            ),
            (["--lr=-0.1"], "the learning rate must be positive and finite, not -0.1"),
            (["--lr=nan"], "the learning rate must be positive and finite, not nan"),
            (
                ["--image-size", "0"],
                "image size 0 (short side resized to 0): the crop must be positive and no larger than the resized side"
            ),
            (["--cache-size", "4X"], "The value '4X' is invalid for '--cache-size <size>'"),
            (["--cache-size=-1"], "The value '-1' is invalid for '--cache-size <size>'"),
        ]
        let outs = cases.indices.map { folder.appendingPathComponent("run-\($0)") }
        let children = try zip(cases, outs).map { try ConfitProcess(common + $0.0 + ["--out", $1.path], logs: folder) }
        for ((extra, message), (child, out)) in zip(cases, zip(children, outs)) {
            try child.waitForExit(timeout: 120)
            #expect(child.terminationReason == .exit, "\(child.transcript)")
            #expect(child.terminationStatus != 0, "\(child.transcript)")
            #expect(child.standardError.contains(message), "\(extra): \(child.transcript)")
            #expect(
                !FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.safetensors").path),
                "\(extra)")
        }
        // Without --weights the run trains, but says loudly that nothing is pre-trained.
        let unweighted = try ConfitProcess.run(
            common + [
                "--tasks", "1", "--epochs", "1", "--batch-size", "4", "--quiet",
                "--out", folder.appendingPathComponent("unweighted").path,
            ], logs: folder)
        #expect(unweighted.terminationStatus == 0, "\(unweighted.transcript)")
        #expect(
            unweighted.standardError.contains(
                "warning: no --weights: training a randomly initialised efficientnet_lite0"), "\(unweighted.transcript)"
        )
        // Weights of another network, and a dataset folder without images.
        let weights = folder.appendingPathComponent("resnet.safetensors")
        try writeResNet18StateDict(classes: 10, seed: 1, to: weights)
        try assertCleanFailure(
            [
                "train", "--preset", "fashion-mnist", "--root", data.path, "--model", "efficientnet_lite0",
                "--weights", weights.path, "--out", folder.appendingPathComponent("other").path,
            ], naming: weights.path)
        let empty = folder.appendingPathComponent("empty-images")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try assertCleanFailure(
            [
                "train", "--preset", "caltech101", "--dataset", "folder", "--root", empty.path,
                "--out", folder.appendingPathComponent("empty-run").path,
            ], naming: empty.path)
    }

    /// Runs `confit arguments...` and asserts it failed cleanly with `path` on stderr.
    private func assertCleanFailure(
        _ arguments: [String], naming path: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let child = try ConfitProcess.run(arguments, logs: folder, timeout: 60)
        #expect(
            child.terminationReason == .exit, "killed by signal \(child.terminationStatus)\n\(child.transcript)",
            sourceLocation: sourceLocation)
        #expect(child.terminationStatus != 0, "\(child.transcript)", sourceLocation: sourceLocation)
        #expect(
            child.standardError.contains(path), "stderr does not name \(path)\n\(child.transcript)",
            sourceLocation: sourceLocation)
        #expect(!child.standardError.contains("Fatal error"), "\(child.transcript)", sourceLocation: sourceLocation)
    }
}
