import Foundation

/// One benchmark of the official ConFiT protocol (`benchmarks.json`, embedded): the
/// class order from the official seed, task sizes, epochs and batch size.
public struct BenchmarkProtocol: Sendable, Decodable, Equatable {
    public var classes: Int
    public var tasks: Int
    public var classesPerTask: Int
    public var epochs: Int
    public var batchSize: Int
    public var classOrder: [Int]

    public init(classes: Int, tasks: Int, classesPerTask: Int, epochs: Int, batchSize: Int, classOrder: [Int]) {
        (self.classes, self.tasks, self.classesPerTask) = (classes, tasks, classesPerTask)
        (self.epochs, self.batchSize, self.classOrder) = (epochs, batchSize, classOrder)
    }

    enum CodingKeys: String, CodingKey {
        case classes, tasks, epochs
        case classesPerTask = "classes_per_task"
        case batchSize = "batch_size"
        case classOrder = "class_order"
    }

    private struct File: Decodable {
        var benchmarks: [String: BenchmarkProtocol]
    }

    /// All presets by dataset name (cifar100, cub200, caltech101, flowers102).
    public static func presets() throws -> [String: BenchmarkProtocol] {
        do {
            return try JSONDecoder().decode(File.self, from: Data(ProtocolResources.bytes("benchmarks"))).benchmarks
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError.malformedFile(path: "benchmarks.json (embedded)", reason: "\(error)")
        }
    }

    public static func named(_ name: String) throws -> BenchmarkProtocol {
        let all = try presets()
        guard let preset = all[name] else {
            throw DataError.unknownPreset(name: name, available: all.keys.sorted())
        }
        return preset
    }
}
