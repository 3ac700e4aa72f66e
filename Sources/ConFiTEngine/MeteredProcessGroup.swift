import Foundation

/// A process group that times its collectives and counts what they send, for `confit
/// bench` under `mpirun`: the communication a training step costs next to its compute.
public final class MeteredProcessGroup: ProcessGroup, @unchecked Sendable {
    public let group: any ProcessGroup
    /// Since the last `reset()`: seconds inside collectives, bytes each process
    /// contributed, and how many collectives ran.
    public private(set) var seconds = 0.0, bytes = 0, calls = 0

    public init(_ group: any ProcessGroup) { self.group = group }

    public var rank: Int { group.rank }
    public var size: Int { group.size }

    public func reset() { (seconds, bytes, calls) = (0, 0, 0) }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws(EngineError) {
        try metered(values.count * 4) { () throws(EngineError) in try group.allReduceSum(values) }
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws(EngineError) {
        try metered(values.count * 8) { () throws(EngineError) in try group.allReduceSum(values) }
    }

    public func allGather(_ values: [Double]) throws(EngineError) -> [Double] {
        var gathered: [Double] = []
        try metered(values.count * 8) { () throws(EngineError) in gathered = try group.allGather(values) }
        return gathered
    }

    private func metered(_ count: Int, _ collective: () throws(EngineError) -> Void) throws(EngineError) {
        let start = DispatchTime.now().uptimeNanoseconds
        try collective()
        seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        (bytes, calls) = (bytes + count, calls + 1)
    }
}
