import ArgumentParser
import ConFiTData
import Foundation

/// `confit bench-loader`: decoded images per second through the real loader (decode,
/// Resize, CenterCrop, normalise into float batches), cold on one thread, cold on the
/// worker threads, and from the uint8 cache — so "the loader keeps up" is measured.
struct BenchLoader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-loader", abstract: "Measure data-loader throughput (JSON on stdout).")

    @OptionGroup var source: DatasetSource

    @Option(help: "Images to load (the first ones of the training split).")
    var images = 1000

    @Option(help: "Batch size.")
    var batchSize = 32

    @Option(help: "Worker threads for the multi-threaded cold pass.")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        let data = try source.load()
        let samples = Array(data.train.prefix(images))
        let (decodeOnly, decoded) = try Self.decodeOnly(samples)
        var options = LoaderOptions.evaluation(batchSize: batchSize)
        options.workers = 0
        let cache = ImageCache(budgetBytes: samples.count * 3 * 224 * 224)
        let single = try BatchLoader(samples: samples, options: options, cache: cache)
        let cold = try Self.imagesPerSecond(single)
        let cached = try Self.imagesPerSecond(single)
        options.workers = workers
        let threaded = try Self.imagesPerSecond(BatchLoader(samples: samples, options: options))
        let result: [String: Any] = [
            "dataset": data.name, "images": samples.count, "batch_size": batchSize,
            "cold_images_per_s_1_thread": Self.round(cold), "cached_images_per_s_1_thread": Self.round(cached),
            "cold_images_per_s_workers": Self.round(threaded), "workers": workers,
            "cache_bytes": cache.storedBytes, "decode_only_images_per_s_1_thread": Self.round(decodeOnly),
            "transform_only_images_per_s_1_thread": Self.round(Self.transformOnly(decoded)),
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    static func imagesPerSecond(_ loader: BatchLoader) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let stream = loader.epoch(0)
        var count = 0
        while let batch = try stream.next() { count += batch.count }
        return Double(count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Decoding alone (files and in-memory images), and the decoded images.
    static func decodeOnly(_ samples: [Sample]) throws -> (Double, [RGBImage]) {
        let decoder = try ImageDecoder()
        let start = DispatchTime.now().uptimeNanoseconds
        let images = try samples.map { sample -> RGBImage in
            switch sample.source {
            case let .file(path): return try decoder.decode(file: path)
            case let .memory(store, index): return store.image(at: index)
            }
        }
        return (Double(images.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9), images)
    }

    /// Resize and centre crop alone, on already decoded images.
    static func transformOnly(_ images: [RGBImage]) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let transformed = images.map { EvalTransform.standard.apply($0) }
        return Double(transformed.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
