import ArgumentParser
import ConFiTData
import Foundation

/// `confit bench-loader`: decoding throughput of the real loader, cold and cached (JSON).
struct BenchLoader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-loader", abstract: "Measure data-loader throughput (JSON on stdout).")

    @OptionGroup var source: DatasetSource
    @Option(help: "Images to load (the first ones of the training split).") var images = 1000
    @Option(help: "Batch size.") var batchSize = 32
    @Option(help: "Worker threads for the multi-threaded cold pass.") var workers = ProcessInfo.processInfo
        .activeProcessorCount

    func run() throws {
        let data = try source.load()
        let json = try LoaderBenchmark.report(
            Array(data.train.prefix(images)), dataset: data.name, batchSize: batchSize, workers: workers)
        print(String(decoding: json, as: UTF8.self))
    }
}
