import ConFiTNN
import ConFiTTestSupport
import Foundation
import Testing

@testable import ConFiTData

/// Ordering, determinism, threading, caching and error handling of the batch loader.
struct BatchLoaderTests {
    /// 10 gray 4×4 images whose pixel value is 20·i, so each image is recognisable.
    let samples: [Sample] = {
        let store = RawImageStore(
            width: 4, height: 4, channels: 1, pixels: (0..<10).flatMap { Array(repeating: UInt8($0 * 20), count: 16) })
        return (0..<10).map { Sample(id: $0, label: $0 % 3, source: .memory(store, index: $0)) }
    }()
    let small = EvalTransform(resizeShortSide: 4, cropSize: 4)

    func options(workers: Int, shuffle: Bool = true, dropLast: Bool = true, seed: UInt64 = 1) -> LoaderOptions {
        LoaderOptions(
            batchSize: 3, shuffle: shuffle, dropLast: dropLast, seed: seed, workers: workers, prefetch: 2,
            transform: small, normalization: .efficientNetLite)
    }

    func drain(_ stream: BatchStream) throws -> [Batch] {
        var batches: [Batch] = []
        while let batch = try stream.next() { batches.append(batch) }
        return batches
    }

    @Test func dropLastAndShapes() throws {
        let loader = try BatchLoader(samples: samples, options: options(workers: 0))
        let batches = try drain(loader.epoch(0))
        #expect(batches.count == 3 && loader.batchesPerEpoch == 3)
        #expect(batches.allSatisfy { $0.shape == [3, 3, 4, 4] && $0.images.count == 144 })
        let all = try drain(BatchLoader(samples: samples, options: options(workers: 0, dropLast: false)).epoch(0))
        #expect(all.map(\.count) == [3, 3, 3, 1])
        #expect(Set(all.flatMap(\.sampleIDs)) == Set(0..<10))
    }

    /// Pixel values come through normalisation: (20·i − 127) / 128 in every channel.
    @Test func batchesCarryTheirImagesAndLabels() throws {
        let loader = try BatchLoader(samples: samples, options: options(workers: 0, shuffle: false, dropLast: false))
        let batch = try #require(try loader.epoch(0).next())
        #expect(batch.sampleIDs == [0, 1, 2] && batch.labels == [0, 1, 2])
        for (i, id) in batch.sampleIDs.enumerated() {
            let expected = (Float(id * 20) - 127) / 128
            #expect(batch.images[(i * 48)..<((i + 1) * 48)].allSatisfy { $0 == expected })
        }
    }

    @Test func ordersAreSeededPerEpoch() throws {
        let a = try BatchLoader(samples: samples, options: options(workers: 0))
        let b = try BatchLoader(samples: samples, options: options(workers: 2))
        #expect(a.order(epoch: 3) == b.order(epoch: 3))
        #expect(a.order(epoch: 0) != a.order(epoch: 1))
        let other = try BatchLoader(samples: samples, options: options(workers: 0, seed: 2))
        #expect(a.order(epoch: 0) != other.order(epoch: 0))
        let inline = try drain(a.epoch(5)), threaded = try drain(b.epoch(5))
        #expect(inline.map(\.sampleIDs) == threaded.map(\.sampleIDs))
        #expect(inline.map(\.images) == threaded.map(\.images))
        // A resumed epoch starts at a later batch of the same order.
        #expect(inline.count > 1)
        #expect(try drain(b.epoch(5, from: 1)).map(\.sampleIDs) == Array(inline.map(\.sampleIDs).dropFirst()))
    }

    @Test func cacheFillsUpToItsBudget() throws {
        let cache = ImageCache(budgetBytes: 48 * 4)
        let loader = try BatchLoader(samples: samples, options: options(workers: 2), cache: cache)
        _ = try drain(loader.epoch(0))
        #expect(cache.count == 4 && cache.storedBytes == 192)
        let roomy = ImageCache(budgetBytes: 1 << 20)
        let second = try BatchLoader(samples: samples, options: options(workers: 1, dropLast: false), cache: roomy)
        let first = try drain(second.epoch(0)).map(\.images)
        #expect(roomy.count == 10)
        #expect(try drain(second.epoch(0)).map(\.images) == first)
    }

    /// Each of two shards gets its contiguous half of every batch of the epoch's order, in
    /// the whole batch's order, and decodes nothing else (the cache sees only its images).
    @Test func aShardDecodesOnlyItsShareOfEachBatch() throws {
        var four = options(workers: 2)
        four.batchSize = 4
        let whole = try drain(BatchLoader(samples: samples, options: four).epoch(2))
        #expect(whole.count == 2)
        for rank in 0..<2 {
            let cache = ImageCache(budgetBytes: 1 << 20)
            let loader = try BatchLoader(samples: samples, options: four, cache: cache)
            let shards = try drain(loader.epoch(2, shard: (rank, 2)))
            #expect(shards.map(\.sampleIDs) == whole.map { Array($0.sampleIDs[(2 * rank)..<(2 * rank + 2)]) })
            #expect(shards.map(\.images) == whole.map { Array($0.images[(96 * rank)..<(96 * rank + 96)]) })
            #expect(shards.allSatisfy { $0.shape == [2, 3, 4, 4] })
            #expect(cache.count == 4)
        }
        #expect(
            try drain(BatchLoader(samples: samples, options: four).epoch(2, from: 1, shard: (1, 2))).map(\.sampleIDs)
                == [Array(whole[1].sampleIDs[2..<4])])
    }

    @Test func unreadableImagesFailOrAreSkippedWithACount() throws {
        var broken = samples
        let path = fixtures.path("images/truncated.jpg")
        broken[4] = Sample(id: 4, label: 1, source: .file(path))
        let strict = try BatchLoader(samples: broken, options: options(workers: 2, shuffle: false))
        let stream = strict.epoch(0)
        _ = try stream.next()
        #expect { try stream.next() } throws: { "\($0)".contains(path) }

        let warnings = WarningLog()
        var lenient = options(workers: 2, shuffle: false, dropLast: false)
        lenient.skipUnreadable = true
        let loader = try BatchLoader(samples: broken, options: lenient, warn: { warnings.append($0) })
        let batches = try drain(loader.epoch(0))
        #expect(batches.map(\.count) == [3, 2, 3, 1])
        #expect(batches.map(\.unreadable) == [0, 1, 0, 0])
        #expect(loader.skippedCount == 1)
        #expect(warnings.lines.count == 1 && warnings.lines[0].contains("truncated.jpg"))
    }

    /// Dropping a stream after its first batch stops its worker threads: of the 40
    /// started, none is still running a moment later.
    @Test func abandoningAStreamStopsItsWorkers() throws {
        let loader = try BatchLoader(samples: samples, options: options(workers: 2))
        for epoch in 0..<20 { _ = try loader.epoch(epoch).next() }
        let deadline = Date().addingTimeInterval(10)
        while loader.runningWorkers > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(loader.runningWorkers == 0)
    }
}

/// Collects loader warnings from worker threads.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}
