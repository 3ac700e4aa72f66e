import Foundation
import Testing

/// `confit train` stopped the hard way (SIGKILL, at two different points) and the polite
/// way (SIGINT), then resumed with `--resume`, ends exactly where the same command run
/// without interruption does: the same accuracy matrix, the same loss per epoch and, bit
/// for bit, the same final weights, trackers and task banks (README: runs are
/// deterministic for a given seed and thread count).
@Suite struct StopAndResumeTests {
    @Test func runKilledTwiceResumesToTheUninterruptedResults() throws {
        let reference = try ReferenceRun.shared.get()
        let out = reference.workspace.appendingPathComponent("killed")
        let checkpoint = out.appendingPathComponent("checkpoint.safetensors").path

        // In task 0's second epoch: the moment the first checkpoint (written after epoch 0)
        // exists, and long before the second (an epoch takes seconds).
        let first = try ConfitProcess(reference.trainArguments(out: out), logs: reference.logs)
        try first.wait(until: "a first checkpoint") { FileManager.default.fileExists(atPath: checkpoint) }
        try first.interrupt(with: SIGKILL)
        assertKilled(first)
        let firstSaved = try checkpointPosition(out)
        #expect(firstSaved.prefix(2) == [0, 1], "the kill did not land in task 0's second epoch\n\(first.transcript)")

        // The moment task 1's first epoch is reported, i.e. while its checkpoint is written.
        let second = try ConfitProcess(ReferenceRun.resumeArguments(out), logs: reference.logs)
        try second.waitForEvent("task 1's first epoch") {
            $0["event"] as? String == "epoch" && $0["task"] as? Int == 1 && $0["epoch"] as? Int == 0
        }
        try second.interrupt(with: SIGKILL)
        assertKilled(second)
        #expect(try resumePosition(second) == firstSaved, "\(second.transcript)")
        let secondSaved = try checkpointPosition(out)
        #expect(secondSaved.first == 1, "the second kill did not land in task 1\n\(second.transcript)")

        try resumeToTheEnd(out, from: secondSaved, reference)
    }

    @Test func interruptFinishesTheBatchCheckpointsAndSaysHowToResume() throws {
        try assertStopsPolitely(on: SIGINT, status: 130)
    }

    /// SIGTERM, what schedulers send before they kill a job, is handled like Ctrl-C.
    @Test func terminationIsHandledLikeAnInterrupt() throws {
        try assertStopsPolitely(on: SIGTERM, status: 143)
    }

    private func assertStopsPolitely(on signal: Int32, status: Int32) throws {
        let reference = try ReferenceRun.shared.get()
        let out = reference.workspace.appendingPathComponent("interrupted-\(signal)")
        let run = try ConfitProcess(reference.trainArguments(out: out), logs: reference.logs)
        try run.waitForEvent("task 0's first epoch") { $0["event"] as? String == "epoch" }
        try run.interrupt(with: signal)
        run.assertExited(with: status)
        #expect(run.standardOutput.contains("confit train --resume \(out.path)"), "\(run.transcript)")
        #expect(run.standardError.contains("interrupted"), "\(run.transcript)")

        // Stopped between batches of an epoch, not at the epoch's checkpoint.
        let stoppedAt = try checkpointPosition(out)
        #expect(stoppedAt[2] > 0, "the checkpoint is not mid-epoch: \(stoppedAt)\n\(run.transcript)")
        #expect(try RunOutputs.checkpoint(in: out).metadata["epoch_progress"] != nil, "no totals of the stopped epoch")
        let interrupted = try #require(
            run.events.first { $0["event"] as? String == "interrupted" }, "\(run.transcript)")
        #expect((interrupted["resume"] as? String) == "confit train --resume \(out.path)")

        // The checkpoint carried the stopped epoch's totals, so its mean loss comes out whole.
        // Resumed without the image cache (SIGTERM) or with one too small for a single image
        // (SIGINT): the cache changes no result.
        let (cacheSize, bytes) = signal == SIGTERM ? ("0", 0) : ("1K", 1024)
        let resumed = try resumeToTheEnd(out, from: stoppedAt, reference, with: ["--cache-size", cacheSize])
        let event = resumed.events.first { $0["event"] as? String == "resume" }
        #expect(event?["cache_bytes"] as? Int == bytes, "\(resumed.transcript)")

    }

    /// `--configuration` continues a stopped run in the folder that holds it, with the
    /// machine's choices given: here 1 thread, where the run started with 2.
    @Test func configurationContinuesAStoppedRunWithTheThreadsGiven() throws {
        let reference = try ReferenceRun.shared.get()
        let out = reference.workspace.appendingPathComponent("continued")
        let run = try ConfitProcess(reference.trainArguments(out: out), logs: reference.logs)
        try run.waitForEvent("task 0's first epoch") { $0["event"] as? String == "epoch" }
        try run.interrupt(with: SIGINT)
        run.assertExited(with: 130)
        let continued = try ConfitProcess.run(
            [
                "train", "--configuration", out.appendingPathComponent("metrics.json").path, "--out", out.path,
                "--threads", "1", "--log-format", "json",
            ], logs: reference.logs)
        continued.assertExited(with: 0)
        let event = continued.events.first { $0["event"] as? String == "resume" }
        #expect(event?["threads"] as? Int == 1, "\(continued.transcript)")
    }

    /// A write that fails (here a file-size limit, as a full disk would) stops the run with
    /// the file and the reason named, leaves the last good checkpoint intact, and `--resume`
    /// continues from it to the uninterrupted run's results.
    @Test func failedCheckpointWriteKeepsTheLastGoodOneAndResumes() throws {
        let reference = try ReferenceRun.shared.get()
        // Checkpoints grow by a task bank after each task and by a few hundred bytes of
        // metrics per epoch: a limit of half a bank above the checkpoint before the last
        // lets task 0's epoch checkpoints through and stops the one after task 0's bank.
        let folder = reference.outputs.folder
        func size(_ name: String) throws -> Int {
            try #require(
                FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.size] as? Int)
        }
        let (last, previous) = (try size("checkpoint.safetensors"), try size("checkpoint.previous.safetensors"))
        let limit = (previous - (last - previous) / 2) / 1024
        let out = reference.workspace.appendingPathComponent("disk-full")
        let run = try ConfitProcess(reference.trainArguments(out: out), logs: reference.logs, fileSizeLimit: limit)
        try run.waitForExit()
        run.assertExited(with: 1)
        let checkpoint = out.appendingPathComponent("checkpoint.safetensors").path
        #expect(run.standardError.contains("cannot write \(checkpoint): File too large"), "\(run.transcript)")
        #expect(try checkpointPosition(out) == [0, 2, 0], "the last checkpoint written whole\n\(run.transcript)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers == [], "no temporary files left behind")
        try resumeToTheEnd(out, from: [0, 2, 0], reference)
    }

    /// Resumes the run in `out`, which must continue at `position` and end with the
    /// uninterrupted run's losses per epoch, accuracy matrix and checkpoint.
    @discardableResult
    private func resumeToTheEnd(
        _ out: URL, from position: [Int], _ reference: ReferenceRun, with options: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ConfitProcess {
        let resumed = try ConfitProcess.run(ReferenceRun.resumeArguments(out) + options, logs: reference.logs)
        resumed.assertExited(with: 0)
        #expect(try resumePosition(resumed) == position, "\(resumed.transcript)", sourceLocation: sourceLocation)
        let outputs = try RunOutputs(out)
        #expect(
            outputs.epochLosses == reference.outputs.epochLosses, "mean loss per epoch ([task, epoch, loss])",
            sourceLocation: sourceLocation)
        assertSameModel(outputs, reference.outputs, sourceLocation: sourceLocation)
        return resumed
    }

    private func assertKilled(_ child: ConfitProcess, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            child.terminationReason == .uncaughtSignal, "the run ended before the kill\n\(child.transcript)",
            sourceLocation: sourceLocation)
        #expect(child.terminationStatus == SIGKILL, sourceLocation: sourceLocation)
    }

    /// Where a resumed run said it continues (its `resume` event): [task, epoch, batch].
    private func resumePosition(_ child: ConfitProcess) throws -> [Int] {
        let event = try #require(
            child.events.first { $0["event"] as? String == "resume" }, "no resume event\n\(child.transcript)")
        return try ["task", "epoch", "batch"].map { try #require(event[$0] as? Int, "resume event \(event)") }
    }

    /// Where the run folder's checkpoint continues: [task, epoch, batch]. Reading it also
    /// proves a kill left a whole file behind.
    private func checkpointPosition(_ out: URL) throws -> [Int] {
        let metadata = try RunOutputs.checkpoint(in: out).metadata
        return try ["task", "epoch", "batch"].map {
            try #require(metadata[$0].flatMap(Int.init), "checkpoint metadata \(metadata)")
        }
    }

    /// The same accuracy matrix and the same final checkpoint tensors, byte for byte.
    private func assertSameModel(
        _ outputs: RunOutputs, _ expected: RunOutputs, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outputs.accuracyMatrix == expected.accuracyMatrix, "accuracy_matrix", sourceLocation: sourceLocation)
        #expect(outputs.accuracyMatrix.map(\.count) == [1, 2], sourceLocation: sourceLocation)
        #expect(
            outputs.checkpointTensors.keys.sorted() == expected.checkpointTensors.keys.sorted(),
            sourceLocation: sourceLocation)
        let differing = expected.checkpointTensors.keys.sorted().filter {
            outputs.checkpointTensors[$0] != expected.checkpointTensors[$0]
        }
        #expect(
            differing.isEmpty,
            Comment(
                rawValue: "\(differing.count) of \(expected.checkpointTensors.count) checkpoint tensors differ "
                    + "from the uninterrupted run's: \(differing.prefix(5).joined(separator: ", "))..."),
            sourceLocation: sourceLocation)
    }
}
