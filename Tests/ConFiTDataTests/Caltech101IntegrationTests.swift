import Foundation
import Testing

@testable import ConFiTData

/// The real Caltech-101, when `CONFIT_CALTECH_ROOT` points at it (CI sets it); skipped otherwise.
struct Caltech101IntegrationTests {
    static let root = ProcessInfo.processInfo.environment["CONFIT_CALTECH_ROOT"]

    @Test(.enabled(if: root != nil, "set CONFIT_CALTECH_ROOT to the Caltech-101 folder"))
    func countsAndOfficialSplit() throws {
        let data = try DatasetKind.caltech101.load(root: try #require(Self.root))
        #expect(data.classNames.count == 101)
        #expect(data.train.count + data.test.count == 8677)
        #expect(data.test.count == 1736)
        #expect(!data.classNames.contains("BACKGROUND_Google"))
        let scenario = try Scenario(dataset: data, preset: "caltech101")
        #expect(scenario.tasks.count == 10)
        #expect(scenario.tasks.reduce(0) { $0 + $1.test.count } == 1736 - data.classCounts(.test)[47])
        let loader = try BatchLoader(samples: Array(data.test.prefix(64)), options: .evaluation(batchSize: 32))
        let stream = loader.epoch(0)
        var images = 0
        while let batch = try stream.next() {
            #expect(batch.shape == [32, 3, 224, 224])
            images += batch.count
        }
        #expect(images == 64)
    }
}
