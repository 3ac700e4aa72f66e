import ConFiTNN
import Testing

@testable import ConFiTData

/// Class orders and task cuts against the protocol file and hand-counted expectations.
struct ScenarioTests {
    func dataset(classes: Int, perClass: Int) -> ImageDataset {
        var samples: [(label: Int, source: Sample.Source, isTest: Bool)] = []
        for c in 0..<classes {
            for i in 0..<perClass { samples.append((c, .file("c\(c)/\(i).jpg"), i == 0)) }
        }
        return ImageDataset.assemble(
            name: "synthetic", root: "/", classNames: (0..<classes).map { "c\($0)" }, samples: samples, skipped: [])
    }

    /// Official orders start as in benchmarks.json (torch.manual_seed(0); randperm(n)).
    @Test func presetsCarryTheOfficialOrder() throws {
        let caltech = try BenchmarkProtocol.named("caltech101")
        #expect(caltech.classOrder.prefix(5) == [64, 40, 58, 75, 59])
        #expect(caltech.classesPerTask == 10 && caltech.tasks == 10 && caltech.batchSize == 32)
        #expect(try BenchmarkProtocol.named("cifar100").classOrder.prefix(3) == [44, 19, 93])
        #expect(throws: DataError.self) { try BenchmarkProtocol.named("imagenet") }
    }

    @Test func caltechPresetDropsTheLastClass() throws {
        let scenario = try Scenario(dataset: dataset(classes: 101, perClass: 3), preset: "caltech101")
        #expect(scenario.tasks.count == 10)
        #expect(scenario.droppedClasses == [47])
        #expect(scenario.tasks[0].classes == [64, 40, 58, 75, 59, 32, 68, 98, 96, 8])
        let task = scenario.tasks[0]
        #expect(task.train.count == 20 && task.test.count == 10)
        #expect(task.train.allSatisfy { (0..<10).contains($0.label) })
        #expect(task.train[0].label == task.classes.firstIndex(of: 8))
    }

    @Test func shuffledOrderIsSeeded() throws {
        let data = dataset(classes: 7, perClass: 2)
        let a = try Scenario(dataset: data, order: .shuffled(seed: 3), classesPerTask: 2)
        let b = try Scenario(dataset: data, order: .shuffled(seed: 3), classesPerTask: 2)
        #expect(a.classOrder == b.classOrder && Set(a.classOrder) == Set(0..<7))
        #expect(a.tasks.count == 3 && a.droppedClasses.count == 1)
        let tasksCover = Set(a.tasks.flatMap(\.trainIndices)).count
        #expect(tasksCover == 6)
    }

    @Test func explicitOrderIsValidated() throws {
        let data = dataset(classes: 4, perClass: 2)
        let s = try Scenario(dataset: data, order: .explicit([3, 1, 0, 2]), classesPerTask: 2)
        #expect(s.tasks.map(\.classes) == [[3, 1], [0, 2]])
        #expect(s.tasks[0].testIndices == [1, 3])
        #expect(s.tasks[0].test.map(\.label) == [1, 0])
        #expect(throws: DataError.self) { try Scenario(dataset: data, order: .explicit([0, 0, 1]), classesPerTask: 1) }
        #expect(throws: DataError.self) { try Scenario(dataset: data, order: .explicit([5]), classesPerTask: 1) }
        #expect(throws: DataError.self) { try Scenario(dataset: data, order: .natural, classesPerTask: 5) }
    }

    /// Published SplitMix64 outputs for seed 1234567 (Vigna's reference implementation).
    @Test func splitMix64ReferenceValues() {
        var g = SplitMix64(seed: 1_234_567)
        #expect(
            (0..<5).map { _ in g.next() } == [
                6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
            ])
    }
}
