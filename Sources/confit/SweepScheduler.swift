import ArgumentParser
import ConFiT
import Foundation

/// Runs `confit` child processes, at most `parallel` at once, each with its output
/// appended to `train.log` in its run folder. On SIGINT or SIGTERM it passes SIGTERM on to
/// every child (each checkpoints after its batch), starts no more, and waits for them.
final class SweepScheduler {
    /// One child: `confit arguments...` for the run in `folder`.
    struct Job {
        let name: String
        let folder: URL
        let arguments: [String]
    }

    /// How the jobs ended.
    struct Outcome {
        var failed: [String] = []
        /// The signal that stopped the sweep, if one did.
        var interruptedBy: Int32?
    }

    let parallel: Int
    let format: LogFormat
    /// Called after every job that ends, e.g. to refresh a report.
    let jobEnded: () throws -> Void

    init(parallel: Int, format: LogFormat, jobEnded: @escaping () throws -> Void) {
        (self.parallel, self.format, self.jobEnded) = (parallel, format, jobEnded)
    }

    func run(_ jobs: [Job]) throws -> Outcome {
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let ended = DispatchSemaphore(value: 0)
        let stop = StopRequest()
        // The handler's notice runs before its own stop request: request first, then wake
        // the loop, which must find the request set.
        let interrupt = InterruptHandler(stop) { _ in
            stop.request()
            ended.signal()
        }
        defer { interrupt.cancel() }
        var queue = jobs[...], running: [(job: Job, process: Process)] = [], outcome = Outcome()
        var environment = ProcessInfo.processInfo.environment
        // OpenMP threads spinning at barriers starve parallel runs on shared cores; sleeping
        // changes timing only, never results.
        if parallel > 1 { environment["OMP_WAIT_POLICY"] = environment["OMP_WAIT_POLICY"] ?? "passive" }
        var signalled = false
        while !running.isEmpty || (!queue.isEmpty && !stop.isRequested) {
            while running.count < parallel, !stop.isRequested, let job = queue.popFirst() {
                let process = try launch(job, executable: executable, environment: environment) { ended.signal() }
                running.append((job, process))
                format.event(
                    "sweep_run_started", ["run": job.name, "pid": Int(process.processIdentifier)],
                    text: "started \(job.name) (log: \(job.folder.appendingPathComponent("train.log").path))")
            }
            ended.wait()
            if stop.isRequested && !signalled {
                signalled = true
                for (_, process) in running where process.isRunning { kill(process.processIdentifier, SIGTERM) }
            }
            for (index, entry) in running.enumerated().reversed() where !entry.process.isRunning {
                running.remove(at: index)
                try finish(entry.job, entry.process, stopping: stop.isRequested, into: &outcome)
                try jobEnded()
            }
        }
        outcome.interruptedBy = interrupt.received
        return outcome
    }

    private func launch(
        _ job: Job, executable: URL, environment: [String: String],
        ended: @escaping @Sendable () -> Void
    ) throws -> Process {
        let log = job.folder.appendingPathComponent("train.log")
        try FileManager.default.createDirectory(at: job.folder, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        handle.write(Data("$ confit \(job.arguments.joined(separator: " "))\n".utf8))
        let process = Process()
        (process.executableURL, process.arguments, process.environment) = (executable, job.arguments, environment)
        (process.standardOutput, process.standardError) = (handle, handle)
        process.terminationHandler = { _ in ended() }
        try process.run()
        try handle.close()
        return process
    }

    private func finish(_ job: Job, _ process: Process, stopping: Bool, into outcome: inout Outcome) throws {
        let (status, killed) = (process.terminationStatus, process.terminationReason == .uncaughtSignal)
        switch status {
        case 0 where !killed:
            let metrics = try RunFolder(url: job.folder).readMetrics()
            let final = metrics.accuracy.finalAverageAccuracy ?? .nan
            format.event(
                "sweep_run_finished",
                [
                    "run": job.name, "final_average_accuracy": final,
                    "wall_seconds": metrics.totalWallSeconds,
                ],
                text: String(format: "finished %@: A_T %.4f, %.0f s", job.name, final, metrics.totalWallSeconds))
        case 130 where stopping && !killed, 143 where stopping && !killed:
            format.event("sweep_run_stopped", ["run": job.name], text: "stopped \(job.name) at its checkpoint")
        default:
            outcome.failed.append(job.name)
            let log = job.folder.appendingPathComponent("train.log")
            let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(3)
            format.event(
                "sweep_run_failed", ["run": job.name, "status": Int(status), "log": log.path],
                text:
                    "FAILED \(job.name) (\(killed ? "killed by signal" : "exit status") \(status)); the end of \(log.path):\n  "
                    + tail.joined(separator: "\n  "))
            if format == .quiet { FileHandle.standardError.write(Data("\(job.name) failed; see \(log.path)\n".utf8)) }
        }
    }
}
