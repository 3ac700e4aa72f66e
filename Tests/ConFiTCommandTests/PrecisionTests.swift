import Foundation
import Testing

/// `--precision bf16` end to end: recorded in the run, deterministic through a stop and
/// `--resume` (bit for bit, as float32), really computed in bf16, and refused with a clear
/// message where the CPU has no bf16 arithmetic. Skipped on such CPUs, apart from the refusal.
@Suite struct PrecisionTests {
    private static let bf16ISAs = ["avx512_core_bf16", "avx512_core_amx"]

    /// The ISA oneDNN dispatches to here, as `confit bench` reports it.
    private func cpuISA(_ logs: URL) throws -> String {
        let bench = try ConfitProcess.run(
            [
                "bench", "--model", "resnet18", "--image-size", "32", "--batch", "2", "--steps", "1",
                "--warmup", "0", "--stages", "eval",
            ], logs: logs)
        bench.assertExited(with: 0)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(bench.standardOutput.utf8)) as? [String: Any])
        return try #require(report["cpu_isa"] as? String)
    }

    @Test func bf16RunIsRecordedAndResumesBitForBit() throws {
        let reference = try ReferenceRun.shared.get()
        // Skipped (cancelled) where the CPU has no bf16 arithmetic: a `confit bench` run in the
        // reference run's folder tells, so this is decided here rather than by a trait.
        if try !Self.bf16ISAs.contains(cpuISA(reference.logs)) { try Test.cancel("this CPU has no native bf16") }
        let uninterrupted = reference.workspace.appendingPathComponent("bf16")
        let run = try ConfitProcess.run(
            reference.trainArguments(out: uninterrupted) + ["--precision", "bf16"], logs: reference.logs)
        run.assertExited(with: 0)
        let outputs = try RunOutputs(uninterrupted)
        let metrics = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: uninterrupted.appendingPathComponent("metrics.json"))) as? [String: Any])
        #expect(((metrics["config"] as? [String: Any])?["precision"] as? String) == "bf16")
        // bf16 rounds every activation, so the losses are not float32's (this run's lr 0.1 on a
        // randomly initialised ResNet-18 amplifies any difference: no closeness to test here;
        // BFloat16ParityTests and the README's Caltech run do that).
        #expect(outputs.epochLosses != reference.outputs.epochLosses)
        #expect(outputs.epochLosses.count == reference.outputs.epochLosses.count)

        let stopped = reference.workspace.appendingPathComponent("bf16-stopped")
        let first = try ConfitProcess(
            reference.trainArguments(out: stopped) + ["--precision", "bf16"], logs: reference.logs)
        try first.waitForEvent("task 0's first epoch") { $0["event"] as? String == "epoch" }
        try first.interrupt(with: SIGINT)
        first.assertExited(with: 130)
        let resumed = try ConfitProcess.run(ReferenceRun.resumeArguments(stopped), logs: reference.logs)
        resumed.assertExited(with: 0)
        let again = try RunOutputs(stopped)
        #expect(again.accuracyMatrix == outputs.accuracyMatrix)
        #expect(again.epochLosses == outputs.epochLosses)
        let differing = outputs.checkpointTensors.keys.filter {
            again.checkpointTensors[$0] != outputs.checkpointTensors[$0]
        }
        #expect(differing.sorted() == [], "checkpoint tensors that differ from the uninterrupted bf16 run's")

        // `confit eval` uses the run's precision: its last row, as the run printed it.
        let eval = try ConfitProcess.run(["eval", "--run", uninterrupted.path], logs: reference.logs)
        eval.assertExited(with: 0)
        let last = try #require(outputs.accuracyMatrix.last)
        #expect(eval.standardOutput.contains(String(format: "a(1, 1) = %.4f", last[1])), "\(eval.transcript)")
        #expect(
            eval.standardOutput.contains(String(format: "A_1 = %.4f", (last[0] + last[1]) / 2)), "\(eval.transcript)")
        // A float32 run evaluated in bf16 on request.
        let float32 = try ConfitProcess.run(
            ["eval", "--run", reference.outputs.folder.path, "--precision", "bf16"], logs: reference.logs)
        float32.assertExited(with: 0)
        #expect(float32.standardOutput.contains("A_1 = "), "\(float32.transcript)")
    }

    /// oneDNN's `DNNL_MAX_CPU_ISA` makes this CPU look like one without bf16 (AVX-512 only).
    @Test func bf16IsRefusedWhereTheCPUHasNoBF16() throws {
        let reference = try ReferenceRun.shared.get()
        let limited = ["DNNL_MAX_CPU_ISA": "AVX512_CORE"]
        let bench = try ConfitProcess.run(
            ["bench", "--precision", "bf16", "--image-size", "32", "--steps", "1"], logs: reference.logs,
            environment: limited)
        #expect(bench.terminationStatus != 0, "\(bench.transcript)")
        #expect(bench.standardError.contains("no native bfloat16 arithmetic"), "\(bench.transcript)")
        #expect(bench.standardError.contains("--precision float32"), "\(bench.transcript)")
        let out = reference.workspace.appendingPathComponent("bf16-refused")
        let train = try ConfitProcess.run(
            reference.trainArguments(out: out) + ["--precision", "bf16"], logs: reference.logs,
            environment: limited)
        #expect(train.terminationStatus != 0, "\(train.transcript)")
        #expect(train.standardError.contains("no native bfloat16 arithmetic"), "\(train.transcript)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.safetensors").path))
    }
}
