import XCTest

@testable import ConFiTNN

/// KernelCache builds once per shape and mode and keeps the most recently used ones.
final class KernelCacheTests: XCTestCase {
    func testReusesAndEvictsTheLeastRecentlyUsed() {
        var cache = KernelCache<Int>()
        var builds = 0
        func get(_ batch: Int, training: Bool = false) -> Int {
            cache.get([batch, 3], training: training) {
                builds += 1
                return batch
            }
        }
        XCTAssertEqual(get(32), 32)
        XCTAssertEqual(get(32, training: true), 32)
        XCTAssertEqual(builds, 2, "training and evaluation are different kernels")
        XCTAssertEqual(get(32), 32)
        XCTAssertEqual(builds, 2, "a shape seen before is reused")
        for batch in [5, 6, 7] { _ = get(batch) }
        XCTAssertEqual(builds, 5)
        _ = get(32)
        XCTAssertEqual(builds, 5, "the evaluation kernel was used recently and stays")
        _ = get(32, training: true)
        XCTAssertEqual(builds, 6, "the training kernel was the least recently used and was evicted")
    }
}
