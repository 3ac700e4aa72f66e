import ArgumentParser
import ConFiT
import ConFiTData
import ConFiTEngine
import ConFiTNN

// The library's named choices as command-line values, so that ArgumentParser lists them
// in `--help` and rejects anything else with the list of valid ones.

extension Architecture: ExpressibleByArgument {}
extension Preset: ExpressibleByArgument {}
extension DatasetKind: ExpressibleByArgument {}
extension ThroughputBenchmark.Stage: ExpressibleByArgument {}
extension DataType: ExpressibleByArgument {}
extension TrainingConfiguration.Head: ExpressibleByArgument {}
extension SharedBackbone.Batching: ExpressibleByArgument {}

extension TensorFormat: ExpressibleByArgument {
    /// The three activation layouts; `native` (a primitive's own weight layout) is not one.
    public init?(argument: String) {
        guard let format = TensorFormat(rawValue: argument), format != .native else { return nil }
        self = format
    }

    public static var allValueStrings: [String] { allCases.filter { $0 != .native }.map(\.rawValue) }
}

extension ContinualMethod: ExpressibleByArgument {
    public init?(argument: String) {
        guard let method = try? ContinualMethod.named(argument) else { return nil }
        self = method
    }

    public var defaultValueDescription: String { name }
    public static var allValueStrings: [String] { all.map(\.name) }
}
