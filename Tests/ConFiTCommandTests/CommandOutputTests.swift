import ConFiTTestSupport
import Foundation
import Testing

/// What the commands print and write, checked on the reference run (2 tasks of the
/// synthetic Split Fashion-MNIST, ResNet-18 at 32 px) and on small inputs made here.
@Suite struct CommandOutputTests {
    private let temporary: TemporaryDirectory

    /// This test's folder (a suite value is made for each test); it exists, empty, when
    /// the test starts, and is removed after it.
    private var directory: URL { temporary.url }

    init() throws { temporary = try TemporaryDirectory("\(Self.self)") }

    private let images = FixtureFiles(Bundle.module)

    private func run(
        _ arguments: [String], program: String = "confit", status: Int32 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ConfitProcess {
        let child = try ConfitProcess.run(arguments, logs: directory, program: program, timeout: 300)
        child.assertExited(with: status, sourceLocation: sourceLocation)
        return child
    }

    private func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    /// `confit eval` prints a(1, i) and A_1 as the run measured them after its last task.
    @Test func evalPrintsTheLastAccuracyRow() throws {
        let reference = try ReferenceRun.shared.get()
        let row = try #require(reference.outputs.accuracyMatrix.last)
        let eval = try run(["eval", "--run", reference.outputs.folder.path])
        #expect(
            lines(eval.standardOutput) == row.enumerated().map {
                String(format: "a(1, %d) = %.4f", $0.offset, $0.element)
            }
                + [String(format: "A_1 = %.4f", row.reduce(0, +) / 2)])
        #expect(
            lines(try run(["eval", "--run", reference.outputs.folder.path, "--task", "0"]).standardOutput) == [
                String(format: "a(1, 0) = %.4f", row[0])
            ])
        #expect(
            try run(["eval", "--run", reference.outputs.folder.path, "--task", "2"], status: 1).standardError
                .contains("tasks 0...1"))
    }

    /// `export` writes the task's bank and classifier rows with its recovery flag, and
    /// `predict --bank` with it prints what `predict --run` prints.
    @Test func predictFromTheRunAndFromAnExportedTaskAgree() throws {
        let reference = try ReferenceRun.shared.get()
        let folder = reference.outputs.folder.path
        let pictures = [images.path("rgb.jpg"), images.path("gray.png")]
        for (task, recover) in [(0, "true"), (1, "false")] {
            let file = directory.appendingPathComponent("task-\(task).safetensors")
            let export = try run(["export", "--run", folder, "--task", "\(task)", "--out", file.path])
            #expect(
                export.standardOutput.hasPrefix(
                    "wrote \(file.path): task \(task), classes \(2 * task),\(2 * task + 1)"), "\(export.transcript)")
            let exported = try RunOutputs.safetensors(at: file)
            #expect(exported.metadata["recover"] == recover)
            #expect(exported.metadata["model"] == "resnet18")
            #expect(
                exported.metadata["class_names"]
                    == [["T-shirt/top", "Trouser"], ["Pullover", "Dress"]][task].joined(separator: "\n"))
            #expect(exported.tensors["classifier.weight"]?.count == 2 * 512 * 4)
            let banked = Set(
                reference.outputs.checkpointTensors.keys.filter { $0.hasPrefix("bank.\(task).") }.map {
                    String($0.dropFirst(7))
                })
            #expect(Set(exported.tensors.keys) == banked.union(["classifier.weight", "classifier.bias"]))
            for name in banked {
                #expect(
                    exported.tensors[name] == reference.outputs.checkpointTensors["bank.\(task).\(name)"], "\(name)")
            }

            let fromRun = try run(["predict", "--run", folder, "--task", "\(task)", "--top", "2"] + pictures)
            let fromFile = try run(
                ["predict", "--weights", "\(folder)/checkpoint.safetensors", "--bank", file.path, "--top", "2"]
                    + pictures)
            #expect(fromRun.standardOutput == fromFile.standardOutput)
            let printed = lines(fromRun.standardOutput).map { $0.split(separator: "\t").map(String.init) }
            #expect(printed.map(\.first) == pictures)
            #expect(printed.allSatisfy { $0.count == 3 }, "\(fromRun.transcript)")
        }
        let broken = try run(
            ["predict", "--run", folder, "--task", "0", images.path("corrupt.jpg"), images.path("rgb.jpg")], status: 1)
        #expect(
            broken.standardError.contains(images.path("corrupt.jpg")) && broken.standardError.contains("1 of 2 images"),
            "\(broken.transcript)")
        #expect(lines(broken.standardOutput).count == 1)
    }

    /// `classify --json`: one object per readable image with its five most probable
    /// classes, most probable first; an unreadable image is named and fails the command.
    @Test func classifyPrintsTopFiveAsJSON() throws {
        let weights = directory.appendingPathComponent("resnet18.safetensors")
        try writeResNet18StateDict(classes: 7, seed: 3, to: weights)
        let pictures = [images.path("rgb.jpg"), images.path("corrupt.jpg"), images.path("gray.png")]
        let child = try run(
            ["classify", "--model", "resnet18", "--weights", weights.path, "--json"] + pictures, status: 1)
        let objects = try lines(child.standardOutput).map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["image"] as? String } == [pictures[0], pictures[2]])
        for object in objects {
            let top = try #require(object["top5"] as? [[String: Any]])
            let classes = top.compactMap { $0["class"] as? Int },
                probabilities = top.compactMap { $0["probability"] as? Double }
            #expect(Set(object.keys) == ["image", "top5"])
            #expect(classes.count == 5)
            #expect(Set(classes).count == 5)
            #expect(classes.allSatisfy { (0..<7).contains($0) })
            #expect(probabilities == probabilities.sorted(by: >))
            #expect(probabilities.reduce(0, +) <= 1 + 1e-5)
        }
        #expect(
            child.standardError.contains("confit classify: ") && child.standardError.contains(pictures[1])
                && child.standardError.contains("1 of 3 images could not be classified"), "\(child.transcript)")
        // The text form ranks the same classes.
        let text = try run(["classify", "--model", "resnet18", "--weights", weights.path, pictures[0]])
        let ranked = lines(text.standardOutput)[0].split(separator: "\t").dropFirst().map {
            Int($0.split(separator: " ")[0])
        }
        #expect(ranked == (objects[0]["top5"] as? [[String: Any]])?.map { $0["class"] as? Int })
        // Weights of another network fail before any image is read, saying so.
        let wrong = try run(
            ["classify", "--model", "efficientnet_lite0", "--weights", weights.path, pictures[0]], status: 1)
        #expect(
            wrong.standardError.contains("_fc.weight") && wrong.standardError.contains("look like: resnet18"),
            "\(wrong.transcript)")
    }

    /// `confit inspect`: ResNet-18 for 7 classes has torchvision's 11,689,512 parameters
    /// less 993 classes × 513 = 11,180,103, and 2 × 4,800 BN running statistics (BN widths
    /// 64 + 4·64 + 5·128 + 5·256 + 5·512).
    @Test func inspectCountsParametersAndNamesTheArchitecture() throws {
        let weights = directory.appendingPathComponent("resnet18.safetensors")
        try writeResNet18StateDict(classes: 7, seed: 3, to: weights)
        let printed = lines(try run(["inspect", weights.path]).standardOutput)
        #expect(Array(printed.prefix(3)) == ["file: \(weights.path)", "format: safetensors", "tensors: 102"])
        #expect(
            Array(printed.suffix(2)) == [
                "parameters: 11180103 (plus 9600 in BatchNorm running statistics)",
                "architecture: resnet18",
            ])
    }

    @Test func dataInspectCountsTheDataset() throws {
        let reference = try ReferenceRun.shared.get()
        let root = reference.workspace.appendingPathComponent("fashion-mnist").path
        let inspect = try run(["data", "inspect", "--dataset", "fashion-mnist", "--root", root, "--classes"])
        let printed = lines(inspect.standardOutput)
        #expect(
            Array(printed.prefix(7)) == [
                "dataset: fashion-mnist", "root: \(root)", "classes: 10", "train images: 16",
                "test images: 16", "total images: 32", "skipped files: 0",
            ])
        #expect(printed[7] == "  0 T-shirt/top: 4 train, 4 test")
        #expect(printed[11] == "  4 Coat: 0 train, 0 test")
    }

    /// `data inspect --preset` prints the protocol: from the embedded file alone, and with
    /// the data, each task's images and first class names (4 images per split of classes 0–3);
    /// E = 5 epochs: [0, E/5) = epoch 0 classifier, [1, E/2 = 2) BN, then all.
    @Test func dataInspectPrintsThePresetsProtocol() throws {
        let embedded = lines(try run(["data", "inspect", "--preset", "fashion-mnist"]).standardOutput)
        #expect(
            embedded == [
                "preset: fashion-mnist",
                "protocol: 5 tasks of 2 classes (10 of 10 classes trained), 5 epochs per task, batch size 32 "
                    + "(last partial batch dropped)",
                "confit's stages by epoch: fc bn full full full", "split: standard (the protocol's)",
                "task 0: class ids 0, 1", "task 1: class ids 2, 3", "task 2: class ids 4, 5", "task 3: class ids 6, 7",
                "task 4: class ids 8, 9",
            ])
        let root = try ReferenceRun.shared.get().workspace.appendingPathComponent("fashion-mnist").path
        let printed = lines(try run(["data", "inspect", "--preset", "fashion-mnist", "--root", root]).standardOutput)
        #expect(printed.first == "dataset: fashion-mnist")
        #expect(
            Array(printed.suffix(5)) == [
                "task 0: 8 train, 8 test images; classes T-shirt/top, Trouser",
                "task 1: 8 train, 8 test images; classes Pullover, Dress",
                "task 2: 0 train, 0 test images; classes Coat, Sandal",
                "task 3: 0 train, 0 test images; classes Shirt, Sneaker",
                "task 4: 0 train, 0 test images; classes Bag, Ankle boot",
            ])
    }

    /// `--split-file` for a class-per-folder dataset: `data inspect --preset` shows its
    /// counts, `train` records it and trains on it; a file naming a missing image stops
    /// `train` before anything is written.
    @Test func splitFileIsAppliedByInspectAndTrain() throws {
        let root = directory.appendingPathComponent("folder")
        for name in ["a", "b", "c", "d"] {
            let classFolder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
            for k in 0..<3 {
                try FileManager.default.copyItem(
                    at: try images.url("rgb.jpg"), to: classFolder.appendingPathComponent("\(k).jpg"))
            }
        }
        let split = directory.appendingPathComponent("split.json")
        try Data(#"{"classes": ["a", "b", "c", "d"], "test": ["a/0.jpg", "b/2.jpg", "c/1.jpg", "d/0.jpg"]}"#.utf8)
            .write(to: split)
        let protocolLines = lines(
            try run([
                "data", "inspect", "--preset", "fashion-mnist", "--dataset", "folder", "--root", root.path,
                "--split-file", split.path,
            ]).standardOutput)
        #expect(protocolLines.contains("test images: 4"), "\(protocolLines)")
        #expect(protocolLines.contains("split: file \(split.path)"), "\(protocolLines)")
        #expect(protocolLines.contains("task 0: 4 train, 2 test images; classes a, b"), "\(protocolLines)")

        let common = [
            "train", "--preset", "fashion-mnist", "--dataset", "folder", "--root", root.path, "--model", "resnet18",
            "--tasks", "1", "--epochs", "1", "--batch-size", "2", "--image-size", "32", "--threads", "1", "--quiet",
        ]
        let out = directory.appendingPathComponent("split-run")
        _ = try run(common + ["--split-file", split.path, "--out", out.path])
        let metrics = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json")))
                as? [String: Any])
        let config = try #require(metrics["config"] as? [String: Any])
        #expect((config["split"] as? [String: String]) == ["kind": "file", "path": split.path])
        #expect((metrics["epochs"] as? [[String: Any]])?.count == 1)

        let bad = directory.appendingPathComponent("bad-split.json")
        try Data(#"{"test": ["a/7.jpg"]}"#.utf8).write(to: bad)
        let badOut = directory.appendingPathComponent("bad-split-run")
        let refused = try run(common + ["--split-file", bad.path, "--out", badOut.path], status: 1)
        #expect(refused.standardError.contains("test image a/7.jpg is not in the dataset"), "\(refused.transcript)")
        #expect(!FileManager.default.fileExists(atPath: badOut.path))
    }

    /// `--log-format json` reports every epoch and task as one object per line, with the
    /// class order given; `--quiet` prints nothing and still writes the run.
    @Test func logFormatsAndClassOrder() throws {
        let reference = try ReferenceRun.shared.get()
        let root = reference.workspace.appendingPathComponent("fashion-mnist").path
        let common = [
            "train", "--preset", "fashion-mnist", "--root", root, "--model", "resnet18", "--tasks", "1", "--epochs",
            "2",
            "--batch-size", "4", "--image-size", "32", "--threads", "1",
        ]
        let json = try run(
            common + [
                "--class-order", "3,1,0,2,4,5,6,7,8,9", "--log-format", "json",
                "--out", directory.appendingPathComponent("json").path,
            ])
        #expect(
            json.events.compactMap { $0["event"] as? String } == ["start", "epoch", "epoch", "task", "finished"],
            "\(json.transcript)")
        #expect(lines(json.standardOutput).count == 5, "nothing but the events")
        #expect((json.events[0]["tasks"] as? Int) == 1)
        // The machine's choices: --threads 1, and the defaults of one decoding worker and 4 GiB.
        #expect(json.events[0]["threads"] as? Int == 1 && json.events[0]["workers"] as? Int == 1)
        #expect(json.events[0]["cache_bytes"] as? Int == 4 << 30)
        #expect((json.events[1]["stage"] as? String) == "bn")
        let metrics = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("json/metrics.json")))
                as? [String: Any])
        let config = try #require(metrics["config"] as? [String: Any])
        #expect((config["classOrder"] as? [Int]) == [3, 1, 0, 2, 4, 5, 6, 7, 8, 9])
        #expect((config["tasks"] as? [[Int]])?.first == [3, 1])

        let quiet = try run(common + ["--quiet", "--out", directory.appendingPathComponent("quiet").path])
        #expect(quiet.standardOutput == "")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("quiet/metrics.json").path))
    }

    /// `confit train` of two one-epoch tasks at 32 px on the reference run's Fashion-MNIST,
    /// quietly: a method and `--out` to add.
    private func smallTraining() throws -> [String] {
        let root = try ReferenceRun.shared.get().workspace.appendingPathComponent("fashion-mnist").path
        return [
            "train", "--preset", "fashion-mnist", "--root", root, "--model", "resnet18", "--tasks", "2", "--epochs",
            "1",
            "--batch-size", "4", "--image-size", "32", "--threads", "1", "--quiet",
        ]
    }

    /// `--method lwf` with its hyper-parameters: recorded in the run's configuration, the
    /// run resumable as that method; a hyper-parameter of another method is refused, and so
    /// is exporting a task of a method that stores nothing per task.
    @Test func methodHyperParametersAreRecordedAndCheckedAgainstTheMethod() throws {
        let common = try smallTraining()
        let out = directory.appendingPathComponent("lwf")
        _ = try run(common + ["--method", "lwf", "--lwf-lambda", "0.5", "--lwf-temperature", "3", "--out", out.path])
        let metrics = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json")))
                as? [String: Any])
        let method = try #require((metrics["config"] as? [String: Any])?["method"] as? [String: Any])
        #expect((method["name"] as? String) == "lwf")
        #expect((method["lambda"] as? Double) == 0.5)
        #expect((method["temperature"] as? Double) == 3)
        #expect((metrics["bank_bytes_per_task"] as? [Int]) == [0, 0])

        let refused = try run(
            common + ["--method", "lwf", "--ewc-alpha", "0.3", "--out", directory.appendingPathComponent("x").path],
            status: 64)
        #expect(
            refused.standardError.contains("--ewc-alpha applies to --method ewc, not lwf"), "\(refused.standardError)")
        #expect(
            try run(common + ["--method", "ewc", "--ewc-alpha", "2", "--out", "x"], status: 64)
                .standardError.contains("EWC's α must be within 0...1, not 2"))
        for (arguments, message) in [
            (["--method", "confit", "--packnet-train-bn"], "--packnet-train-bn applies to --method packnet"),
            (["--method", "packnet", "--piggyback-lr", "1e-3"], "--piggyback-lr applies to --method piggyback"),
            (
                ["--method", "packnet", "--packnet-prune", "1.5"],
                "PackNet's pruned fraction must be within (0, 1), not 1.5"
            ),
        ] {
            let child = try run(common + arguments + ["--out", "x"], status: 64)
            #expect(child.standardError.contains(message), "\(child.standardError)")
        }
        let export = try run(
            [
                "export", "--run", out.path, "--task", "0", "--out",
                directory.appendingPathComponent("t.safetensors").path,
            ],
            status: 1)
        #expect(export.standardError.contains("lwf stores nothing per task"), "\(export.standardError)")
    }

    /// A frozen-feature method through the commands: trains no epoch, records its
    /// task-agnostic matrix, which `eval --task-agnostic` prints again; its exported task
    /// predicts as the run does; RanPAC's width and the prototype head are checked first.
    @Test func frozenFeatureMethodThroughTheCommands() throws {
        let common = try smallTraining()
        let out = directory.appendingPathComponent("simplecil")
        _ = try run(common + ["--method", "simplecil", "--out", out.path])
        let metrics = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json")))
                as? [String: Any])
        #expect(
            (metrics["bank_bytes_per_task"] as? [Int]) == [2 * 512 * 4, 2 * 512 * 4], "two classes' prototypes a task")
        #expect((metrics["epochs"] as? [Any])?.count == 0)
        let agnostic = try #require((metrics["task_agnostic"] as? [String: Any])?["accuracy_matrix"] as? [[Double]])
        #expect(agnostic.count == 2)
        let eval = try run(["eval", "--run", out.path, "--task-agnostic"])
        #expect(
            lines(eval.standardOutput).contains(String(format: "task-agnostic a(1, 0) = %.4f", agnostic[1][0])),
            "\(eval.transcript)")
        #expect(
            lines(eval.standardOutput).contains(String(format: "task-agnostic a(1, 1) = %.4f", agnostic[1][1])),
            "\(eval.transcript)")

        let file = directory.appendingPathComponent("task-1.safetensors")
        _ = try run(["export", "--run", out.path, "--task", "1", "--out", file.path])
        #expect(try RunOutputs.safetensors(at: file).tensors["prototypes"]?.count == 2 * 512 * 4)
        let pictures = [images.path("rgb.jpg"), images.path("gray.png")]
        let fromRun = try run(["predict", "--run", out.path, "--task", "1", "--top", "2"] + pictures)
        let fromFile = try run(
            [
                "predict", "--weights", out.appendingPathComponent("checkpoint.safetensors").path, "--bank", file.path,
                "--top", "2",
            ] + pictures)
        #expect(fromRun.standardOutput == fromFile.standardOutput)

        let negative = try run(common + ["--method", "ranpac", "--ranpac-dim=-1", "--out", "x"], status: 64)
        #expect(negative.standardError.contains("must be ≥ 0"), "\(negative.standardError)")
        let wide = directory.appendingPathComponent("wide")
        let refused = try run(
            common + ["--method", "ranpac", "--ranpac-dim", "2000000", "--out", wide.path], status: 1)
        #expect(refused.standardError.contains("RanPAC with M = 2000000 needs about"), "\(refused.standardError)")
        let prototypes = try run(
            common + ["--method", "finetune", "--head", "prototypes", "--out", wide.path], status: 1)
        #expect(
            prototypes.standardError.contains("the prototype head is for the bank methods"),
            "\(prototypes.standardError)")
        #expect(!FileManager.default.fileExists(atPath: wide.path), "nothing written for a refused run")
    }

    /// `confit report` names the runs and prints their numbers.
    @Test func reportHoldsTheRunsNumbers() throws {
        let reference = try ReferenceRun.shared.get()
        let out = directory.appendingPathComponent("report.html")
        let report = try run(["report", reference.outputs.folder.path, "--out", out.path])
        #expect(report.standardOutput == "wrote \(out.path) (1 run)\n")
        let html = try String(contentsOf: out, encoding: .utf8)
        let final = try #require(reference.outputs.accuracyMatrix.last).reduce(0, +) / 2
        #expect(
            html.contains(
                "<td>uninterrupted</td><td>confit</td><td>2</td><td>\(String(format: "%.2f", final * 100))</td>"))
        #expect(html.contains("<svg"))
    }

    @Test func benchPrintsItsJSONAndRefusesUnknownChoices() throws {
        let bench = try run([
            "bench", "--model", "resnet18", "--image-size", "32", "--batch", "2", "--steps", "1", "--warmup", "0",
            "--stages", "eval,fc", "--threads", "1", "--layout", "nhwc",
        ])
        let json = try #require(JSONSerialization.jsonObject(with: Data(bench.standardOutput.utf8)) as? [String: Any])
        #expect(
            Set(json.keys) == [
                "model", "image_size", "batch", "threads", "onednn_version", "cpu_isa", "layout",
                "forward_gflop_per_image", "winograd", "trackers", "eval_img_s", "eval_gflop_s",
                "train_fc_img_s", "train_fc_gflop_s", "peak_rss_mb", "processes", "gradient_bytes",
                "precision",
            ])
        #expect((json["precision"] as? String) == "float32")
        #expect((json["processes"] as? Int) == 1, "not under mpirun")
        #expect((json["layout"] as? String) == "nhwc")
        #expect(try run(["bench", "--stages", "eval,warp"], status: 64).standardError.contains("warp"))
        #expect(try run(["bench", "--layout", "native"], status: 64).standardError.contains("nChw16c"))
        #expect(
            try run(["train", "--preset", "fashion-mnist", "--root", "/", "--out", "x", "--model", "vgg"], status: 64)
                .standardError.contains("resnet18"))
    }

    @Test func version() throws {
        #expect(try run(["--version"]).standardOutput == "0.2.0\n")
    }

    /// The README's library example trains two tasks with the library alone.
    @Test func twoTaskExampleRunsTwoTasks() throws {
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try SyntheticIDX().write(to: data, trainPerClass: 16, testPerClass: 8)
        let out = directory.appendingPathComponent("example")
        let example = try run([data.path, out.path], program: "TwoTaskExample")
        let printed = lines(example.standardOutput)
        #expect(printed.count == 3, "\(example.transcript)")
        #expect(
            printed[0].hasPrefix("after task 0: ") && printed[1].hasPrefix("after task 1: "), "\(example.transcript)")
        #expect(try RunOutputs(out).accuracyMatrix.map(\.count) == [1, 2])
    }
}
