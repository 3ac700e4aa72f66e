import ArgumentParser
import ConFiT
import ConFiTEngine
import ConFiTServe
import Foundation
import Logging

/// `confit serve`: every finished task of a run, or shared weights with exported tasks,
/// over HTTP from one backbone (docs/serving.md).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve every task of a run (or exported tasks) over HTTP from one backbone.")

    @Option(name: .customLong("run"), help: "Run folder: serve its finished tasks, named 0, 1, ...")
    var runFolder: String?
    @Option(help: "Shared weights (a run's checkpoint.safetensors or a state dict), with --task.") var weights: String?
    @Option(
        name: .customLong("task"), parsing: .singleValue,
        help: "NAME=FILE: a task file from confit export, served as NAME (repeat; with --weights).")
    var tasks: [String] = []
    @Option(
        help:
            "How a batch of several tasks runs: mixed (one forward, BN per image); the naive designs, for comparison: swapped (grouped by task, each task's BN written into the network first) or copies (a whole network per task; with --weights)."
    )
    var batching = SharedBackbone.Batching.mixed
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed).") var port = 8080
    @Option(help: "Most images in one forward.") var maxBatch = 32
    @Option(name: .customLong("max-wait-ms"), help: "Longest wait for a batch to fill after its first image, in ms.")
    var maxWait = 5
    @Option(help: "Most images waiting; more are refused with 503.") var maxQueue = 256
    @Option(help: "Largest image accepted, in pixels (read from its header).") var maxPixels = 40_000_000
    @Option(help: "Largest request body, in bytes.") var maxBodyBytes = 16 << 20
    @Option(help: "File holding the bearer token that prediction needs.") var tokenFile: String?
    @Option(help: "File holding the bearer token that PUT and DELETE of tasks need (without it they are off).")
    var adminTokenFile: String?
    @OptionGroup(title: "Precision (default: the run's with --run, else float32)") var precision: PrecisionOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard (runFolder != nil) != (weights != nil) else {
            throw ValidationError("give either --run, or --weights with --task NAME=FILE")
        }
        if runFolder != nil && !tasks.isEmpty { throw ValidationError("--task goes with --weights, not --run") }
        if runFolder != nil && batching == .copies {
            throw ValidationError("--batching copies serves exported tasks: give --weights with --task NAME=FILE")
        }
        if weights != nil && tasks.isEmpty { throw ValidationError("--weights needs at least one --task NAME=FILE") }
        for task in tasks where task.split(separator: "=", maxSplits: 1).count != 2 {
            throw ValidationError("--task \(task): expected NAME=FILE")
        }
    }

    func run() async throws {
        var options = ServeOptions()
        (options.host, options.port, options.maxBatch, options.maxWaitMilliseconds) = (host, port, maxBatch, maxWait)
        (options.maxQueue, options.maxPixels, options.maxBodyBytes) = (maxQueue, maxPixels, maxBodyBytes)
        (options.threads, options.token, options.adminToken) = (
            threads.threads, try tokenFile.map(Self.token), try adminTokenFile.map(Self.token)
        )
        do { try options.validate() } catch { throw ValidationError("\(error)") }
        if let count = threads.threads { Engine.shared.setThreads(count) }
        let backbone = try makeBackbone()
        let server = try PredictionServer(backbone: backbone, options: options)
        var logger = Logger(label: "confit.serve")
        logger.logLevel = .warning
        let (count, host) = (backbone.tasks.count, options.host)
        try await server.run(logger: logger) { port in
            say("serving \(count) tasks on http://\(host):\(port)")
        }
        say("stopped")
    }

    private func makeBackbone() throws -> SharedBackbone {
        if let runFolder {
            return try SharedBackbone(
                run: URL(fileURLWithPath: runFolder), precision: precision.precision, threads: threads.threads,
                batching: batching)
        }
        let files = try tasks.map { spec -> (String, TaskFile) in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], try TaskFile(contentsOf: URL(fileURLWithPath: parts[1])))
        }
        let backbone = try SharedBackbone(
            weights: URL(fileURLWithPath: weights ?? ""), model: files[0].1.model,
            precision: precision.precision ?? .float32, batching: batching)
        for (name, file) in files { try backbone.add(name, file) }
        return backbone
    }

    /// The token in `path`, without surrounding whitespace; an empty file is refused.
    static func token(_ path: String) throws -> String {
        let token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ValidationError("\(path) holds no token") }
        return token
    }
}
