import Testing

@testable import ConFiTNN

/// KernelCache builds once per shape and mode and keeps the most recently used ones.
@Suite struct KernelCacheTests {
    @Test func reusesAndEvictsTheLeastRecentlyUsed() {
        var cache = KernelCache<Int>()
        var builds = 0
        func get(_ batch: Int, training: Bool = false) -> Int {
            cache.get([batch, 3], training: training) {
                builds += 1
                return batch
            }
        }
        #expect(get(32) == 32)
        #expect(get(32, training: true) == 32)
        #expect(builds == 2, "training and evaluation are different kernels")
        #expect(get(32) == 32)
        #expect(builds == 2, "a shape seen before is reused")
        // Eight kernels are kept: six more shapes fill the cache, a seventh evicts the oldest.
        for batch in [1, 2, 4, 8, 16, 64] { _ = get(batch) }
        #expect(builds == 8)
        _ = get(32)
        #expect(builds == 8, "the evaluation kernel was used recently and stays")
        _ = get(5)
        _ = get(32, training: true)
        #expect(builds == 10, "the training kernel was the least recently used and was evicted")
    }
}
