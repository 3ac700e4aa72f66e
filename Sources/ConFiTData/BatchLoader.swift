import ConFiTNN
import Foundation

/// Turns a list of samples into batches, epoch after epoch, reproducibly.
///
/// Decoding and transforms run on background threads (`LoaderOptions.workers`), at most
/// `prefetch` batches ahead, so the network does not wait for JPEG decoding; transformed
/// uint8 images go into an optional shared `ImageCache`, so later epochs skip decoding.
/// The batch order of an epoch depends only on the seed and the epoch number, so a run
/// resumed at epoch e sees the batches an uninterrupted run would have seen.
public final class BatchLoader: Sendable {
    public let samples: [Sample]
    public let options: LoaderOptions
    public let cache: ImageCache?
    private let skips: SkipCounter
    let workerCount = WorkerCount()

    /// `warn` receives one line per skipped image (default: standard error).
    public init(
        samples: [Sample], options: LoaderOptions, cache: ImageCache? = nil,
        warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    ) throws {
        guard options.batchSize > 0, options.workers >= 0, options.prefetch > 0 else {
            throw DataError.invalidArgument("batch size and prefetch must be positive, workers non-negative")
        }
        self.samples = samples
        self.options = options
        self.cache = cache
        self.skips = SkipCounter(warn: warn)
    }

    /// Images left out so far because they could not be decoded (with `skipUnreadable`).
    public var skippedCount: Int { skips.count }

    /// Decoding threads of this loader's streams still running: a stream dropped before
    /// its end stops its workers after the batch each has in hand.
    public var runningWorkers: Int { workerCount.value }

    public var batchesPerEpoch: Int {
        options.dropLast
            ? samples.count / options.batchSize : (samples.count + options.batchSize - 1) / options.batchSize
    }

    /// Positions into `samples`, batch by batch. With shuffling, epoch e permutes
    /// 0..<n by `SplitMix64(seed: s).shuffle` where s is the (e+1)-th output of
    /// `SplitMix64(seed: options.seed)`.
    public func order(epoch: Int) -> [[Int]] {
        var positions = Array(samples.indices)
        if options.shuffle {
            var seeds = SplitMix64(seed: options.seed)
            var epochSeed: UInt64 = 0
            for _ in 0...max(epoch, 0) { epochSeed = seeds.next() }
            var generator = SplitMix64(seed: epochSeed)
            generator.shuffle(&positions)
        }
        return (0..<batchesPerEpoch).map { b in
            Array(positions[(b * options.batchSize)..<min((b + 1) * options.batchSize, positions.count)])
        }
    }

    /// The batches of one epoch from batch `first` on (a run resumed part-way through an
    /// epoch skips what it already trained on without decoding it); decoding starts
    /// immediately in the background. With a `shard`, only that process's contiguous share
    /// of each batch of n images, `rank · ⌊n/of⌋ ..< (rank + 1) · ⌊n/of⌋`, is decoded: data
    /// parallelism, where each process trains on its share, decodes every image once.
    public func epoch(_ epoch: Int, from first: Int = 0, shard: (rank: Int, of: Int) = (0, 1)) -> BatchStream {
        let plan = order(epoch: epoch).dropFirst(first).map { positions in
            guard shard.of > 1 else { return positions }
            let size = positions.count / shard.of
            return Array(positions[shard.rank * size..<(shard.rank + 1) * size])
        }
        return BatchStream(loader: self, plan: plan)
    }

    /// Decodes (or fetches from the cache), transforms and normalises one batch.
    func makeBatch(_ positions: [Int], decoder: ImageDecoder) throws -> Batch {
        let size = options.transform.cropSize
        let plane = 3 * size * size
        var images = [Float](repeating: 0, count: positions.count * plane)
        var labels: [Int] = [], ids: [Int] = []
        for position in positions {
            let sample = samples[position]
            let image: RGBImage
            do {
                image = try prepared(sample, decoder: decoder)
            } catch let error as DataError where options.skipUnreadable {
                skips.record("skipping unreadable image: \(error)")
                continue
            }
            images.withUnsafeMutableBufferPointer { buffer in
                let slot = UnsafeMutableBufferPointer(
                    rebasing: buffer[(labels.count * plane)..<((labels.count + 1) * plane)])
                options.normalization.write(image, into: slot)
            }
            labels.append(sample.label)
            ids.append(sample.id)
        }
        images.removeSubrange((labels.count * plane)...)
        return Batch(
            images: images, shape: [labels.count, 3, size, size], labels: labels, sampleIDs: ids,
            unreadable: positions.count - labels.count)
    }

    /// The transformed uint8 image of a sample, cached when the budget allows.
    public func prepared(_ sample: Sample, decoder: ImageDecoder) throws -> RGBImage {
        if let cached = cache?.image(for: sample.id) { return cached }
        let decoded: RGBImage
        switch sample.source {
        case let .file(path): decoded = try decoder.decode(file: path)
        case let .memory(store, index): decoded = store.image(at: index)
        }
        let image = options.transform.apply(decoded)
        cache?.insert(image, for: sample.id)
        return image
    }
}

/// Counts skipped images across loader threads and forwards each warning.
final class SkipCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var skipped = 0
    private let warn: @Sendable (String) -> Void

    init(warn: @escaping @Sendable (String) -> Void) { self.warn = warn }

    var count: Int { lock.withLock { skipped } }

    func record(_ message: String) {
        lock.withLock { skipped += 1 }
        warn(message)
    }
}

/// Live worker threads, counted by the threads themselves.
final class WorkerCount: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0

    var value: Int { lock.withLock { running } }
    func started() { lock.withLock { running += 1 } }
    func finished() { lock.withLock { running -= 1 } }
}
