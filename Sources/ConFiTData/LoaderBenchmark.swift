import Foundation

/// Decoded images per second through the real loader (decode, Resize, CenterCrop,
/// normalise into float batches) — cold on one thread, from the uint8 cache, cold on
/// worker threads — and of decoding and transforming alone, so "the loader keeps up" is
/// measured (`confit bench-loader`).
public enum LoaderBenchmark {
    /// The measurements over `samples` as `confit bench-loader`'s JSON object (keys sorted).
    public static func report(_ samples: [Sample], dataset: String, batchSize: Int, workers: Int) throws -> Data {
        let (decodeOnly, decoded) = try decodingRate(samples)
        var options = LoaderOptions.evaluation(batchSize: batchSize)
        options.workers = 0
        let cache = ImageCache(budgetBytes: samples.count * 3 * 224 * 224)
        let single = try BatchLoader(samples: samples, options: options, cache: cache)
        let cold = try imagesPerSecond(single)
        let cached = try imagesPerSecond(single)
        options.workers = workers
        let threaded = try imagesPerSecond(BatchLoader(samples: samples, options: options))
        let result: [String: Any] = [
            "dataset": dataset, "images": samples.count, "batch_size": batchSize,
            "cold_images_per_s_1_thread": round(cold), "cached_images_per_s_1_thread": round(cached),
            "cold_images_per_s_workers": round(threaded), "workers": workers,
            "cache_bytes": cache.storedBytes, "decode_only_images_per_s_1_thread": round(decodeOnly),
            "transform_only_images_per_s_1_thread": round(transformRate(decoded)),
        ]
        return try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    }

    /// Images per second of one epoch through `loader`.
    static func imagesPerSecond(_ loader: BatchLoader) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let stream = loader.epoch(0)
        var count = 0
        while let batch = try stream.next() { count += batch.count }
        return Double(count) / seconds(since: start)
    }

    /// Decoding alone (files and in-memory images), and the decoded images.
    static func decodingRate(_ samples: [Sample]) throws -> (Double, [RGBImage]) {
        let decoder = try ImageDecoder()
        let start = DispatchTime.now().uptimeNanoseconds
        let images = try samples.map { sample -> RGBImage in
            switch sample.source {
            case let .file(path): return try decoder.decode(file: path)
            case let .memory(store, index): return store.image(at: index)
            }
        }
        return (Double(images.count) / seconds(since: start), images)
    }

    /// Resize and centre crop alone, on already decoded images.
    static func transformRate(_ images: [RGBImage]) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let transformed = images.map { EvalTransform.standard.apply($0) }
        return Double(transformed.count) / seconds(since: start)
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
