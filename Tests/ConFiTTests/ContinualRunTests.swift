import ConFiT
import ConFiTData
import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

/// A whole run through the library on a synthetic Split Fashion-MNIST (2 tasks of 2
/// learnable classes, ResNet-18 at 32 px): the files and observer calls, re-evaluation
/// from the checkpoint, and predictions from the run folder and from an exported task.
@Suite struct ContinualRunTests {
    /// Events seen by an observer, in order.
    private final class Recorder: RunObserver {
        var events: [String] = []
        func observe(_ event: RunEvent, of run: ContinualRun) {
            switch event {
            case .started: events.append(run.resumedFrom == nil ? "start" : "resume")
            case .epochFinished(let epoch): events.append("epoch \(epoch.task).\(epoch.epoch)")
            case .taskFinished(let report): events.append("task \(report.task)")
            case .checkpoint: events.append("checkpoint \(run.position)")
            case .finished: events.append("finished")
            case .batchFinished, .stopped: break
            }
        }
    }

    /// One finished run shared by the tests (it takes a few seconds to train).
    private static let finished = Result { try FinishedRun() }

    private struct FinishedRun {
        let workspace: TemporaryDirectory
        let folder: URL
        let metrics: RunMetrics
        let events: [String]
        let config: RunConfiguration

        init() throws {
            workspace = try TemporaryDirectory("confit-run")
            workspace.removeAtExit()  // the static that holds it is never released
            let data = workspace.appending("fashion-mnist")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try SyntheticIDX().write(to: data, trainPerClass: 8, testPerClass: 4)
            var config = try RunConfiguration(preset: .fashionMNIST, root: data.path, model: .resnet18, method: .confit)
            (
                config.training.taskLimit, config.training.epochs, config.training.batchSize,
                config.training.learningRate
            ) = (2, 2, 4, 0.1)
            (config.training.imageSize, config.training.resizeShortSide, config.training.loaderWorkers) = (32, 32, 0)
            folder = workspace.appending("run")
            self.config = config
            let run = try ContinualRun(config, folder: folder)
            let recorder = Recorder()
            run.observers.append(recorder)
            metrics = try run.execute()
            events = recorder.events
        }
    }

    @Test func runWritesItsFilesAndTellsItsObservers() throws {
        let run = try Self.finished.get()
        #expect(
            run.events == [
                "start", "epoch 0.0", "checkpoint task 0, epoch 1, batch 0", "epoch 0.1",
                "checkpoint task 0, epoch 2, batch 0", "task 0", "checkpoint task 1, epoch 0, batch 0",
                "epoch 1.0", "checkpoint task 1, epoch 1, batch 0", "epoch 1.1", "checkpoint task 1, epoch 2, batch 0",
                "task 1", "checkpoint task 2, epoch 0, batch 0", "finished",
            ])
        for file in ["checkpoint.safetensors", "metrics.json", "metrics.csv"] {
            #expect(FileManager.default.fileExists(atPath: run.folder.appendingPathComponent(file).path), "\(file)")
        }
        #expect(try RunFolder(url: run.folder).readMetrics() == run.metrics)
        #expect(run.metrics.accuracy.rows.map(\.count) == [1, 2])
        #expect(
            run.metrics.epochs.map(\.stage) == [.classifierAndNormalization, .all, .classifierAndNormalization, .all],
            "E = 2: epoch 0 < 2 / 2 is stage bn")
        let config = try run.metrics.config.decode(as: RunConfiguration.self)
        #expect(config.classOrder == Array(0..<10))
        #expect(config.tasks == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]])
        #expect(config.classesPerTask == 2)
        #expect(config.threads != nil)
    }

    /// `confit eval`: the resumed run evaluates every task exactly as after its last task.
    @Test func evaluatingFromTheCheckpointReproducesTheLastAccuracyRow() throws {
        let finished = try Self.finished.get()
        let run = try ContinualRun(resuming: finished.folder)
        #expect(run.resumedFrom == TrainingPosition(task: 2, epoch: 0))
        #expect(run.finishedTasks == 2)
        #expect(try run.evaluate().map(\.accuracy) == finished.metrics.accuracy.rows.last)
        #expect(try run.evaluate(tasks: [0]).map(\.accuracy) == [finished.metrics.accuracy[after: 1, task: 0]])
        if let error = #expect(throws: (any Error).self, performing: { try run.evaluate(tasks: [2]) }) {
            #expect("\(error)".contains("tasks 0...1"), "\(error)")
        }
    }

    /// A new run into a folder that holds one is refused and overwrites nothing;
    /// `resumingIfPresent` continues a run of the same configuration and refuses another.
    @Test func aFolderWithARunIsContinuedNeverOverwritten() throws {
        let finished = try Self.finished.get()
        let checkpoint = finished.folder.appendingPathComponent(TrainingCheckpoint.fileName)
        let before = try Data(contentsOf: checkpoint)
        if let error = #expect(
            throws: (any Error).self, performing: { try ContinualRun(finished.config, folder: finished.folder) })
        {
            #expect("\(error)".contains("already holds a run"), "\(error)")
            #expect("\(error)".contains("--resume \(finished.folder.path)"), "\(error)")
        }
        #expect(try Data(contentsOf: checkpoint) == before)
        let same = try ContinualRun.resumingIfPresent(finished.config, folder: finished.folder)
        #expect(same.resumedFrom == TrainingPosition(task: 2, epoch: 0))
        var other = finished.config
        other.training.epochs = 3
        if let error = #expect(
            throws: (any Error).self, performing: { try ContinualRun.resumingIfPresent(other, folder: finished.folder) }
        ) {
            #expect("\(error)".contains("another configuration"), "\(error)")
        }
        let fresh = try TemporaryDirectory("confit-fresh")
        #expect(try ContinualRun.resumingIfPresent(finished.config, folder: fresh.appending("run")).resumedFrom == nil)
    }

    /// A run started with relative paths records them absolute, so that it resumes from
    /// any working directory.
    @Test func aRunStartedWithRelativePathsResumesFromAnotherDirectory() throws {
        let workspace = try TemporaryDirectory("confit-relative")
        try FileManager.default.createDirectory(
            at: workspace.appending("fashion-mnist"), withIntermediateDirectories: true)
        try SyntheticIDX().write(to: workspace.appending("fashion-mnist"), trainPerClass: 4, testPerClass: 2)
        let previous = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        #expect(FileManager.default.changeCurrentDirectoryPath(workspace.path))
        var config = try RunConfiguration(
            preset: .fashionMNIST, root: "fashion-mnist", model: .resnet18, method: .finetune)
        (config.training.taskLimit, config.training.epochs, config.training.batchSize) = (1, 1, 4)
        (config.training.imageSize, config.training.resizeShortSide, config.training.loaderWorkers) = (32, 32, 0)
        let stopped = try ContinualRun(config, folder: URL(fileURLWithPath: "run"))
        stopped.observers = [StopAfterFirstBatch()]
        #expect(throws: (any Error).self) { try stopped.execute() }
        #expect(FileManager.default.changeCurrentDirectoryPath("/"))
        let resumed = try ContinualRun(resuming: workspace.appending("run"))
        #expect(resumed.configuration.root == workspace.appending("fashion-mnist").standardizedFileURL.path)
        #expect(try resumed.execute().accuracy.taskCount == 1)
    }

    /// A run into a folder another run holds refuses to start, naming the holder, and
    /// writes nothing; the lock goes with its holder.
    @Test func secondRunIntoALockedFolderRefusesToStart() throws {
        let finished = try Self.finished.get()
        let folder = RunFolder(url: finished.folder)
        let before = try Data(contentsOf: finished.folder.appendingPathComponent("checkpoint.safetensors"))
        var held: RunFolderLock? = try folder.lock()
        if let error = #expect(
            throws: (any Error).self, performing: { try ContinualRun(resuming: finished.folder).execute() })
        {
            #expect(
                "\(error)" == "\(finished.folder.path) is in use by another run (process \(getpid())); "
                    + "wait for it to stop, or choose another folder")
        }
        #expect(throws: (any Error).self) { try folder.lock() }
        #expect(try Data(contentsOf: finished.folder.appendingPathComponent("checkpoint.safetensors")) == before)
        withExtendedLifetime(held) { held = nil }
        #expect(throws: Never.self, "released with its holder") { try folder.lock() }
    }

    /// Every checkpoint carries a CRC-32 of its contents: a flipped byte anywhere, or a
    /// truncated file, is a clear error that points at the previous checkpoint, which is
    /// kept beside the last and resumes where it stood.
    @Test func damagedCheckpointIsDetectedAndThePreviousOneResumes() throws {
        let finished = try Self.finished.get()
        let original = try Data(contentsOf: finished.folder.appendingPathComponent(TrainingCheckpoint.fileName))
        let previous = try TrainingCheckpoint(
            contentsOf: finished.folder.appendingPathComponent(TrainingCheckpoint.previousFileName))
        #expect(previous.position == TrainingPosition(task: 1, epoch: 2), "the checkpoint before the last one")
        let copy = try TemporaryDirectory("confit-damaged")
        let damaged = copy.appending(TrainingCheckpoint.fileName),
            kept = copy.appending(TrainingCheckpoint.previousFileName)
        try FileManager.default.copyItem(
            at: finished.folder.appendingPathComponent(TrainingCheckpoint.previousFileName), to: kept)
        for offset in [20, original.count / 2, original.count - 1] {
            var bytes = original
            bytes[offset] ^= 0x10
            try bytes.write(to: damaged)
            if let error = #expect(
                throws: (any Error).self, "byte \(offset)", performing: { try ContinualRun(resuming: copy.url) })
            {
                switch error as? ConFiTError {
                case let .damagedCheckpoint(path, _, previous)?:
                    #expect(path == damaged.path)
                    #expect(previous == kept.path)
                    #expect("\(error)".contains("mv \(kept.path) \(damaged.path)"), "\(error)")
                default: Issue.record("byte \(offset): \(error)")
                }
            }
        }
        try original.prefix(original.count - 100).write(to: damaged)
        if let error = #expect(throws: (any Error).self, performing: { try ContinualRun(resuming: copy.url) }) {
            switch error as? ConFiTError {
            case .damagedCheckpoint?: break
            default: Issue.record("truncated: \(error)")
            }
        }
        #expect(rename(kept.path, damaged.path) == 0, "mv \(kept.path) \(damaged.path)")
        #expect(try ContinualRun(resuming: copy.url).position == TrainingPosition(task: 1, epoch: 2))
    }

    /// `confit export` holds the task's bank and classifier rows and says whether to
    /// recover; `predict --bank` with it gives `predict --run`'s probabilities.
    @Test func exportedTaskPredictsAsTheRunDoes() throws {
        let finished = try Self.finished.get()
        let images = ["accordion", "airplanes", "dalmatian", "pizza"].map {
            fixture("caltech/\($0)/image_0001.jpg").path
        }
        let checkpoint = finished.folder.appendingPathComponent("checkpoint.safetensors")
        for (task, recover) in [(0, true), (1, false)] {
            let exported = try TaskFile(exporting: task, fromRunIn: finished.folder)
            #expect(exported.recover == recover, "task \(task) is \(recover ? "older than" : "as new as") the weights")
            #expect(exported.classes == [2 * task, 2 * task + 1])
            #expect(exported.classNames == [["T-shirt/top", "Trouser"], ["Pullover", "Dress"]][task])
            #expect(exported.file.metadata["model"] == "resnet18")
            #expect(try exported.file.tensor("classifier.weight").shape == [2, 512])
            let run = try ContinualRun(resuming: finished.folder)
            let bankNames = run.trainer.banks[task].tensors.map(\.name)
            #expect(exported.file.tensors.map(\.name) == bankNames + ["classifier.weight", "classifier.bias"])
            let file = finished.workspace.appending("task-\(task).safetensors")
            try exported.write(to: file)

            let fromRun = try predictions(ImagePredictor.task(task, of: run), images)
            let fromFile = try predictions(
                ImagePredictor.exported(TaskFile(contentsOf: file), weights: checkpoint), images)
            #expect(fromRun.map(\.names) == fromFile.map(\.names), "task \(task)")
            for (a, b) in zip(fromRun, fromFile) {
                for (p, q) in zip(a.probabilities, b.probabilities) {
                    expectClose(p, q, tolerance: 1e-6, "task \(task)")
                }
            }
        }
        if let error = #expect(
            throws: (any Error).self, performing: { try TaskFile(exporting: 2, fromRunIn: finished.folder) })
        {
            #expect("\(error)".contains("bank.2"), "\(error)")
        }
    }

    private func predictions(
        _ predictor: ImagePredictor, _ images: [String]
    ) throws -> [(names: [String], probabilities: [Float])] {
        var result: [(names: [String], probabilities: [Float])] = []
        let skipped = try predictor.predict(images, top: 2, warn: { Issue.record("\($0)") }) { _, top in
            result.append((top.map { predictor.classNames[$0.classIndex] }, top.map(\.probability)))
        }
        #expect(skipped == 0)
        #expect(result.count == images.count)
        return result
    }
}
