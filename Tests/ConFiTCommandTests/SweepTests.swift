import ConFiTTestSupport
import Foundation
import Testing

/// `confit sweep` on the reference run's data: stopped (SIGINT) while its second run
/// trains and run again, every run is trained exactly once — the finished one untouched,
/// the stopped one resumed, the rest started — and its first run is the reference run.
@Suite struct SweepTests {
    private func sweepArguments(_ reference: ReferenceRun, out: URL, epochs: Int = 2) -> [String] {
        [
            "sweep", "--preset", "fashion-mnist", "--root",
            reference.workspace.appendingPathComponent("fashion-mnist").path,
            "--model", "resnet18", "--methods", "confit,finetune", "--seeds", "0,1", "--tasks", "2", "--epochs",
            "\(epochs)",
            "--batch-size", "4", "--image-size", "32", "--train-images-per-class", "\(ReferenceRun.trainPerClass)",
            "--test-images-per-class", "\(ReferenceRun.testPerClass)", "--lr", "0.1", "--threads", "2", "--log-format",
            "json",
            "--out", out.path,
        ]
    }

    private func events(_ child: ConfitProcess, _ name: String) -> [String] {
        child.events.filter { $0["event"] as? String == name }.compactMap { $0["run"] as? String }
    }

    @Test func stoppedSweepContinuesAndTrainsEveryRunOnce() throws {
        let reference = try ReferenceRun.shared.get()
        let out = reference.workspace.appendingPathComponent("sweep")
        let arguments = sweepArguments(reference, out: out)
        let second = out.appendingPathComponent("finetune-seed0")

        let first = try ConfitProcess(arguments, logs: reference.logs)
        try first.wait(timeout: 300, until: "the second run's first checkpoint") {
            FileManager.default.fileExists(atPath: second.appendingPathComponent("checkpoint.safetensors").path)
        }
        try first.interrupt(with: SIGINT, timeout: 300)
        first.assertExited(with: 130)
        #expect(events(first, "sweep_run_finished") == ["confit-seed0"], "\(first.transcript)")
        #expect(events(first, "sweep_run_stopped") == ["finetune-seed0"], "\(first.transcript)")
        #expect(first.standardError.contains("run the same command again"), "\(first.transcript)")
        let finished = try Data(contentsOf: out.appendingPathComponent("confit-seed0/metrics.json"))

        // Run again with a smaller image cache: a machine's own choice, so the finished run (made
        // with the default) still matches, and the stopped and new runs take it.
        let again = try ConfitProcess.run(arguments + ["--cache-size", "1M"], logs: reference.logs, timeout: 300)
        again.assertExited(with: 0)
        let states = Dictionary(
            uniqueKeysWithValues: again.events.filter { $0["event"] as? String == "sweep_run" }
                .map { ($0["run"] as? String ?? "", $0["state"] as? String ?? "") })
        #expect(states["confit-seed0"] == "finished", "\(again.transcript)")
        #expect(states["finetune-seed0"]?.hasPrefix("stopped after 0 of 2 tasks") == true, "\(again.transcript)")
        #expect(states["finetune-seed1"] == "not started", "\(again.transcript)")
        #expect(
            events(again, "sweep_run_started") == ["finetune-seed0", "confit-seed1", "finetune-seed1"],
            "\(again.transcript)")
        #expect(try Data(contentsOf: out.appendingPathComponent("confit-seed0/metrics.json")) == finished)

        for (name, starts) in [("confit-seed0", 1), ("finetune-seed0", 2), ("confit-seed1", 1), ("finetune-seed1", 1)] {
            let folder = out.appendingPathComponent(name)
            let log = try String(contentsOf: folder.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.components(separatedBy: "$ confit train").count - 1 == starts, "\(name):\n\(log)")
            let outputs = try RunOutputs(folder)
            #expect(
                outputs.epochLosses.map { $0.prefix(2) } == [[0, 0], [0, 1], [1, 0], [1, 1]], "\(name): an epoch twice")
            #expect(outputs.accuracyMatrix.count == 2, "\(name)")
        }
        #expect(
            try String(contentsOf: second.appendingPathComponent("train.log"), encoding: .utf8).contains(
                "--resume \(second.path) --cache-size 1048576"))
        let started = try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("confit-seed1/configuration.json")))
        #expect(((started as? [String: Any])?["training"] as? [String: Any])?["cacheBytes"] as? Int == 1 << 20)

        // The sweep's confit-seed0 is the reference command's run: same configuration, same numbers.
        let swept = try RunOutputs(out.appendingPathComponent("confit-seed0"))
        #expect(swept.accuracyMatrix == reference.outputs.accuracyMatrix)
        #expect(swept.epochLosses == reference.outputs.epochLosses)

        // aggregate.json: confit and finetune, two seeds each, means of the runs' own numbers.
        let aggregate = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: out.appendingPathComponent("aggregate.json"))) as? [String: Any])
        let groups = try #require(aggregate["groups"] as? [[String: Any]])
        #expect(
            groups.map { $0["runs"] as? [String] ?? [] } == [
                ["confit-seed0", "confit-seed1"], ["finetune-seed0", "finetune-seed1"],
            ])
        let finals = try ["confit-seed0", "confit-seed1"].map {
            let last = try #require(try RunOutputs(out.appendingPathComponent($0)).accuracyMatrix.last)
            return last.reduce(0, +) / Double(last.count)
        }
        let mean = try #require((groups[0]["final_average_accuracy"] as? [String: Double])?["mean"])
        expectClose(mean, (finals[0] + finals[1]) / 2, tolerance: 1e-12)
        #expect(
            try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8).contains("over seeds"))

        // A different protocol into the same folder is refused before anything starts.
        let refused = try ConfitProcess.run(sweepArguments(reference, out: out, epochs: 3), logs: reference.logs)
        #expect(refused.terminationStatus != 0)
        #expect(
            refused.standardError.contains("holds a run of another configuration (training.epochs: 2 ≠ 3)"),
            "\(refused.transcript)")
        #expect(events(refused, "sweep_run_started") == [])
        let dry = try ConfitProcess.run(arguments + ["--dry-run"], logs: reference.logs)
        dry.assertExited(with: 0)
        #expect(Set(dry.events.compactMap { $0["state"] as? String }) == ["finished"], "\(dry.transcript)")
    }
}
