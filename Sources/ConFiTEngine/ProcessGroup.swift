/// The processes one computation is spread over (data parallelism): each holds the same
/// network and a shard of every batch, and they combine per-channel statistics and
/// gradients through these collectives so that together they compute what one process
/// with the whole batch would.
///
/// Every collective must be called by every process of the group in the same order;
/// all of them return the same values on every process.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, 0..<size; rank 0 is the one that writes files.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` on every process by their element-wise sum over the processes.
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws(EngineError)
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws(EngineError)
    /// Every process's `values` (the same count on each), concatenated in rank order.
    func allGather(_ values: [Double]) throws(EngineError) -> [Double]
}

extension ProcessGroup {
    /// `values` summed over the processes.
    public func allReduceSum(_ values: [Double]) throws(EngineError) -> [Double] {
        var result = values
        try result.withUnsafeMutableBufferPointer { (buffer) throws(EngineError) in try allReduceSum(buffer) }
        return result
    }
}
